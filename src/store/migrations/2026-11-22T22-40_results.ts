import { type Kysely, sql } from 'kysely';

/**
 * Automatic issuance from results. Frozen once shipped. Portable types only (text ids and ISO dates, integers, reals,
 * JSON as text). The rules of a template live in the existing `templates.rules` column (JSON text).
 *
 * - `results`: what the API or a CSV import received. `fingerprint` (SHA-256 of e-mail, activity, date, score and
 *   outcome) makes a re-delivered identical result a no-op.
 * - `issuance_decisions`: every evaluation of a template's rules for a learner. At most ONE `pending` decision per
 *   (template, learner): the partial unique index is the guard that keeps re-deliveries, retries and concurrent
 *   requests from issuing twice.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('results')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('learner_email', 'text', (c) => c.notNull())
    .addColumn('learner_name', 'text', (c) => c.notNull())
    .addColumn('learner_id', 'text')
    .addColumn('activity', 'text', (c) => c.notNull())
    .addColumn('score', 'double precision')
    .addColumn('passed', 'integer')
    .addColumn('occurred_at', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('results_fingerprint_uq', ['org_id', 'fingerprint'])
    .execute();
  await db.schema.createIndex('results_learner_idx').on('results').columns(['org_id', 'learner_email', 'activity']).execute();

  await db.schema
    .createTable('issuance_decisions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('template_id', 'text', (c) => c.notNull().references('templates.id').onDelete('cascade'))
    .addColumn('learner_email', 'text', (c) => c.notNull())
    .addColumn('learner_name', 'text', (c) => c.notNull())
    .addColumn('learner_id', 'text')
    .addColumn('result_id', 'text')
    .addColumn('decision', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('details', 'text')
    .addColumn('score', 'double precision')
    .addColumn('due_at', 'text')
    .addColumn('award_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('decided_at', 'text')
    .execute();
  await sql`CREATE UNIQUE INDEX issuance_decisions_pending_uq ON issuance_decisions (template_id, learner_email) WHERE decision = 'pending'`.execute(db);
  // The sweeper (due pending decisions) and the holder's "pending" list.
  await sql`CREATE INDEX issuance_decisions_due_idx ON issuance_decisions (due_at) WHERE decision = 'pending'`.execute(db);
  await sql`CREATE INDEX issuance_decisions_email_idx ON issuance_decisions (learner_email) WHERE decision = 'pending'`.execute(db);
  // The decision log of an organisation, newest first (keyset on created_at, id).
  await db.schema.createIndex('issuance_decisions_org_idx').on('issuance_decisions').columns(['org_id', 'created_at', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('issuance_decisions').ifExists().execute();
  await db.schema.dropTable('results').ifExists().execute();
}
