/** Kysely table interfaces. Rows never leave `src/store`: repositories map them to domain types. */
import type { Insertable, Selectable } from 'kysely';

export interface OrganizationsTable {
  id: string; slug: string; name: string; logo_url: string | null; languages: string;
  parent_id: string | null; created_at: string;
}
export interface UsersTable {
  id: string; display_name: string; locale: string; password_hash: string | null;
  is_platform_admin: number; created_at: string;
}
export interface UserEmailsTable {
  id: string; user_id: string; email: string; is_primary: number; verified_at: string | null; created_at: string;
}
export interface MembershipsTable { org_id: string; user_id: string; role: string; created_at: string }
export interface SessionsTable {
  id_hash: string; user_id: string; created_at: string; last_seen_at: string; expires_at: string; reauthenticated_at: string;
}
export interface EmailCodesTable {
  id: string; purpose: string; email: string; user_id: string | null; code_hash: string; attempts: number;
  payload: string | null; expires_at: string; consumed_at: string | null; created_at: string;
}
export interface ThrottlesTable { key: string; failures: number; window_started_at: string; blocked_until: string | null }
export interface PasswordResetsTable {
  token_hash: string; user_id: string; expires_at: string; used_at: string | null; created_at: string;
}
export interface InvitationsTable {
  id: string; org_id: string; email: string; role: string; locale: string; token_hash: string; invited_by: string | null;
  expires_at: string; accepted_at: string | null; revoked_at: string | null; created_at: string;
}
export interface ApiKeysTable {
  id: string; org_id: string; label: string; prefix: string; key_hash: string; created_by: string | null;
  created_at: string; last_used_at: string | null; revoked_at: string | null;
}
export interface AuditEventsTable {
  id: string; at: string; org_id: string | null; actor_user_id: string | null; actor_api_key_id: string | null;
  action: string; target_type: string | null; target_id: string | null; ip: string | null; request_id: string | null;
  details: string | null;
}
export interface MailOutboxTable {
  id: string; idempotency_key: string; kind: string; to_address: string; locale: string; subject: string;
  body_enc: string; status: string; attempts: number; last_error: string | null; created_at: string; sent_at: string | null;
}
export interface JobsTable {
  id: string; name: string; payload: string; status: string; singleton_key: string | null; attempts: number;
  max_attempts: number; run_at: string; locked_until: string | null; locked_by: string | null; last_error: string | null;
  created_at: string; finished_at: string | null;
}

export interface IssuerKeysTable {
  id: string; org_id: string; public_key_multibase: string; secret_key_sealed: string; created_at: string; retired_at: string | null;
}
export interface IssuerProfilesTable { org_id: string; url: string | null; email: string | null; description: string | null; updated_at: string }
export interface StatusListsTable {
  id: string; org_id: string; key_id: string; purpose: string; length: number; capacity: number; allocated: number;
  revision: number; signed_revision: number; signed_document: string | null; signed_at: string | null; created_at: string;
  full_at: string | null;
}
export interface StatusEntriesTable { list_id: string; idx: number; created_at: string }
export interface CredentialsTable {
  id: string; org_id: string; key_id: string; credential_id: string; types: string; format: string; document: string;
  jwt: string | null; recipient_hash: string | null; status_list_id: string | null; status_index: number | null;
  valid_from: string | null; valid_until: string | null; revoked_at: string | null; suspended_at: string | null; created_at: string;
}

export interface Database {
  organizations: OrganizationsTable;
  users: UsersTable;
  user_emails: UserEmailsTable;
  memberships: MembershipsTable;
  sessions: SessionsTable;
  email_codes: EmailCodesTable;
  throttles: ThrottlesTable;
  password_resets: PasswordResetsTable;
  invitations: InvitationsTable;
  api_keys: ApiKeysTable;
  audit_events: AuditEventsTable;
  mail_outbox: MailOutboxTable;
  jobs: JobsTable;
  issuer_keys: IssuerKeysTable;
  issuer_profiles: IssuerProfilesTable;
  status_lists: StatusListsTable;
  status_entries: StatusEntriesTable;
  credentials: CredentialsTable;
}

export type OrganizationRow = Selectable<OrganizationsTable>;
export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
