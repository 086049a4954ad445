import type { Kysely } from 'kysely';

/**
 * Idempotency keys of the JSON API (`Idempotency-Key` header on POST, src/http/plugins/idempotency.ts).
 * One row per (organisation, key): `pending` while the first request runs, then `done` with the response to
 * replay. `fingerprint` is a keyed SHA-256 of method, path and canonical JSON body; `response_body` is sealed
 * with the master key (a response may carry a secret shown once). Rows live 24 h (`expires_at`), then the
 * worker purges them. Frozen once shipped.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('idempotency_keys')
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('response_status', 'integer')
    .addColumn('response_body', 'text')
    .addColumn('response_content_type', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['org_id', 'key'])
    .execute();
  await db.schema.createIndex('idempotency_keys_expires_idx').on('idempotency_keys').column('expires_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('idempotency_keys').execute();
}
