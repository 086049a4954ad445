import { type Locale } from '../shared/model.js';

export type Role = 'admin' | 'staff' | 'reviewer';

export const ROLES: readonly Role[] = ['admin', 'staff', 'reviewer'];

export function isRole(v: unknown): v is Role {
  return v === 'admin' || v === 'staff' || v === 'reviewer';
}

export interface Organization {
  id: string;
  slug: string;
  name: string;
  logoUrl: string | null;
  languages: Locale[];
  parentId: string | null;
  createdAt: Date;
  /** IANA time zone of its pages and e-mails (`Europe/Paris` by default); credentials keep UTC. */
  timeZone: string;
}

export interface Membership {
  orgId: string;
  userId: string;
  role: Role;
  createdAt: Date;
}

export interface MemberView extends Membership {
  displayName: string;
  email: string;
}

export interface Invitation {
  id: string;
  orgId: string;
  email: string;
  role: Role;
  locale: Locale;
  tokenHash: string;
  invitedBy: string | null;
  expiresAt: Date;
  acceptedAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}

export interface ApiKey {
  id: string;
  orgId: string;
  label: string;
  prefix: string;
  createdBy: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}
