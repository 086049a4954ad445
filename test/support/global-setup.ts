/**
 * Vitest global setup: one throw-away PostgreSQL server for the whole run (each test creates its own
 * database on it, see db.ts). Skipped with TEST_DB=sqlite.
 */
import type { TestProject } from 'vitest/node';
import { startPostgres } from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the test server's `postgres` database; absent with TEST_DB=sqlite. */
    postgresUrl?: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const only = process.env.TEST_DB;
  if (only !== undefined && only !== '' && only !== 'sqlite' && only !== 'postgres') {
    throw new Error(`TEST_DB must be "sqlite", "postgres" or unset (both), got ${JSON.stringify(only)}`);
  }
  if (only === 'sqlite') return async () => undefined;
  const server = await startPostgres();
  project.provide('postgresUrl', server.url);
  return async () => {
    await server.stop();
  };
}
