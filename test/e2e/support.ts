/**
 * End-to-end support: a REAL Sceau server process started the way a user starts it (`npm start` ⇒ build if
 * needed, then `node dist/main.js`), Debian's Chromium driven by playwright-core (never a downloaded browser),
 * and axe-core for accessibility checks.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, type BrowserContextOptions, type Page, type Response, chromium } from 'playwright-core';
import { inject } from 'vitest';
import type { TestDialect } from '../support/db.js';
import { freePort } from '../support/net.js';
import { createDatabase, dropDatabase } from '../support/postgres.js';
import { buildIfNeeded } from './global-build.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEMO_ADMIN_EMAIL = 'admin@institut-demo.example';
export const DEMO_ORG_NAME = 'Institut Démo';
export const DEMO_ORG_SLUG = 'institut-demo';
const CHROMIUM = '/usr/bin/chromium';

// ---------------------------------------------------------------------------------------------------------------
// Build and server
// ---------------------------------------------------------------------------------------------------------------

let built = false;

/**
 * `npm start`'s prestart step: builds dist/ when src/ is newer. The e2e global setup runs it once for the whole
 * run; without it (another config), once per test process.
 */
export function ensureBuilt(): void {
  if (built) return;
  let builtByGlobalSetup = false;
  try {
    builtByGlobalSetup = inject('e2eBuilt') === true;
  } catch {
    // not inside a vitest worker
  }
  if (!builtByGlobalSetup) buildIfNeeded();
  built = true;
}

export interface RunningServer {
  /** Base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string;
  /** The demo admin's password, read from the first-start banner on stdout. */
  adminPassword: string;
  dataDir: string;
  /** Everything the process wrote so far (stdout and stderr), for diagnostics. */
  output(): string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
// Last resort if the test process dies without teardown: never leave a server (or its worker) behind.
process.on('exit', () => {
  for (const child of running) {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
  });
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function stopChild(child: ChildProcess): Promise<void> {
  if (!child.pid) return;
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const done = await Promise.race([exited(child).then(() => true), delay(5_000).then(() => false)]);
    if (!done) {
      // The server and the worker it forked share the process group we created (detached: true).
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      await exited(child);
    }
  }
  // The worker shuts down on SIGTERM / disconnect; give it a moment, then make sure nothing of the group is left.
  for (let i = 0; i < 50; i++) {
    try {
      process.kill(-child.pid, 0);
    } catch {
      break;
    }
    await delay(100);
    if (i === 49) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
  running.delete(child);
}

/**
 * Start `node dist/main.js` exactly as `npm start` does, on a free loopback port with a fresh data directory,
 * and wait until /health answers 200.
 */
export async function startServer(options: { databaseUrl?: string; env?: Record<string, string> } = {}): Promise<RunningServer> {
  ensureBuilt();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sceau-e2e-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TZ: 'UTC',
    PORT: String(port),
    HOST: '127.0.0.1',
    BASE_URL: url,
    SCEAU_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    ...options.env,
  };
  const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'main.js')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  running.add(child);
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });

  const stop = async () => {
    await stopChild(child);
    fs.rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`the server exited early (code ${child.exitCode}, signal ${child.signalCode})`);
      }
      if (Date.now() > deadline) throw new Error('the server did not answer GET /health within 90 s');
      const ok = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) }).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      await delay(150);
    }
    const match = /Mot de passe\s*:\s*(\S+)/.exec(out);
    if (!match?.[1]) throw new Error('the demo admin password was not printed on stdout');
    return { url, adminPassword: match[1], dataDir, output: () => out, stop };
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n--- server output ---\n${out.slice(-4000)}`, { cause: err });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Browser
// ---------------------------------------------------------------------------------------------------------------

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface E2EBrowser {
  context: BrowserContext;
  /** The context's first tab. */
  page: Page;
  close(): Promise<void>;
}

/** Debian's Chromium with a fresh temporary profile. `options` are the context's (locale, javaScriptEnabled…). */
export async function launchBrowser(options: BrowserContextOptions = {}): Promise<E2EBrowser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (never download a browser)`);
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sceau-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 60_000,
      viewport: { width: 1280, height: 900 },
      ...options,
    });
  } catch (err) {
    fs.rmSync(userDataDir, { recursive: true, force: true });
    throw err;
  }
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(30_000);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close().catch(() => undefined);
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export interface E2ERun {
  server: RunningServer;
  browser: E2EBrowser;
  /** Closes the browser, stops the server and drops its PostgreSQL database (if any). */
  stop(): Promise<void>;
}

/**
 * A server on `dialect` (SQLite: its own file; PostgreSQL: a new database on the run's test server) and a browser
 * with `browserOptions`; what started is stopped again when a later step fails.
 */
export async function startE2E(dialect: TestDialect, browserOptions: BrowserContextOptions = {}): Promise<E2ERun> {
  let databaseUrl: string | undefined;
  let dropDb: () => Promise<void> = async () => undefined;
  if (dialect === 'postgres') {
    const adminUrl = inject('postgresUrl');
    if (!adminUrl) throw new Error('no PostgreSQL test server (the global setup did not start one)');
    const dbName = `sceau_e2e_${randomBytes(6).toString('hex')}`;
    databaseUrl = await createDatabase(adminUrl, dbName);
    dropDb = () => dropDatabase(adminUrl, dbName);
  }
  let server: RunningServer | undefined, browser: E2EBrowser | undefined;
  const stop = async () => {
    await browser?.close();
    await server?.stop();
    await dropDb();
  };
  try {
    server = await startServer({ databaseUrl });
    browser = await launchBrowser(browserOptions);
  } catch (err) {
    await stop();
    throw err;
  }
  return { server, browser, stop };
}

/** Sign in through the /signin form, as a person would. Ends on /console. */
export async function signInAsAdmin(page: Page, server: RunningServer, lang: 'fr' | 'en' = 'fr'): Promise<void> {
  await page.goto(`${server.url}/signin?lang=${lang}`);
  const form = page.locator('form[action="/signin"]');
  await form.getByLabel(lang === 'fr' ? 'Adresse courriel' : 'E-mail address').fill(DEMO_ADMIN_EMAIL);
  await form.getByLabel(lang === 'fr' ? 'Mot de passe' : 'Password').fill(server.adminPassword);
  await Promise.all([page.waitForURL(`${server.url}/console`), form.getByRole('button', { name: lang === 'fr' ? 'Se connecter' : 'Sign in' }).click()]);
}

/** Runs one named step; a failure says which step broke (and where the page was). */
export async function step(page: Page, name: string, fn: () => Promise<void>): Promise<void> {
  const started = Date.now();
  try {
    await fn();
  } catch (err) {
    const text = await page
      .locator('main')
      .innerText({ timeout: 1_000 })
      .catch(() => '(no <main>)');
    throw new Error(`step "${name}" failed at ${page.url()}: ${(err as Error).message}\n--- page text ---\n${text.slice(0, 1500)}`, { cause: err });
  }
  if (process.env.E2E_VERBOSE) console.log(`  ✓ ${name} (${Date.now() - started} ms)`);
}

// ---------------------------------------------------------------------------------------------------------------
// Security headers and accessibility
// ---------------------------------------------------------------------------------------------------------------

/** Problems with the security headers of one HTML response (empty when fine). */
export async function securityHeaderProblems(response: Response): Promise<string[]> {
  const headers = await response.allHeaders();
  const where = `${response.request().method()} ${new URL(response.url()).pathname}${new URL(response.url()).search} (${response.status()})`;
  const problems: string[] = [];
  const csp = headers['content-security-policy'];
  if (!csp) {
    problems.push(`${where}: no Content-Security-Policy header`);
  } else {
    const directives = new Map(
      csp
        .split(';')
        .map((d) => d.trim())
        .filter(Boolean)
        .map((d) => {
          const [name = '', ...values] = d.split(/\s+/);
          return [name.toLowerCase(), values] as const;
        }),
    );
    const scriptSrc = directives.get('script-src') ?? directives.get('default-src');
    if (!scriptSrc) problems.push(`${where}: CSP has neither script-src nor default-src: ${csp}`);
    else if (scriptSrc.includes("'unsafe-inline'")) problems.push(`${where}: CSP script-src allows 'unsafe-inline': ${csp}`);
  }
  if ((headers['x-content-type-options'] ?? '').toLowerCase() !== 'nosniff') {
    problems.push(`${where}: X-Content-Type-Options is ${JSON.stringify(headers['x-content-type-options'])}, expected nosniff`);
  }
  return problems;
}

export function isHtml(response: Response): boolean {
  return (response.headers()['content-type'] ?? '').startsWith('text/html');
}

const AXE_SOURCE = fs.readFileSync(path.join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

export interface AxeViolation {
  id: string;
  impact: 'minor' | 'moderate' | 'serious' | 'critical' | null;
  help: string;
  helpUrl: string;
  nodes: { target: unknown[]; html: string; failureSummary?: string }[];
}

/**
 * Run axe-core on the current page. The source is evaluated through the DevTools protocol, so the page's CSP
 * (no inline script) stays fully enforced: nothing is weakened to test.
 */
export async function runAxe(page: Page): Promise<AxeViolation[]> {
  const loaded = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe === 'object');
  if (!loaded) await page.evaluate(`${AXE_SOURCE}\n;void 0`);
  return page.evaluate(async (tags) => {
    const axe = (window as unknown as { axe: { run(ctx: Document, o: object): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target, html: n.html, failureSummary: n.failureSummary })),
    }));
  }, AXE_TAGS);
}

export function formatViolations(label: string, violations: AxeViolation[]): string {
  return violations
    .map((v) =>
      [
        `✗ [${v.impact}] ${v.id} on ${label}: ${v.help} (${v.helpUrl})`,
        ...v.nodes
          .slice(0, 5)
          .map((n) => `    at ${JSON.stringify(n.target)}\n      ${n.html.slice(0, 300)}\n      ${(n.failureSummary ?? '').replace(/\n/g, '\n      ')}`),
        ...(v.nodes.length > 5 ? [`    … and ${v.nodes.length - 5} more`] : []),
      ].join('\n'),
    )
    .join('\n');
}

/** `url` with `lang=<locale>` added to its query. */
export function withLang(url: string, lang: 'fr' | 'en'): string {
  return `${url}${url.includes('?') ? '&' : '?'}lang=${lang}`;
}
