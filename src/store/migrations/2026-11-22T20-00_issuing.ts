import { type Kysely, sql } from 'kysely';

/**
 * Issuing side of the credential engine: organisation issuer keys (sealed secret keys), public issuer profile
 * details, W3C Bitstring Status Lists with their reserved indexes, and issued credentials (stored verbatim).
 * Frozen once shipped. Portable types only (text ids and ISO dates, integers, JSON as text).
 *
 * Organisations created before this migration get their key lazily (first use) or at start
 * (`ensureIssuerKeys`): a migration has no master key to seal one with.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('issuer_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('public_key_multibase', 'text', (c) => c.notNull().unique())
    .addColumn('secret_key_sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('retired_at', 'text')
    .execute();
  await db.schema.createIndex('issuer_keys_org_idx').on('issuer_keys').columns(['org_id', 'created_at']).execute();
  // At most one current (signing) key per organisation.
  await sql`CREATE UNIQUE INDEX issuer_keys_current_idx ON issuer_keys (org_id) WHERE retired_at IS NULL`.execute(db);

  await db.schema
    .createTable('issuer_profiles')
    .addColumn('org_id', 'text', (c) => c.primaryKey().references('organizations.id').onDelete('cascade'))
    .addColumn('url', 'text')
    .addColumn('email', 'text')
    .addColumn('description', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('status_lists')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('key_id', 'text', (c) => c.notNull().references('issuer_keys.id'))
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('length', 'integer', (c) => c.notNull())
    .addColumn('capacity', 'integer', (c) => c.notNull())
    .addColumn('allocated', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('revision', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('signed_revision', 'integer', (c) => c.notNull().defaultTo(-1))
    .addColumn('signed_document', 'text')
    .addColumn('signed_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('full_at', 'text')
    .execute();
  await db.schema.createIndex('status_lists_org_idx').on('status_lists').column('org_id').execute();
  // One open list per key and purpose; a new one opens when it fills.
  await sql`CREATE UNIQUE INDEX status_lists_open_idx ON status_lists (key_id, purpose) WHERE full_at IS NULL`.execute(db);

  // Reserved indexes (random, unique per list). A reservation whose credential was never stored keeps its bit at 0.
  await db.schema
    .createTable('status_entries')
    .addColumn('list_id', 'text', (c) => c.notNull().references('status_lists.id').onDelete('cascade'))
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('status_entries_pk', ['list_id', 'idx'])
    .execute();

  await db.schema
    .createTable('credentials')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('key_id', 'text', (c) => c.notNull().references('issuer_keys.id'))
    .addColumn('credential_id', 'text', (c) => c.notNull())
    .addColumn('types', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('jwt', 'text')
    .addColumn('recipient_hash', 'text')
    .addColumn('status_list_id', 'text', (c) => c.references('status_lists.id'))
    .addColumn('status_index', 'integer')
    .addColumn('valid_from', 'text')
    .addColumn('valid_until', 'text')
    .addColumn('revoked_at', 'text')
    .addColumn('suspended_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('credentials_credential_id_idx').on('credentials').columns(['credential_id', 'org_id']).execute();
  await db.schema.createIndex('credentials_org_idx').on('credentials').columns(['org_id', 'created_at']).execute();
  await sql`CREATE UNIQUE INDEX credentials_status_idx ON credentials (status_list_id, status_index) WHERE status_list_id IS NOT NULL`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['credentials', 'status_entries', 'status_lists', 'issuer_profiles', 'issuer_keys']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
