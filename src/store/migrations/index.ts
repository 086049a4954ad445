import type { Migration, MigrationProvider } from 'kysely';
import * as foundation from './2026-11-22T19-00_foundation.js';
import * as issuing from './2026-11-22T20-00_issuing.js';

/** Every migration, in order. Names are timestamps; never rename or edit a shipped one. */
const MIGRATIONS: Record<string, Migration> = {
  '2026-11-22T19-00_foundation': foundation,
  '2026-11-22T20-00_issuing': issuing,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
