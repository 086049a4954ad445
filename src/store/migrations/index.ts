import type { Migration, MigrationProvider } from 'kysely';
import * as foundation from './2026-11-22T19-00_foundation.js';
import * as issuing from './2026-11-22T20-00_issuing.js';
import * as templates from './2026-11-22T22-00_templates.js';
import * as images from './2026-11-22T22-10_images.js';
import * as webhooks from './2026-11-22T22-20_webhooks.js';
import * as idempotency from './2026-11-22T22-30_idempotency.js';
import * as results from './2026-11-22T22-40_results.js';
import * as orgTimeZone from './2026-12-07T09-00_org-time-zone.js';

/** Every migration, in order. Names are timestamps; never rename or edit a shipped one. */
const MIGRATIONS: Record<string, Migration> = {
  '2026-11-22T19-00_foundation': foundation,
  '2026-11-22T20-00_issuing': issuing,
  '2026-11-22T22-00_templates': templates,
  '2026-11-22T22-10_images': images,
  '2026-11-22T22-20_webhooks': webhooks,
  '2026-11-22T22-30_idempotency': idempotency,
  '2026-11-22T22-40_results': results,
  '2026-12-07T09-00_org-time-zone': orgTimeZone,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
