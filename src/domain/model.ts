/** Domain types. Plain data; rows are mapped to these in `src/store`. */

export type Locale = 'fr' | 'en';
export const LOCALES: readonly Locale[] = ['fr', 'en'];
export function isLocale(v: unknown): v is Locale {
  return v === 'fr' || v === 'en';
}

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

export interface User {
  id: string;
  displayName: string;
  locale: Locale;
  passwordHash: string | null;
  isPlatformAdmin: boolean;
  createdAt: Date;
}

export interface UserEmail {
  id: string;
  userId: string;
  email: string;
  isPrimary: boolean;
  verifiedAt: Date | null;
  createdAt: Date;
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

export interface Session {
  idHash: string;
  userId: string;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  reauthenticatedAt: Date;
}

export type CodePurpose = 'signup' | 'add_email';

export interface EmailCode {
  id: string;
  purpose: CodePurpose;
  email: string;
  userId: string | null;
  codeHash: string;
  attempts: number;
  payload: Record<string, unknown> | null;
  expiresAt: Date;
  consumedAt: Date | null;
}

export interface Throttle {
  key: string;
  failures: number;
  windowStartedAt: Date;
  blockedUntil: Date | null;
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

export interface AuditEvent {
  id: string;
  at: Date;
  orgId: string | null;
  actorUserId: string | null;
  actorApiKeyId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  requestId: string | null;
  details: Record<string, unknown> | null;
}

/** Every kind of e-mail Sceau sends, with the parameters its template needs. */
export interface MailParams {
  'signup.code': { name: string; code: string };
  'signup.existing': { name: string; signInUrl: string; resetUrl: string };
  'email.add-code': { name: string; code: string };
  'email.added-notice': { name: string; email: string };
  'password.reset': { name: string; resetUrl: string };
  'password.changed': { name: string };
  'invitation': { orgName: string; inviterName: string; role: Role; acceptUrl: string };
  /** A credential was issued: the holder link (with its token), and the template's own texts already merged (or ''). */
  'credential.issued': { name: string; orgName: string; credentialName: string; link: string; inAccount: number; customSubject: string; customBody: string };
}
export type MailKind = keyof MailParams;

export interface OutgoingMail<K extends MailKind = MailKind> {
  kind: K;
  to: string;
  locale: Locale;
  params: MailParams[K];
}

export type MailStatus = 'queued' | 'sent' | 'local' | 'dead';

export interface OutboxMail {
  id: string;
  idempotencyKey: string;
  kind: MailKind;
  to: string;
  locale: Locale;
  subject: string;
  status: MailStatus;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

/** Who is acting: a signed-in person, an organisation API key, or the operator's CLI. */
export type Actor =
  | { kind: 'user'; userId: string; isPlatformAdmin: boolean; ip?: string | null; requestId?: string | null }
  | { kind: 'apiKey'; apiKeyId: string; orgId: string; ip?: string | null; requestId?: string | null }
  | { kind: 'system'; requestId?: string | null };
