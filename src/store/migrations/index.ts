import type { Migration, MigrationProvider } from 'kysely';
import * as foundation from './2026-11-22T19-00_foundation.js';

/** Every migration, in order. Names are timestamps; never rename or edit a shipped one. */
const MIGRATIONS: Record<string, Migration> = {
  '2026-11-22T19-00_foundation': foundation,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
