/** Kysely table interfaces. Rows never leave `src/store`: repositories map them to domain types. */
import type { Insertable, Selectable } from 'kysely';

export interface OrganizationsTable {
  id: string;
  slug: string;
  name: string;
  logo_url: string | null;
  languages: string;
  parent_id: string | null;
  created_at: string;
  /** IANA time zone; `Europe/Paris` by default (migration 2026-12-07). */
  time_zone: string;
}
export interface UsersTable {
  id: string;
  display_name: string;
  locale: string;
  password_hash: string | null;
  is_platform_admin: number;
  created_at: string;
}
export interface UserEmailsTable {
  id: string;
  user_id: string;
  email: string;
  is_primary: number;
  verified_at: string | null;
  created_at: string;
}
export interface MembershipsTable {
  org_id: string;
  user_id: string;
  role: string;
  created_at: string;
}
export interface SessionsTable {
  id_hash: string;
  user_id: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  reauthenticated_at: string;
}
export interface EmailCodesTable {
  id: string;
  purpose: string;
  email: string;
  user_id: string | null;
  code_hash: string;
  attempts: number;
  payload: string | null;
  expires_at: string;
  consumed_at: string | null;
  created_at: string;
}
export interface ThrottlesTable {
  key: string;
  failures: number;
  window_started_at: string;
  blocked_until: string | null;
}
export interface PasswordResetsTable {
  token_hash: string;
  user_id: string;
  expires_at: string;
  used_at: string | null;
  created_at: string;
}
export interface InvitationsTable {
  id: string;
  org_id: string;
  email: string;
  role: string;
  locale: string;
  token_hash: string;
  invited_by: string | null;
  expires_at: string;
  accepted_at: string | null;
  revoked_at: string | null;
  created_at: string;
}
export interface ApiKeysTable {
  id: string;
  org_id: string;
  label: string;
  prefix: string;
  key_hash: string;
  created_by: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}
export interface AuditEventsTable {
  id: string;
  at: string;
  org_id: string | null;
  actor_user_id: string | null;
  actor_api_key_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  request_id: string | null;
  details: string | null;
}
export interface MailOutboxTable {
  id: string;
  idempotency_key: string;
  kind: string;
  to_address: string;
  locale: string;
  subject: string;
  body_enc: string;
  status: string;
  attempts: number;
  last_error: string | null;
  created_at: string;
  sent_at: string | null;
}
export interface JobsTable {
  id: string;
  name: string;
  payload: string;
  status: string;
  singleton_key: string | null;
  attempts: number;
  max_attempts: number;
  run_at: string;
  locked_until: string | null;
  locked_by: string | null;
  last_error: string | null;
  created_at: string;
  finished_at: string | null;
}

export interface IssuerKeysTable {
  id: string;
  org_id: string;
  public_key_multibase: string;
  secret_key_sealed: string;
  created_at: string;
  retired_at: string | null;
}
export interface IssuerProfilesTable {
  org_id: string;
  url: string | null;
  email: string | null;
  description: string | null;
  updated_at: string;
}
export interface StatusListsTable {
  id: string;
  org_id: string;
  key_id: string;
  purpose: string;
  length: number;
  capacity: number;
  allocated: number;
  revision: number;
  signed_revision: number;
  signed_document: string | null;
  signed_at: string | null;
  created_at: string;
  full_at: string | null;
}
export interface StatusEntriesTable {
  list_id: string;
  idx: number;
  created_at: string;
}
export interface CredentialsTable {
  id: string;
  org_id: string;
  key_id: string;
  credential_id: string;
  types: string;
  format: string;
  document: string;
  jwt: string | null;
  recipient_hash: string | null;
  status_list_id: string | null;
  status_index: number | null;
  valid_from: string | null;
  valid_until: string | null;
  revoked_at: string | null;
  suspended_at: string | null;
  created_at: string;
}

export interface IdempotencyKeysTable {
  org_id: string;
  key: string;
  fingerprint: string;
  state: string;
  response_status: number | null;
  response_body: string | null;
  response_content_type: string | null;
  created_at: string;
  expires_at: string;
}

export interface WebhooksTable {
  id: string;
  org_id: string;
  url: string;
  secret_sealed: string;
  events: string;
  created_by: string | null;
  created_at: string;
  disabled_at: string | null;
}
export interface WebhookDeliveriesTable {
  id: string;
  webhook_id: string;
  org_id: string;
  event_id: string;
  event_type: string;
  payload: string;
  status: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
  delivered_at: string | null;
  created_at: string;
}

export interface TemplatesTable {
  id: string;
  org_id: string;
  public_id: string;
  kind: string;
  status: string;
  version: number;
  mapping: string | null;
  rules: string | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
  archived_at: string | null;
}
export interface TemplateVersionsTable {
  template_id: string;
  version: number;
  content: string;
  created_by: string | null;
  created_at: string;
}
export interface IssuanceJobsTable {
  id: string;
  org_id: string;
  template_id: string;
  template_version: number;
  source: string;
  filename: string | null;
  status: string;
  headers: string | null;
  mapping: string | null;
  total_rows: number;
  issued_count: number;
  failed_count: number;
  created_by: string | null;
  created_at: string;
  updated_at: string;
  queued_at: string | null;
  heartbeat_at: string | null;
  completed_at: string | null;
}
export interface IssuanceRowsTable {
  job_id: string;
  row_no: number;
  cells: string;
  data: string | null;
  errors: string | null;
  status: string;
  credential_row_id: string | null;
  error: string | null;
}
export interface AwardsTable {
  id: string;
  org_id: string;
  template_id: string;
  template_version: number;
  job_id: string | null;
  row_no: number | null;
  recipient_name: string;
  recipient_email: string;
  learner_id: string | null;
  locale: string;
  fields: string;
  holder_user_id: string | null;
  link_token_hash: string;
  mail_id: string | null;
  opened_at: string | null;
  claimed_at: string | null;
  created_at: string;
}
export interface CredentialEventsTable {
  id: string;
  org_id: string;
  template_id: string | null;
  credential_row_id: string;
  kind: string;
  day: string;
  created_at: string;
}

export interface ImagesTable {
  id: string;
  org_id: string;
  content_type: string;
  bytes: Buffer;
  sha256: string;
  width: number;
  height: number;
  byte_size: number;
  created_by: string | null;
  created_at: string;
}

export interface ResultsTable {
  id: string;
  org_id: string;
  learner_email: string;
  learner_name: string;
  learner_id: string | null;
  activity: string;
  score: number | null;
  passed: number | null;
  occurred_at: string;
  source: string;
  fingerprint: string;
  received_at: string;
}
export interface IssuanceDecisionsTable {
  id: string;
  org_id: string;
  template_id: string;
  learner_email: string;
  learner_name: string;
  learner_id: string | null;
  result_id: string | null;
  decision: string;
  reason: string | null;
  details: string | null;
  score: number | null;
  due_at: string | null;
  award_id: string | null;
  created_at: string;
  decided_at: string | null;
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
  templates: TemplatesTable;
  template_versions: TemplateVersionsTable;
  issuance_jobs: IssuanceJobsTable;
  issuance_rows: IssuanceRowsTable;
  awards: AwardsTable;
  credential_events: CredentialEventsTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  idempotency_keys: IdempotencyKeysTable;
  images: ImagesTable;
  results: ResultsTable;
  issuance_decisions: IssuanceDecisionsTable;
}

export type OrganizationRow = Selectable<OrganizationsTable>;
export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
