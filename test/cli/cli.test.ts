/**
 * The operator CLI as a real child process: `node --import tsx src/cli/index.ts …` with SCEAU_DATA_DIR=<tmp>
 * (SQLite) and LOG_LEVEL=warn, plus one run through `npm run sceau` on the built dist/. What the CLI creates is
 * checked in the database file and by the application itself, built in-process on the same data directory
 * (sign-in with the password the CLI set, the API key it printed). Every bad invocation must exit non-zero with
 * a clear message and change nothing. Optional: `backup` on PostgreSQL with pg_dump -Fc (skipped without it).
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import SQLite from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compose, type Container } from '../../src/compose.js';
import { loadConfig } from '../../src/config.js';
import { buildApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { Agent } from '../support/app.js';
import { createTestDb, testDialects } from '../support/db.js';
import { createDatabase, dropDatabase } from '../support/postgres.js';

const execFileAsync = promisify(execFile);
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI_TIMEOUT_MS = 90_000;
const ADMIN_PASSWORD_LINE = /^password \(shown once\): (\S{20})$/m;
const API_KEY = /^sceau_[A-Za-z0-9_-]{43}$/;

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A minimal, explicit environment: nothing from the test runner (DATABASE_URL, TEST_DB…) leaks in. */
function cliEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? os.tmpdir(),
    ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
    SCEAU_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    DEFAULT_LOCALE: 'en',
    ...extra,
  };
}

/** Runs the CLI from source in `cwd` (default: the checkout); stdin gets `input` (or is closed at once). */
function runCli(args: string[], options: { dataDir: string; input?: string; env?: Record<string, string>; cwd?: string }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', path.join(REPO, 'node_modules/tsx/dist/loader.mjs'), path.join(REPO, 'src/cli/index.ts'), ...args], {
      cwd: options.cwd ?? REPO,
      env: cliEnv(options.dataDir, options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), CLI_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => undefined); // the CLI may exit before reading stdin
    child.stdin.end(options.input ?? '');
  });
}

/** Runs `tasks` with at most `limit` at a time (each CLI start costs a few seconds of CPU on 2 cores). */
async function pool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, tasks.length) }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]!();
      }
    }),
  );
  return results;
}

function describeResult(r: CliResult): string {
  return `exit ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

function expectSuccess(r: CliResult): void {
  expect(r.code, describeResult(r)).toBe(0);
  expect(r.stderr, describeResult(r)).toBe('');
}

/** Row count of every table of a SQLite file (read-only connection). */
function sqliteRowCounts(file: string): Record<string, number> {
  const db = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[];
    return Object.fromEntries(tables.map(({ name }) => [name, (db.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n]));
  } finally {
    db.close();
  }
}

function sqliteQuery<T>(file: string, query: string, ...params: unknown[]): T[] {
  const db = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(query).all(...params) as T[];
  } finally {
    db.close();
  }
}

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** The application on the CLI's data directory, built in-process like `npm start` builds it. */
async function withApp<T>(dataDir: string, fn: (app: FastifyInstance, container: Container) => Promise<T>): Promise<T> {
  const config = loadConfig({ SCEAU_DATA_DIR: dataDir, LOG_LEVEL: 'warn', SCEAU_SEED_DEMO: 'false', SCEAU_START_WORKER: 'false' });
  const container = await compose(config, { role: 'web', logger: createLogger({ level: 'silent' }) });
  const app = await buildApp(container.deps);
  await app.ready();
  try {
    return await fn(app, container);
  } finally {
    await app.close();
    await container.close();
  }
}

describe('operator CLI (SQLite, child process)', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sceau-cli-'));
  const dataDir = path.join(root, 'data');
  const dbFile = path.join(dataDir, 'sceau.db');
  let generatedAdminPassword = '';
  let apiKey = '';

  afterAll(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('migrate: applies the migrations once, then reports the database up to date', { timeout: 240_000 }, async () => {
    const first = await runCli(['migrate'], { dataDir });
    expectSuccess(first);
    expect(first.stdout).toMatch(/^applied: \S+/);
    expect(fs.existsSync(dbFile)).toBe(true);
    expect(fs.statSync(path.join(dataDir, 'master.key')).mode & 0o077).toBe(0); // generated, owner-only
    const again = await runCli(['migrate'], { dataDir });
    expectSuccess(again);
    expect(again.stdout).toBe('database is up to date\n');
    const counts = sqliteRowCounts(dbFile);
    expect(counts['kysely_migration']).toBeGreaterThan(0);
    expect(counts['organizations']).toBe(0);
    expect(counts['users']).toBe(0);
  });

  it('org:create: an organisation, then a member centre under it with --parent', { timeout: 240_000 }, async () => {
    const network = await runCli(['org:create', '--name', 'Réseau Nord', '--slug', 'reseau-nord'], { dataDir });
    expectSuccess(network);
    expect(network.stdout).toBe('organisation created: Réseau Nord (reseau-nord)\n');
    const centre = await runCli(['org:create', '--name', 'Centre de Lille', '--slug', 'centre-lille', '--parent', 'reseau-nord', '--languages', 'fr,en'], {
      dataDir,
    });
    expectSuccess(centre);
    expect(centre.stdout).toBe('organisation created: Centre de Lille (centre-lille)\n');
    const orgs = sqliteQuery<{ id: string; slug: string; name: string; parent_id: string | null }>(
      dbFile,
      'SELECT id, slug, name, parent_id FROM organizations ORDER BY slug',
    );
    const parent = orgs.find((o) => o.slug === 'reseau-nord')!;
    expect(orgs).toEqual([
      { id: expect.any(String), slug: 'centre-lille', name: 'Centre de Lille', parent_id: parent.id },
      { id: parent.id, slug: 'reseau-nord', name: 'Réseau Nord', parent_id: null },
    ]);
  });

  it('user:create: with --org/--role (password generated and shown once) and with --password-stdin; both can sign in', { timeout: 240_000 }, async () => {
    const admin = await runCli(['user:create', '--email', 'Ada@Reseau-Nord.test', '--name', 'Ada Admin', '--org', 'reseau-nord', '--role', 'admin'], {
      dataDir,
    });
    expectSuccess(admin);
    expect(admin.stdout).toMatch(/^user created: ada@reseau-nord\.test \(admin of reseau-nord\)\n/);
    generatedAdminPassword = ADMIN_PASSWORD_LINE.exec(admin.stdout)?.[1] ?? '';
    expect(generatedAdminPassword).toHaveLength(20);

    const secret = 'a long and solid passphrase';
    const lou = await runCli(['user:create', '--email', 'lou@example.org', '--name', 'Lou Lambert', '--password-stdin', '--locale', 'en'], {
      dataDir,
      input: `${secret}\n`,
    });
    expectSuccess(lou);
    expect(lou.stdout).toBe('user created: lou@example.org\n');
    const crlfSecret = 'another solid passphrase';
    const kim = await runCli(['user:create', '--email', 'kim@example.org', '--name', 'Kim', '--password-stdin'], { dataDir, input: `${crlfSecret}\r\n` });
    expectSuccess(kim);
    expect(`${lou.stdout}${kim.stdout}`).not.toContain('passphrase');

    const users = sqliteQuery<{ email: string; locale: string; password_hash: string; role: string | null; slug: string | null }>(
      dbFile,
      `
      SELECT e.email, u.locale, u.password_hash, m.role, o.slug FROM users u JOIN user_emails e ON e.user_id = u.id
      LEFT JOIN memberships m ON m.user_id = u.id LEFT JOIN organizations o ON o.id = m.org_id ORDER BY e.email`,
    );
    expect(users.map(({ password_hash: _, ...u }) => u)).toEqual([
      { email: 'ada@reseau-nord.test', locale: 'fr', role: 'admin', slug: 'reseau-nord' },
      { email: 'kim@example.org', locale: 'fr', role: null, slug: null },
      { email: 'lou@example.org', locale: 'en', role: null, slug: null },
    ]);
    for (const u of users) expect(u.password_hash).toMatch(/^\$argon2id\$/);

    await withApp(dataDir, async (app) => {
      const ada = new Agent(app);
      await ada.signIn('ada@reseau-nord.test', generatedAdminPassword);
      expect((await ada.get('/console/reseau-nord')).statusCode).toBe(200);
      await new Agent(app).signIn('lou@example.org', secret);
      await new Agent(app).signIn('kim@example.org', crlfSecret);
      const wrong = await new Agent(app).post('/signin', { email: 'lou@example.org', password: `${secret}\n` });
      expect(wrong.statusCode).toBe(401);
    });
  });

  it('apikey:create: prints the key alone on the last line, and that key authenticates the API', { timeout: 240_000 }, async () => {
    const result = await runCli(['apikey:create', '--org', 'centre-lille', '--label', 'ci'], { dataDir });
    expectSuccess(result);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(1);
    apiKey = lines.at(-1)!;
    expect(apiKey).toMatch(API_KEY);
    expect(result.stdout.endsWith(`\n${apiKey}\n`)).toBe(true);
    expect(lines.slice(0, -1).join('\n')).not.toContain(apiKey.slice(6));

    await withApp(dataDir, async (app) => {
      const res = await app.inject({ method: 'GET', url: '/api/v1/organization', headers: { authorization: `Bearer ${apiKey}` } });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ slug: 'centre-lille', name: 'Centre de Lille', parentSlug: 'reseau-nord', languages: ['fr', 'en'] });
      const forged = await app.inject({
        method: 'GET',
        url: '/api/v1/organization',
        headers: { authorization: `Bearer ${apiKey.slice(0, -1)}${apiKey.endsWith('A') ? 'B' : 'A'}` },
      });
      expect(forged.statusCode).toBe(401);
    });
    // Only a hash is stored (A5): the key appears nowhere in the database files.
    for (const file of [dbFile, `${dbFile}-wal`].filter((f) => fs.existsSync(f))) {
      expect(fs.readFileSync(file).includes(Buffer.from(apiKey.slice(6)))).toBe(false);
    }
  });

  it('backup --to FILE: a consistent SQLite copy with the same row counts; an existing target is refused', { timeout: 240_000 }, async () => {
    const target = path.join(root, 'backups', 'sceau-backup.db');
    fs.mkdirSync(path.dirname(target));
    const before = sqliteRowCounts(dbFile);
    const result = await runCli(['backup', '--to', target], { dataDir });
    expectSuccess(result);
    expect(result.stdout).toContain(`backup written to ${target}`);
    expect(result.stdout).toMatch(/master key/);

    const sqlite3 = ['/usr/bin/sqlite3', '/usr/local/bin/sqlite3'].find((f) => fs.existsSync(f));
    if (sqlite3) {
      // Debian's sqlite3 CLI, when installed; better-sqlite3 below either way
      const { stdout } = await execFileAsync(sqlite3, [target, 'PRAGMA integrity_check;', 'PRAGMA foreign_key_check;']);
      expect(stdout).toBe('ok\n');
    }
    const copy = new SQLite(target, { readonly: true, fileMustExist: true });
    try {
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(copy.pragma('foreign_key_check')).toEqual([]);
    } finally {
      copy.close();
    }
    const counts = sqliteRowCounts(target);
    expect(counts).toEqual(before);
    expect(counts).toMatchObject({ organizations: 2, users: 3, memberships: 1, api_keys: 1 });
    expect(sqliteRowCounts(dbFile)).toEqual(before);

    // The same target again: refused, and the first backup is untouched.
    const hash = sha256(target);
    const again = await runCli(['backup', '--to', target], { dataDir });
    expect(again.code, describeResult(again)).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr).toBe(`error: The backup failed: ${target} already exists\n`);
    expect(sha256(target)).toBe(hash);
  });

  it('every bad invocation exits non-zero with a one-line message and creates nothing', { timeout: 240_000 }, async () => {
    const before = sqliteRowCounts(dbFile);
    const filesBefore = fs
      .readdirSync(dataDir)
      .filter((f) => !f.endsWith('-wal') && !f.endsWith('-shm'))
      .sort();
    type Case = { args: string[]; input?: string; code: 1 | 2; message: RegExp; env?: Record<string, string> };
    const cases: Case[] = [
      { args: ['frobnicate'], code: 2, message: /^error: unknown command "frobnicate"$/ },
      { args: ['org:create', '--name', 'X', '--slug', 'xx', '--colour', 'red'], code: 2, message: /^error: Unknown option '--colour'/ },
      { args: ['migrate', '--to', 'x.db'], code: 2, message: /^error: option --to does not apply to migrate$/ },
      { args: ['migrate', 'extra'], code: 2, message: /^error: unexpected argument "extra"$/ },
      { args: ['org:create', '--slug', 'nameless'], code: 2, message: /^error: missing required option --name$/ },
      { args: ['org:create', '--name', '  ', '--slug', 'blank'], code: 2, message: /^error: missing required option --name$/ },
      { args: ['backup'], code: 2, message: /^error: missing required option --to$/ },
      {
        args: ['user:create', '--email', 'role@example.org', '--name', 'Role', '--org', 'reseau-nord', '--role', 'boss'],
        code: 2,
        message: /^error: --role must be admin, staff or reviewer$/,
      },
      {
        args: ['user:create', '--email', 'half@example.org', '--name', 'Half', '--org', 'reseau-nord'],
        code: 2,
        message: /^error: --org and --role go together$/,
      },
      { args: ['user:create', '--email', 'half@example.org', '--name', 'Half', '--role', 'staff'], code: 2, message: /^error: --org and --role go together$/ },
      { args: ['user:create', '--email', 'loc@example.org', '--name', 'Loc', '--locale', 'de'], code: 2, message: /^error: --locale must be fr or en$/ },
      { args: ['apikey:create', '--org', 'nope'], code: 2, message: /^error: organisation "nope" not found$/ },
      {
        args: ['user:create', '--email', 'ghost@example.org', '--name', 'Ghost', '--org', 'nope', '--role', 'staff'],
        code: 2,
        message: /^error: organisation "nope" not found$/,
      },
      {
        args: ['org:create', '--name', 'Bad', '--slug', 'Bad Slug!'],
        code: 1,
        message: /^error: The identifier must be 2 to 63 lowercase letters, digits or hyphens\. \(--slug\)$/,
      },
      {
        args: ['org:create', '--name', 'Again', '--slug', 'reseau-nord'],
        code: 1,
        message: /^error: The identifier “reseau-nord” is already taken\. \(--slug\)$/,
      },
      {
        args: ['org:create', '--name', 'Orphan', '--slug', 'orphan', '--parent', 'ghost'],
        code: 1,
        message: /^error: The parent organisation does not exist\. \(--parent\)$/,
      },
      {
        args: ['org:create', '--name', 'Logo', '--slug', 'logo', '--logo-url', 'javascript:alert(1)'],
        code: 1,
        message: /^error: The web address must start with https:\/\/\. \(--logo-url\)$/,
      },
      {
        args: ['user:create', '--email', 'weak@example.org', '--name', 'Weak', '--password-stdin'],
        input: 'short\n',
        code: 1,
        message: /^error: The password must be at least 8 characters long\. \(--password-stdin\)$/,
      },
      {
        args: ['user:create', '--email', 'common@example.org', '--name', 'Common', '--password-stdin'],
        input: 'sceau2024!\n',
        code: 1,
        message: /^error: This password is too common .*\(--password-stdin\)$/,
      },
      {
        args: ['user:create', '--email', 'empty@example.org', '--name', 'Empty', '--password-stdin'],
        input: '',
        code: 1,
        message: /^error: The password must be at least 8 characters long\. \(--password-stdin\)$/,
      },
      { args: ['user:create', '--email', 'not-an-email', '--name', 'Nobody'], code: 1, message: /^error: This e-mail address is not valid\. \(--email\)$/ },
      {
        args: ['user:create', '--email', 'a@x.test\r\nBcc: b@x.test', '--name', 'Inject'],
        code: 1,
        message: /^error: This e-mail address is not valid\. \(--email\)$/,
      },
      {
        args: ['user:create', '--email', 'lou@example.org', '--name', 'Lou again', '--password-stdin'],
        input: 'yet another passphrase\n',
        code: 1,
        message: /^error: An account already exists for this address\. \(--email\)$/,
      },
      { args: ['migrate'], env: { LOG_LEVEL: 'loud' }, code: 1, message: /^Invalid configuration:$/ },
    ];
    const results = await pool(
      cases.map((c) => () => runCli(c.args, { dataDir, input: c.input, env: c.env })),
      3,
    );

    results.forEach((r, i) => {
      const c = cases[i]!;
      const label = `${c.args.join(' ')}\n${describeResult(r)}`;
      expect(r.code, label).toBe(c.code);
      expect(r.stdout, label).toBe('');
      const [first, ...rest] = r.stderr.split('\n');
      expect(first, label).toMatch(c.message);
      expect(r.stderr, label).not.toMatch(/^\s+at /m); // no stack trace
      if (c.env) {
        expect(rest.join('\n'), label).toMatch(/LOG_LEVEL/); // the configuration error lists each problem
      } else if (c.code === 1) {
        expect(rest, label).toEqual(['']); // exactly one line
      } else {
        expect(rest.slice(0, 2), label).toEqual(['', 'Usage: npm run sceau -- <command> [options]']); // then the usage
      }
    });

    expect(sqliteRowCounts(dbFile)).toEqual(before);
    expect(
      fs
        .readdirSync(dataDir)
        .filter((f) => !f.endsWith('-wal') && !f.endsWith('-shm'))
        .sort(),
    ).toEqual(filesBefore);
  });

  it('argument errors are caught before the database is opened: a fresh data directory stays empty', { timeout: 240_000 }, async () => {
    const fresh = path.join(root, 'fresh');
    fs.mkdirSync(fresh);
    const invocations = [
      ['frobnicate'],
      ['org:create', '--slug', 'nameless'],
      ['org:create', '--name', 'X', '--slug', 'x1', '--bogus'],
      ['user:create', '--email', 'x@example.org', '--name', 'X', '--org', 'reseau-nord'],
      ['user:create', '--email', 'x@example.org', '--name', 'X', '--org', 'reseau-nord', '--role', 'owner'],
      ['user:create', '--email', 'bad address', '--name', 'X'],
      ['backup'],
    ];
    const results = await pool(
      invocations.map((args) => () => runCli(args, { dataDir: fresh })),
      3,
    );
    for (const [i, r] of results.entries()) {
      expect(r.code, `${invocations[i]!.join(' ')}\n${describeResult(r)}`).not.toBe(0);
      expect(r.stderr).toMatch(/^error: /);
    }
    expect(fs.readdirSync(fresh)).toEqual([]);
  });

  it('npm run sceau -- migrate works on the built dist/', { timeout: 300_000 }, async () => {
    const build = await execFileAsync(process.execPath, ['scripts/build-if-needed.mjs'], { cwd: REPO, timeout: 240_000 }).catch(
      (err: Error & { stdout?: string; stderr?: string }) => {
        throw new Error(`build failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`);
      },
    );
    expect(build.stderr).not.toMatch(/error TS/);
    expect(fs.existsSync(path.join(REPO, 'dist', 'cli', 'index.js'))).toBe(true);
    const npmDir = path.join(root, 'npm');
    const npm = await execFileAsync('npm', ['run', '--silent', 'sceau', '--', 'migrate'], { cwd: REPO, env: cliEnv(npmDir), timeout: 240_000 });
    expect(npm.stdout).toMatch(/^applied: \S+/m);
    const again = await execFileAsync('npm', ['run', '--silent', 'sceau', '--', 'migrate'], { cwd: REPO, env: cliEnv(npmDir), timeout: 240_000 });
    expect(again.stdout).toContain('database is up to date');
    expect(sqliteRowCounts(path.join(npmDir, 'sceau.db'))['kysely_migration']).toBeGreaterThan(0);
  });
});

/** PostgreSQL: `backup` runs pg_dump -Fc; the dump restores into an empty database with the same rows. */
const pgDumpWorks = (() => {
  try {
    return fs.existsSync('/usr/lib/postgresql/15/bin/pg_dump') && testDialects().includes('postgres');
  } catch {
    return false;
  }
})();

describe('key:rotate prints the DID of BASE_URL (environment or .env of the working directory)', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sceau-cli-did-'));
  const dataDir = path.join(root, 'data');
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  /** The CLI from source, run from `root` (where a `.env` may be), with only `env` set. */
  const runIn = (args: string[], env: Record<string, string> = {}) => runCli(args, { dataDir, env, cwd: root });
  const dids = (r: CliResult) => [...r.stdout.matchAll(/(did:web:[^#\s]+)#z6Mk/g)].map((m) => m[1]);

  it('uses BASE_URL from the environment, else from .env (empty values ignored), else http://localhost:3000', { timeout: 240_000 }, async () => {
    expectSuccess(await runIn(['org:create', '--name', 'Centre', '--slug', 'centre']));
    const fromEnv = await runIn(['key:rotate', '--org', 'centre'], { BASE_URL: 'https://certs.example.org' });
    expectSuccess(fromEnv);
    expect(dids(fromEnv)).toEqual(['did:web:certs.example.org:orgs:centre', 'did:web:certs.example.org:orgs:centre']);

    // A copy of .env.example with BASE_URL filled in, as the web process reads it.
    const example = fs.readFileSync(path.join(REPO, '.env.example'), 'utf8');
    fs.writeFileSync(
      path.join(root, '.env'),
      example.replace(/^BASE_URL=.*$/m, 'BASE_URL=https://attestations.example.org:8443').replace(/^SCEAU_DATA_DIR=.*$/m, 'SCEAU_DATA_DIR='),
    );
    const fromFile = await runIn(['key:rotate', '--org', 'centre']);
    expectSuccess(fromFile);
    expect(dids(fromFile)).toEqual(['did:web:attestations.example.org%3A8443:orgs:centre', 'did:web:attestations.example.org%3A8443:orgs:centre']);
    const envWins = await runIn(['key:rotate', '--org', 'centre'], { BASE_URL: 'https://certs.example.org' });
    expect(dids(envWins)[1]).toBe('did:web:certs.example.org:orgs:centre');

    fs.rmSync(path.join(root, '.env'));
    const fallback = await runIn(['key:rotate', '--org', 'centre']);
    expect(dids(fallback)[1]).toBe('did:web:localhost%3A3000:orgs:centre');
  });
});

describe.skipIf(!pgDumpWorks)('operator CLI on PostgreSQL: backup with pg_dump', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sceau-cli-pg-'));
  let url = '';
  let cleanup: () => Promise<void> = async () => undefined;
  const env = (): Record<string, string> => ({ DATABASE_URL: url, PATH: `/usr/lib/postgresql/15/bin:${process.env.PATH ?? ''}` });

  beforeAll(async () => {
    const db = await createTestDb('postgres');
    url = db.config.dialect === 'postgres' ? db.config.url : '';
    cleanup = db.cleanup;
    await db.close(); // the CLI opens its own connections
  });
  afterAll(async () => {
    await cleanup();
    fs.rmSync(root, { recursive: true, force: true });
  });

  async function pgCounts(connectionString: string): Promise<Record<string, number>> {
    const client = new pg.Client({ connectionString });
    await client.connect();
    try {
      const { rows } = await client.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name",
      );
      const counts: Record<string, number> = {};
      for (const { table_name } of rows) counts[table_name] = Number((await client.query(`SELECT count(*) AS n FROM "${table_name}"`)).rows[0].n);
      return counts;
    } finally {
      await client.end();
    }
  }

  it('backup --to FILE writes a custom-format dump that pg_restore restores with the same row counts', { timeout: 180_000 }, async () => {
    const dataDir = path.join(root, 'data');
    expectSuccess(await runCli(['org:create', '--name', 'Réseau Sud', '--slug', 'reseau-sud'], { dataDir, env: env() }));
    expectSuccess(
      await runCli(['user:create', '--email', 'pg@example.org', '--name', 'Pg User', '--org', 'reseau-sud', '--role', 'staff'], { dataDir, env: env() }),
    );
    const before = await pgCounts(url);
    expect(before).toMatchObject({ organizations: 1, users: 1, memberships: 1 });

    const target = path.join(root, 'sceau.dump');
    const result = await runCli(['backup', '--to', target], { dataDir, env: env() });
    expectSuccess(result);
    expect(fs.readFileSync(target).subarray(0, 5).toString('latin1')).toBe('PGDMP'); // custom format
    const refused = await runCli(['backup', '--to', target], { dataDir, env: env() });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`error: The backup failed: ${target} already exists\n`);

    const adminUrl = new URL(url);
    adminUrl.pathname = '/postgres';
    const restoredName = `sceau_restore_${Date.now().toString(36)}`;
    const restoredUrl = await createDatabase(adminUrl.toString(), restoredName);
    try {
      await execFileAsync('/usr/lib/postgresql/15/bin/pg_restore', ['--no-owner', '--exit-on-error', '-d', restoredUrl, target], { timeout: 120_000 });
      expect(await pgCounts(restoredUrl)).toEqual(before);
    } finally {
      await dropDatabase(adminUrl.toString(), restoredName);
    }
  });
});
