import { type Kysely, sql } from 'kysely';

/**
 * Credential templates (versioned: a save never changes what was already issued), awards (one per credential
 * issued from a template: recipient, delivery, holder link), and bulk issuance jobs with their rows.
 * Frozen once shipped. Portable types only (text ids and ISO dates, integers, JSON as text).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('templates')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('public_id', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('mapping', 'text')
    .addColumn('rules', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('archived_at', 'text')
    .execute();
  await db.schema.createIndex('templates_org_idx').on('templates').columns(['org_id', 'status', 'updated_at']).execute();

  await db.schema
    .createTable('template_versions')
    .addColumn('template_id', 'text', (c) => c.notNull().references('templates.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('template_versions_pk', ['template_id', 'version'])
    .execute();

  await db.schema
    .createTable('issuance_jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('template_id', 'text', (c) => c.notNull().references('templates.id'))
    .addColumn('template_version', 'integer', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('filename', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('headers', 'text')
    .addColumn('mapping', 'text')
    .addColumn('total_rows', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('issued_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('queued_at', 'text')
    .addColumn('heartbeat_at', 'text')
    .addColumn('completed_at', 'text')
    .execute();
  await db.schema.createIndex('issuance_jobs_org_idx').on('issuance_jobs').columns(['org_id', 'created_at']).execute();

  // One row per data line of the file (row_no = its line number), raw cells kept so the mapping can change.
  await db.schema
    .createTable('issuance_rows')
    .addColumn('job_id', 'text', (c) => c.notNull().references('issuance_jobs.id').onDelete('cascade'))
    .addColumn('row_no', 'integer', (c) => c.notNull())
    .addColumn('cells', 'text', (c) => c.notNull())
    .addColumn('data', 'text')
    .addColumn('errors', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('credential_row_id', 'text')
    .addColumn('error', 'text')
    .addPrimaryKeyConstraint('issuance_rows_pk', ['job_id', 'row_no'])
    .execute();
  await db.schema.createIndex('issuance_rows_status_idx').on('issuance_rows').columns(['job_id', 'status', 'row_no']).execute();

  await db.schema
    .createTable('awards')
    .addColumn('id', 'text', (c) => c.primaryKey().references('credentials.id').onDelete('cascade'))
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('template_id', 'text', (c) => c.notNull().references('templates.id'))
    .addColumn('template_version', 'integer', (c) => c.notNull())
    .addColumn('job_id', 'text', (c) => c.references('issuance_jobs.id'))
    .addColumn('row_no', 'integer')
    .addColumn('recipient_name', 'text', (c) => c.notNull())
    .addColumn('recipient_email', 'text', (c) => c.notNull())
    .addColumn('learner_id', 'text')
    .addColumn('locale', 'text', (c) => c.notNull())
    .addColumn('fields', 'text', (c) => c.notNull())
    .addColumn('holder_user_id', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('link_token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('mail_id', 'text')
    .addColumn('opened_at', 'text')
    .addColumn('claimed_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  // A bulk row is issued at most once, whatever crashes and retries happen (C1).
  await sql`CREATE UNIQUE INDEX awards_job_row_idx ON awards (job_id, row_no) WHERE job_id IS NOT NULL`.execute(db);
  await db.schema.createIndex('awards_org_idx').on('awards').columns(['org_id', 'created_at']).execute();
  await db.schema.createIndex('awards_template_idx').on('awards').columns(['template_id', 'created_at']).execute();
  await db.schema.createIndex('awards_email_idx').on('awards').columns(['org_id', 'recipient_email']).execute();
  await db.schema.createIndex('awards_holder_idx').on('awards').column('holder_user_id').execute();
  await db.schema.createIndex('awards_mail_idx').on('awards').column('mail_id').execute();

  // Counted events per credential for the issuer's analytics (no verifier identity is ever stored).
  await db.schema
    .createTable('credential_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('template_id', 'text')
    .addColumn('credential_row_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('credential_events_tpl_idx').on('credential_events').columns(['org_id', 'template_id', 'kind', 'day']).execute();
  await db.schema.createIndex('credential_events_cred_idx').on('credential_events').columns(['credential_row_id', 'kind']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['credential_events', 'awards', 'issuance_rows', 'issuance_jobs', 'template_versions', 'templates']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
