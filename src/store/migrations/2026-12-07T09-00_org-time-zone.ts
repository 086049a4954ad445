import type { Kysely } from 'kysely';

/**
 * The time zone of an organisation (IANA name such as `Europe/Brussels`): its pages and e-mails show local times.
 * Existing organisations get `Europe/Paris`. Credentials themselves keep UTC. Frozen once shipped.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('organizations').addColumn('time_zone', 'text', (c) => c.notNull().defaultTo('Europe/Paris')).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('organizations').dropColumn('time_zone').execute();
}
