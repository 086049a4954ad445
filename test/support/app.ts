/**
 * In-process Sceau for HTTP tests: real repositories on a real database (SQLite by default), a movable clock,
 * captured logs, and a cookie-keeping `Agent` that fills CSRF tokens like a browser would.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { compose, type Container } from '../../src/compose.js';
import { GuardedFetchError } from '../../src/crypto/guarded-fetch.js';
import type { Config } from '../../src/config.js';
import { createOrganization } from '../../src/domain/organizations/manage-organizations.js';
import { buildApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { createTestDb, fixedClock, type FixedClock, type TestDialect } from './db.js';
import { TEST_PASSWORD, type UserInput, createTestUser } from './factories.js';
import type { User } from '../../src/domain/accounts/model.js';
import type { Organization } from '../../src/domain/organizations/model.js';

export interface TestApp {
  app: FastifyInstance;
  container: Container;
  clock: FixedClock;
  config: Config;
  /** Every log line written so far (JSON strings). */
  logs: string[];
  mails(): Promise<TestMail[]>;
  lastMailTo(email: string): Promise<TestMail>;
  createUser(input: UserInput): Promise<User>;
  createOrg(input: { name?: string; slug: string; parentSlug?: string }): Promise<Organization>;
  agent(): Agent;
  close(): Promise<void>;
}

export interface TestMail {
  id: string;
  kind: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  status: string;
}

export { TEST_PASSWORD };

export function testConfig(overrides: Partial<Config> & { db: Config['db']; dataDir: string }): Config {
  return Object.freeze({
    http: { port: 0, host: '127.0.0.1', trustProxy: undefined, rateLimitPerMinute: 1_000_000 },
    baseUrl: new URL('http://sceau.test:3000'),
    isSecure: false,
    masterKey: Buffer.alloc(32, 7).toString('base64'),
    mail: { smtpUrl: undefined, from: 'Sceau <no-reply@sceau.test>' },
    log: { level: 'info' as const },
    defaultLocale: 'fr' as const,
    startWorker: false,
    workers: 1,
    seedDemo: false,
    passwordHashConcurrency: 4,
    ...overrides,
  });
}

export async function createTestApp(options: { dialect?: TestDialect; config?: Partial<Config>; clock?: FixedClock } = {}): Promise<TestApp> {
  const db = await createTestDb(options.dialect ?? 'sqlite');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sceau-app-'));
  const config = testConfig({ db: db.config, dataDir, ...options.config });
  const clock = options.clock ?? fixedClock(new Date());
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  const logger = createLogger({ level: 'debug', destination: sink });
  // The verifier never reaches the network in tests: remote documents are "unreachable" (tests that need one inject it).
  const fetchJson = async (url: string) => {
    throw new GuardedFetchError('FETCH_FAILED', `offline test app: ${url}`);
  };
  // Nor does webhook creation resolve names: `localhost` is loopback, IP literals are what they are, other names do not resolve.
  const lookup = async (hostname: string) => {
    if (hostname === 'localhost')
      return [
        { address: '127.0.0.1', family: 4 },
        { address: '::1', family: 6 },
      ];
    throw Object.assign(new Error(`offline test app: ${hostname}`), { code: 'ENOTFOUND' });
  };
  const container = await compose(config, { role: 'web', clock, logger, handle: db, fetchJson, lookup });
  const app = await buildApp(container.deps);
  await app.ready();

  const mails = async (): Promise<TestMail[]> => {
    const list = await container.store.outbox.list(10_000);
    return Promise.all(
      list.map(async (m) => {
        const body = (await container.store.outbox.readBody(m.id))!;
        return { id: m.id, kind: m.kind, to: m.to, subject: body.subject, text: body.text, html: body.html, status: m.status };
      }),
    );
  };

  return {
    app,
    container,
    clock,
    config,
    logs,
    mails,
    async lastMailTo(email) {
      const found = (await mails()).find((m) => m.to === email);
      if (!found) throw new Error(`no mail to ${email}`);
      return found;
    },
    createUser: (input) => createTestUser(container.deps, input),
    createOrg: (input) =>
      createOrganization(container.deps, { kind: 'system' }, { name: input.name ?? input.slug, slug: input.slug, parentSlug: input.parentSlug }),
    agent: () => new Agent(app),
    async close() {
      await app.close();
      await container.close();
      await db.cleanup();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Keeps cookies between requests and submits forms with the page's CSRF token, like a browser. */
export class Agent {
  cookies = new Map<string, string>();
  constructor(
    readonly app: FastifyInstance,
    readonly headers: Record<string, string> = {},
  ) {}

  private absorb(res: LightMyRequestResponse): void {
    for (const c of res.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      const expired = c.maxAge === 0 || (c.expires && c.expires.getTime() < Date.now()) || c.value === '';
      if (expired) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
  }

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const res = await this.app.inject({ method: 'GET', url, headers: { accept: 'text/html', ...this.headers, cookie: this.cookieHeader(), ...headers } });
    this.absorb(res);
    return res;
  }

  /** The CSRF token of the current session (taken from a page's form). */
  async csrf(): Promise<string> {
    const res = await this.get('/signin');
    const m = /name="_csrf" value="([^"]+)"/.exec(res.body);
    if (!m?.[1]) throw new Error('no CSRF token on the page');
    return m[1];
  }

  async post(
    url: string,
    form: Record<string, string | string[]>,
    options: { csrf?: string | null; headers?: Record<string, string> } = {},
  ): Promise<LightMyRequestResponse> {
    const token = options.csrf === undefined ? await this.csrf() : options.csrf;
    const params = new URLSearchParams();
    if (token !== null) params.append('_csrf', token);
    for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) params.append(k, x);
    const res = await this.app.inject({
      method: 'POST',
      url,
      payload: params.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', ...this.headers, cookie: this.cookieHeader(), ...options.headers },
    });
    this.absorb(res);
    return res;
  }

  /** A multipart/form-data POST (file uploads) with the session's CSRF token. */
  async upload(
    url: string,
    fields: Record<string, string>,
    file: { field: string; filename: string; content: Buffer; type?: string },
    options: { csrf?: string | null } = {},
  ): Promise<LightMyRequestResponse> {
    const token = options.csrf === undefined ? await this.csrf() : options.csrf;
    const boundary = `----sceau${Date.now().toString(16)}`;
    const parts: Buffer[] = [];
    const all = token === null ? fields : { _csrf: token, ...fields };
    for (const [k, v] of Object.entries(all)) {
      parts.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
    }
    parts.push(
      Buffer.from(
        `--${boundary}\r\ncontent-disposition: form-data; name="${file.field}"; filename="${file.filename}"\r\ncontent-type: ${file.type ?? 'application/octet-stream'}\r\n\r\n`,
      ),
    );
    parts.push(file.content, Buffer.from(`\r\n--${boundary}--\r\n`));
    const res = await this.app.inject({
      method: 'POST',
      url,
      payload: Buffer.concat(parts),
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, accept: 'text/html', ...this.headers, cookie: this.cookieHeader() },
    });
    this.absorb(res);
    return res;
  }

  async signIn(email: string, password = TEST_PASSWORD): Promise<LightMyRequestResponse> {
    const res = await this.post('/signin', { email, password });
    if (res.statusCode !== 303) throw new Error(`sign-in failed: ${res.statusCode}`);
    return res;
  }
}

export function extractCode(text: string): string {
  const m = /\b(\d{6})\b/.exec(text);
  if (!m?.[1]) throw new Error('no code in mail');
  return m[1];
}

export function extractLink(text: string, pathPrefix: string): string {
  const m = new RegExp(`https?://[^\\s]+${pathPrefix.replace(/[/?]/g, (c) => `\\${c}`)}[^\\s]*`).exec(text);
  if (!m) throw new Error(`no ${pathPrefix} link in mail`);
  const u = new URL(m[0]);
  return u.pathname + u.search;
}
