/**
 * Test databases: a real SQLite file or a fresh PostgreSQL database per call, migrated from empty.
 * `for (const dialect of testDialects()) describe(dialect, …)` runs a suite on both (TEST_DB narrows it).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import type { Config } from '../../src/config.js';
import type { Clock } from '../../src/domain/shared/ports.js';
import { migrateToLatest, openDatabase, type DbHandle } from '../../src/store/db.js';
import { createDatabase, dropDatabase } from './postgres.js';

export type TestDialect = 'sqlite' | 'postgres';

export function testDialects(): TestDialect[] {
  const only = process.env.TEST_DB;
  if (only === undefined || only === '') return ['sqlite', 'postgres'];
  if (only === 'sqlite' || only === 'postgres') return [only];
  throw new Error(`TEST_DB must be "sqlite", "postgres" or unset (both), got ${JSON.stringify(only)}`);
}

export type TestDb = DbHandle & {
  /** How to open this database again (a second connection, a child process). */
  config: Config['db'];
  /** Close the handle and delete the file / drop the database. */
  cleanup(): Promise<void>;
};

async function migrate(handle: DbHandle): Promise<void> {
  const { error, results } = await migrateToLatest(handle.db);
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    await handle.close();
    const reason = error instanceof Error ? error.message : String(error ?? `migration ${failed?.migrationName} failed`);
    throw new Error(`test database migration failed: ${reason}`, { cause: error });
  }
}

/** `close()` may be called by the test and again by cleanup(): a pg pool cannot be ended twice. */
function onceOnly(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => (closing ??= close());
}

export async function createTestDb(dialect: TestDialect): Promise<TestDb> {
  if (dialect === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sceau-test-'));
    const config: Config['db'] = { dialect: 'sqlite', file: path.join(dir, 'sceau.db') };
    return migrated(config, openDatabase(config), async () => fs.rmSync(dir, { recursive: true, force: true }));
  }

  const adminUrl = inject('postgresUrl');
  if (!adminUrl) {
    throw new Error('no PostgreSQL test server: the global setup did not start one (TEST_DB=sqlite?)');
  }
  const name = `sceau_test_${randomBytes(8).toString('hex')}`;
  const url = await createDatabase(adminUrl, name);
  const config: Config['db'] = { dialect: 'postgres', url };
  return migrated(config, openDatabase(config, { poolSize: 5 }), () => dropDatabase(adminUrl, name));
}

/** Migrates a freshly opened database; `remove` deletes it (after a failed migration, or at cleanup once closed). */
async function migrated(config: Config['db'], handle: DbHandle, remove: () => Promise<void>): Promise<TestDb> {
  const close = onceOnly(handle.close);
  try {
    await migrate(handle);
  } catch (err) {
    await remove();
    throw err;
  }
  return {
    ...handle,
    close,
    config,
    async cleanup() {
      await close();
      await remove();
    },
  };
}

export interface FixedClock extends Clock {
  /** Move time forward (or back, with a negative value). */
  advance(ms: number): void;
  set(date: Date): void;
}

/** A clock that only moves when told to. */
export function fixedClock(start: Date = new Date('2026-01-15T09:00:00.000Z')): FixedClock {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advance(ms) {
      current += ms;
    },
    set(date) {
      current = date.getTime();
    },
  };
}
