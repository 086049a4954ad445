/**
 * A throw-away PostgreSQL server for the test run, from Debian's binaries (`postgresql-15`).
 * The server refuses to run as root, so as root every command runs as the `postgres` system user.
 * Data directory, log and unix socket live in one temp directory, removed by `stop()`.
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './net.js';

const execFileAsync = promisify(execFile);

const PREFERRED_BIN_DIR = '/usr/lib/postgresql/15/bin';

export interface RunningPostgres {
  /** Superuser URL of the `postgres` database (trust auth, loopback only). */
  url: string;
  stop(): Promise<void>;
}

function findBinDir(): string {
  if (fs.existsSync(path.join(PREFERRED_BIN_DIR, 'initdb'))) return PREFERRED_BIN_DIR;
  // Another Debian major version still works for our needs (pg-boss 10 needs >= 13).
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs.readdirSync(root).filter((v) => /^\d+$/.test(v) && Number(v) >= 13 && fs.existsSync(path.join(root, v, 'bin', 'initdb')))
    : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (newest) return path.join(root, newest, 'bin');
  throw new Error(
    `PostgreSQL server binaries not found (${PREFERRED_BIN_DIR}/initdb). Install them with ` +
      '`apt-get install -y postgresql-15`, or run the SQLite tests only with TEST_DB=sqlite.',
  );
}

const isRoot = process.getuid?.() === 0;

/** [command, args] running `binary` as the postgres user when we are root. */
function asPostgresUser(binary: string, args: string[]): [string, string[]] {
  return isRoot ? ['runuser', ['-u', 'postgres', '--', binary, ...args]] : [binary, args];
}

function postgresUserIds(): { uid: number; gid: number } {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error('running as root but there is no `postgres` system user (it comes with `apt-get install -y postgresql-15`)');
  }
}

async function run(binary: string, args: string[]): Promise<void> {
  const [command, argv] = asPostgresUser(binary, args);
  try {
    await execFileAsync(command, argv, { timeout: 120_000 });
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`${path.basename(binary)} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

export async function startPostgres(): Promise<RunningPostgres> {
  const bin = findBinDir();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sceau-pg-'));
  if (isRoot) {
    const { uid, gid } = postgresUserIds();
    fs.chownSync(dir, uid, gid);
  }
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  await run(path.join(bin, 'initdb'), ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);

  // Durability is pointless for a throw-away server; the connection limit leaves room for parallel test
  // files, each with a Kysely pool and pg-boss pools.
  const serverOptions = (port: number): string =>
    [
      `-p ${port}`,
      `-k '${dir}'`,
      "-c listen_addresses='127.0.0.1'",
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=300',
    ].join(' ');
  const pgCtl = path.join(bin, 'pg_ctl');

  let port = 0;
  let lastError: unknown;
  // The port is free when picked but could be taken before the server binds it: retry a few times.
  for (let attempt = 0; attempt < 3; attempt++) {
    port = await freePort();
    try {
      await run(pgCtl, ['-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', serverOptions(port), 'start']);
      lastError = undefined;
      break;
    } catch (err) {
      lastError = err;
    }
  }
  if (lastError) {
    const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').slice(-4000) : '(no log)';
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`PostgreSQL did not start: ${(lastError as Error).message}\n--- server log ---\n${log}`);
  }

  let stopped = false;
  // Last resort if the runner exits without calling stop(): never leave a server behind.
  const onExit = (): void => {
    if (stopped) return;
    try {
      const [command, argv] = asPostgresUser(pgCtl, ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      execFileSync(command, argv, { stdio: 'ignore', timeout: 30_000 });
    } catch {
      // nothing more we can do while exiting
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', onExit);

  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      if (stopped) return;
      stopped = true;
      process.off('exit', onExit);
      try {
        await run(pgCtl, ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

const DATABASE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withAdminClient<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Create an empty database on the server of `adminUrl`; returns its URL. */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  if (!DATABASE_NAME.test(name)) throw new Error(`invalid database name ${JSON.stringify(name)}`);
  await withAdminClient(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  return databaseUrl(adminUrl, name);
}

/** Drop a database, closing any connection still open on it (e.g. left by a killed child process). */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  if (!DATABASE_NAME.test(name)) throw new Error(`invalid database name ${JSON.stringify(name)}`);
  await withAdminClient(adminUrl, async (client) => {
    // A pg pool's end() resolves before its connections are gone. Terminating them at that moment (FORCE) makes
    // a closing client emit an 'error' nobody listens to any more: give them a moment to leave first.
    const deadline = Date.now() + 3_000;
    while (Date.now() < deadline) {
      const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name]);
      if ((rows[0]?.n ?? 0) === 0) break;
      await sleep(25);
    }
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });
}
