/** Store ports: what use cases need from persistence. Implemented in `src/store/*.repository.ts`. */
import type {
  ApiKey, AuditEvent, CodePurpose, EmailCode, Invitation, Locale, MailKind, MemberView, Membership, Organization,
  OutboxMail, OutgoingMail, Role, Session, Throttle, User, UserEmail,
} from './model.js';
import type { IssuedCredential, IssuerKey, IssuerProfileDetails, StatusList, StatusPurpose } from './credentials/model.js';
import type { WebhooksRepository } from './webhooks.js';
import type { ImageMeta, StoredImage } from './images.js';
import type { AwardsRepository, CredentialEventsRepository, IssuanceJobsRepository, TemplatesRepository } from './templates/ports.js';
import type { ResultsRepository } from './templates/results-ports.js';
import type { OverviewRepository } from './overview.js';

export interface UsersRepository {
  findById(id: string): Promise<User | undefined>;
  findByEmail(email: string): Promise<{ user: User; email: UserEmail } | undefined>;
  create(user: { id: string; displayName: string; locale: Locale; passwordHash: string | null; isPlatformAdmin?: boolean; createdAt: Date }): Promise<void>;
  update(id: string, patch: Partial<Pick<User, 'displayName' | 'locale' | 'passwordHash' | 'isPlatformAdmin'>>): Promise<void>;
  listEmails(userId: string): Promise<UserEmail[]>;
  findEmail(email: string): Promise<UserEmail | undefined>;
  addEmail(email: { id: string; userId: string; email: string; isPrimary: boolean; verifiedAt: Date | null; createdAt: Date }): Promise<void>;
  setPrimaryEmail(userId: string, emailId: string): Promise<void>;
  removeEmail(userId: string, emailId: string): Promise<void>;
  primaryEmail(userId: string): Promise<string | undefined>;
}

export interface SessionsRepository {
  create(session: Session): Promise<void>;
  findByHash(idHash: string): Promise<Session | undefined>;
  touch(idHash: string, lastSeenAt: Date): Promise<void>;
  markReauthenticated(idHash: string, at: Date): Promise<void>;
  delete(idHash: string): Promise<void>;
  /** Ends every session of the user except `exceptIdHash`. */
  deleteForUser(userId: string, exceptIdHash?: string): Promise<number>;
}

export interface CodesRepository {
  create(code: Omit<EmailCode, 'attempts' | 'consumedAt'> & { createdAt: Date }): Promise<void>;
  findById(id: string): Promise<EmailCode | undefined>;
  /** Atomically counts one wrong attempt if the code still has attempts left; returns the new count or undefined. */
  recordFailure(id: string, maxAttempts: number): Promise<number | undefined>;
  /** Atomically marks the code used; false if it was already used. */
  consume(id: string, at: Date): Promise<boolean>;
  /** Kills every unconsumed code of this purpose and address (a new code replaces the old ones). */
  invalidate(purpose: CodePurpose, email: string, at: Date): Promise<void>;
}

export interface ThrottlesRepository {
  get(key: string): Promise<Throttle | undefined>;
  put(throttle: Throttle): Promise<void>;
  clear(key: string): Promise<void>;
  /**
   * Atomically takes one attempt from a budget of `limit` per window (starting a new window when the old one
   * is over). False when the budget is spent: concurrent requests can never evaluate more than `limit`.
   */
  take(key: string, limit: number, windowMs: number, now: Date): Promise<boolean>;
}

export interface PasswordResetsRepository {
  create(reset: { tokenHash: string; userId: string; expiresAt: Date; createdAt: Date }): Promise<void>;
  /** Kills every unused reset link of the user. */
  invalidateForUser(userId: string, at: Date): Promise<void>;
  /** Atomically uses a valid link; returns the user id, or undefined when unknown, expired or used. */
  consume(tokenHash: string, at: Date): Promise<string | undefined>;
  findValid(tokenHash: string, at: Date): Promise<{ userId: string } | undefined>;
}

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

export interface AuditRepository {
  record(event: AuditEvent): Promise<void>;
  /** Several events in one statement (bulk issuance). */
  recordMany(events: AuditEvent[]): Promise<void>;
  listForOrg(orgId: string, limit: number): Promise<AuditEvent[]>;
  listAll(limit: number): Promise<AuditEvent[]>;
}

export interface OutboxRepository {
  /** Renders, seals and stores a message; it is sent after the transaction commits. Returns the mail id. */
  add<K extends MailKind>(mail: OutgoingMail<K>): Promise<string>;
  /** As `add`, for several messages in one statement; ids in the same order. */
  addMany(mails: OutgoingMail[]): Promise<string[]>;
  findById(id: string): Promise<OutboxMail | undefined>;
  /** The decrypted rendered message (platform admin's outbox view, and the sender). */
  readBody(id: string): Promise<{ subject: string; text: string; html: string } | undefined>;
  list(limit: number): Promise<OutboxMail[]>;
  /** Marks a queued message delivered; false when it was not queued any more (delivered by a concurrent run). */
  markDelivered(id: string, status: 'sent' | 'local', at: Date): Promise<boolean>;
  recordAttempt(id: string, error: string | null, dead: boolean): Promise<void>;
  /** Queued mails older than `before` (for re-enqueueing after a crash between commit and enqueue). */
  listStaleQueued(before: Date, limit: number): Promise<string[]>;
}

export interface IssuerKeysRepository {
  /** False when the organisation already has a current key (a concurrent creation won). */
  create(key: IssuerKey): Promise<boolean>;
  /** The key that signs now (the organisation's only unretired key). */
  current(orgId: string): Promise<IssuerKey | undefined>;
  findById(id: string): Promise<IssuerKey | undefined>;
  /** Every key of the organisation, oldest first (retired ones included). */
  list(orgId: string): Promise<IssuerKey[]>;
  /** Retires the key if it is still current; false otherwise. */
  retire(id: string, at: Date): Promise<boolean>;
  /** Organisations without a current key (created before issuer keys existed). */
  orgIdsWithoutKey(): Promise<string[]>;
}

export interface IssuerProfilesRepository {
  get(orgId: string): Promise<IssuerProfileDetails | undefined>;
  put(profile: IssuerProfileDetails): Promise<void>;
}

export interface StatusListsRepository {
  /** False when another open list of the same key and purpose exists (a concurrent creation won). */
  create(list: StatusList): Promise<boolean>;
  findById(id: string): Promise<StatusList | undefined>;
  /** The list of this key and purpose that still takes allocations. */
  findOpen(keyId: string, purpose: StatusPurpose): Promise<StatusList | undefined>;
  listForOrg(orgId: string): Promise<StatusList[]>;
  /** Reserves an index of the list; false when it is already taken. */
  reserve(listId: string, index: number, at: Date): Promise<boolean>;
  /** Every reserved index of the list. */
  reservedIndexes(listId: string): Promise<number[]>;
  /**
   * Claims `n` allocations atomically, only if they fit (`allocated + n ≤ capacity`); the list is marked full once
   * `allocated` reaches `capacity`. False when they do not fit (a concurrent allocation took the room): re-read.
   */
  claimAllocations(listId: string, n: number, at: Date): Promise<boolean>;
  /** A status of one of the list's credentials changed: the published list must be re-signed. */
  bumpRevision(listId: string): Promise<void>;
  /** Indexes whose bit is set (revoked credentials of the list). */
  setIndexes(listId: string): Promise<number[]>;
  /** Stores a signed list for `revision`, unless a newer revision is already stored. */
  saveSigned(listId: string, revision: number, document: string, at: Date): Promise<void>;
}

export interface CredentialsRepository {
  /** Stores a batch of credentials in a few multi-row statements. */
  createMany(credentials: IssuedCredential[]): Promise<void>;
  /** Credentials of the organisation with this `id` (one, unless a caller reused an id through the VC-API). */
  findByCredentialId(orgId: string, credentialId: string): Promise<IssuedCredential[]>;
  /** Credentials with this `id`, any organisation (the verifier's suspension lookup). */
  findAllByCredentialId(credentialId: string): Promise<IssuedCredential[]>;
  findByStatusEntry(listId: string, index: number): Promise<IssuedCredential | undefined>;
  setRevoked(ids: string[], at: Date): Promise<void>;
  setSuspended(ids: string[], at: Date | null): Promise<void>;
  countForOrg(orgId: string): Promise<number>;
}

/** A stored `Idempotency-Key` of the JSON API (scoped to one organisation). */
export interface IdempotencyRecord {
  orgId: string;
  key: string;
  /** Keyed SHA-256 of method, path and canonical JSON body. */
  fingerprint: string;
  state: 'pending' | 'done';
  /** Set once `done`: what to replay (the body as sent, byte for byte). */
  response: { status: number; body: string; contentType: string | null } | null;
  createdAt: Date;
  expiresAt: Date;
}

export interface IdempotencyKeysRepository {
  /**
   * Atomically claims (orgId, key) as `pending`. An expired row, or a `pending` row created before `staleBefore`
   * (its request died without releasing it), is replaced. Otherwise returns the live record that holds the key.
   */
  claim(record: { orgId: string; key: string; fingerprint: string; createdAt: Date; expiresAt: Date }, staleBefore: Date):
    Promise<{ claimed: true } | { claimed: false; existing: IdempotencyRecord }>;
  /** Stores the response of a claimed key (`done`). */
  complete(orgId: string, key: string, fingerprint: string, response: { status: number; body: string; contentType: string | null }): Promise<void>;
  /** Deletes a still-pending claim (5xx or crash) so the client may retry with the same key. */
  release(orgId: string, key: string, fingerprint: string): Promise<void>;
  /** Deletes rows expired at `now`; returns how many. */
  purgeExpired(now: Date): Promise<number>;
}

/** Keyset position of a list ordered by (created_at DESC, id DESC): `t` is the ISO timestamp text. */
export interface PagePosition { t: string; id: string }
/** What a paginated repository method takes: at most `limit` items strictly after `after` (null: from the top). */
export interface PageRequest { limit: number; after?: PagePosition | null }
/** A page of items and the position to continue from (null on the last page). */
export interface Page<T> { items: T[]; next: PagePosition | null }

export interface ImagesRepository {
  /** False when the organisation already has an image with the same SHA-256 (or the id is taken). */
  create(image: StoredImage): Promise<boolean>;
  /** An image of the organisation, bytes included. */
  find(orgId: string, id: string): Promise<StoredImage | undefined>;
  /** An image by its public id, any organisation (the public route compares `orgId` with the URL's organisation). */
  findPublic(id: string): Promise<StoredImage | undefined>;
  findBySha256(orgId: string, sha256: string): Promise<ImageMeta | undefined>;
  /** The organisation's images, newest first, without bytes. */
  listForOrg(orgId: string): Promise<ImageMeta[]>;
}

export interface Repositories {
  users: UsersRepository;
  sessions: SessionsRepository;
  codes: CodesRepository;
  throttles: ThrottlesRepository;
  passwordResets: PasswordResetsRepository;
  organizations: OrganizationsRepository;
  memberships: MembershipsRepository;
  invitations: InvitationsRepository;
  apiKeys: ApiKeysRepository;
  audit: AuditRepository;
  outbox: OutboxRepository;
  issuerKeys: IssuerKeysRepository;
  issuerProfiles: IssuerProfilesRepository;
  statusLists: StatusListsRepository;
  credentials: CredentialsRepository;
  webhooks: WebhooksRepository;
  idempotencyKeys: IdempotencyKeysRepository;
  templates: TemplatesRepository;
  awards: AwardsRepository;
  issuanceJobs: IssuanceJobsRepository;
  credentialEvents: CredentialEventsRepository;
  images: ImagesRepository;
  /** Results, issuance rules (templates.rules) and issuance decisions (automatic issuance). */
  results: ResultsRepository;
  /** The console overview's figures (read-only). */
  overview: OverviewRepository;
}

/** Repositories outside a transaction, and a way to run a unit of work atomically. */
export interface Store extends Repositories {
  transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T>;
}
