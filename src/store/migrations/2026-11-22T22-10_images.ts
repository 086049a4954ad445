import { type Kysely, PostgresAdapter, sql } from 'kysely';

/**
 * Images of organisations (badge artwork): PNG or JPEG bytes stored in the database (`blob` on SQLite, `bytea` on
 * PostgreSQL), at most one row per (organisation, SHA-256). The id is a random public id (it appears in URLs).
 * Frozen once shipped.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable('images')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('bytes', isPostgres ? sql`bytea` : 'blob', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('width', 'integer', (c) => c.notNull())
    .addColumn('height', 'integer', (c) => c.notNull())
    .addColumn('byte_size', 'integer', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('images_org_sha256_idx').on('images').columns(['org_id', 'sha256']).unique().execute();
  await db.schema.createIndex('images_org_created_idx').on('images').columns(['org_id', 'created_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('images').ifExists().execute();
}
