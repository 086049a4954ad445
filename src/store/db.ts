import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  SqliteDriver,
  sql,
  type DatabaseConnection,
  type Driver,
  type MigrationResultSet,
  type SqliteDialectConfig,
} from 'kysely';
import pg from 'pg';
import type { Config } from '../config.js';
import { migrationProvider } from './migrations/index.js';
import type { Database } from './tables.js';

export type Dialect = 'sqlite' | 'postgres';
export type Db = Kysely<Database>;

export interface DbHandle {
  db: Db;
  dialect: Dialect;
  /** Underlying better-sqlite3 handle (SQLite only): used for online backups. */
  sqlite?: SQLite.Database;
  /** Connection string (PostgreSQL only): pg-boss opens its own pool from it. */
  postgresUrl?: string;
  close(): Promise<void>;
}

/**
 * Write transactions take the SQLite write lock up front (BEGIN IMMEDIATE). A deferred transaction that reads,
 * then writes while another process (the worker) holds the lock fails at once with SQLITE_BUSY instead of
 * waiting for busy_timeout.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}
class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

// PostgreSQL returns int8 as string; we never store int8, but counts come back as int8.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

/** Open the database chosen by config. SQLite: WAL, foreign keys, busy timeout, 8 KiB pages. */
export function openDatabase(dbConfig: Config['db'], options: { poolSize?: number } = {}): DbHandle {
  if (dbConfig.dialect === 'sqlite') {
    fs.mkdirSync(path.dirname(dbConfig.file), { recursive: true });
    const sqlite = new SQLite(dbConfig.file);
    sqlite.pragma('page_size = 8192');
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: sqlite }) });
    return { db, dialect: 'sqlite', sqlite, close: () => db.destroy() };
  }
  const pool = new pg.Pool({ connectionString: dbConfig.url, max: options.poolSize ?? 10 });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', postgresUrl: dbConfig.url, close: () => db.destroy() };
}

/** Apply every pending migration. Never throws: the result carries the error (Kysely's pattern). */
export async function migrateToLatest(db: Db): Promise<MigrationResultSet> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  return migrator.migrateToLatest();
}

/** True once the database answers a trivial query. */
export async function pingDatabase(db: Db): Promise<boolean> {
  try {
    await sql`select 1 as ok`.execute(db);
    return true;
  } catch {
    return false;
  }
}
