import type { ApiKey, Invitation, MemberView, Membership, Organization, Role } from './model.js';

export interface OrganizationsRepository {
  create(org: Organization): Promise<void>;
  findById(id: string): Promise<Organization | undefined>;
  findBySlug(slug: string): Promise<Organization | undefined>;
  update(id: string, patch: Partial<Pick<Organization, 'name' | 'logoUrl' | 'languages' | 'timeZone'>>): Promise<void>;
  listForUser(userId: string): Promise<{ org: Organization; role: Role }[]>;
  listAll(): Promise<Organization[]>;
  listChildren(parentId: string): Promise<Organization[]>;
}

export interface MembershipsRepository {
  add(m: Membership): Promise<void>;
  find(orgId: string, userId: string): Promise<Membership | undefined>;
  list(orgId: string): Promise<MemberView[]>;
  updateRole(orgId: string, userId: string, role: Role): Promise<void>;
  remove(orgId: string, userId: string): Promise<void>;
  countAdmins(orgId: string): Promise<number>;
}

export interface InvitationsRepository {
  create(inv: Invitation): Promise<void>;
  findByTokenHash(tokenHash: string): Promise<Invitation | undefined>;
  /** Atomically accepts a pending, unexpired invitation; false when already accepted or revoked. */
  accept(id: string, at: Date): Promise<boolean>;
  listPending(orgId: string, at: Date): Promise<Invitation[]>;
  /** Revokes one pending invitation of the organisation; false when none matched. */
  revoke(orgId: string, id: string, at: Date): Promise<boolean>;
  /** Revokes earlier pending invitations of the same address (a new one replaces them). */
  revokePendingFor(orgId: string, email: string, at: Date): Promise<void>;
}

export interface ApiKeysRepository {
  create(key: ApiKey & { keyHash: string }): Promise<void>;
  list(orgId: string): Promise<ApiKey[]>;
  findByHash(keyHash: string): Promise<ApiKey | undefined>;
  revoke(orgId: string, id: string, at: Date): Promise<boolean>;
  touch(id: string, at: Date): Promise<void>;
}

export interface OrgFigures {
  /** Credentials issued since the start of the month (signed credentials of any origin). */
  issuedThisMonth: number;
  /** Rows of published bulk jobs not issued yet. */
  pendingRows: number;
  /** Automatic issuances waiting for their delay. */
  pendingDecisions: number;
  /** Credential e-mails whose every delivery attempt failed (`dead` in the outbox), current link only. */
  failedDeliveries: number;
  /** Bulk jobs queued or running. */
  runningJobs: number;
  /** Templates, archived ones included. */
  templates: number;
}

/** Store port (src/store/overview.repository.ts). */
export interface OverviewRepository {
  figures(orgId: string, monthStart: Date): Promise<OrgFigures>;
  /**
   * Credentials (of one template, or all) whose current e-mail stayed in the local outbox (no SMTP server): never
   * delivered, so not counted as such by the analytics.
   */
  localMails(orgId: string, templateId: string | null): Promise<number>;
}
