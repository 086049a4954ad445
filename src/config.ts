/**
 * The only reader of `process.env`. Parsed once with zod; every problem is reported at once.
 * Every variable is documented here and in `.env.example` (a test keeps both in sync).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';

const LogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export const EnvSchema = z.object({
  /** TCP port of the web process. */
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Interface the web process listens on. */
  HOST: z.string().min(1).default('localhost'),
  /** Public base URL: used in e-mail links, did:web ids and cookies (https ⇒ Secure cookies). Defaults to http://HOST:PORT. */
  BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Directory for the SQLite file, the generated master key and the local mail outbox. */
  SCEAU_DATA_DIR: z.string().min(1).default('./data'),
  /** `sqlite:<file>` (default: <SCEAU_DATA_DIR>/sceau.db) or `postgres://user:pass@host:port/db`. */
  DATABASE_URL: z
    .string()
    .regex(/^(sqlite:|postgres:\/\/|postgresql:\/\/)/, 'must start with sqlite: or postgres://')
    .optional(),
  /** 32-byte master key, base64 or hex. Encrypts secrets at rest. Default: a key file generated in the data dir on first start. */
  SCEAU_MASTER_KEY: z.string().min(32).optional(),
  /** SMTP server, e.g. smtp://user:pass@mail.example:587 or smtps://…; unset ⇒ mail stays in the local outbox (visible at /admin/outbox). */
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  /** Sender address of every e-mail. */
  MAIL_FROM: z.string().min(3).default('Sceau <no-reply@sceau.localhost>'),
  /** pino level. */
  LOG_LEVEL: LogLevel.default('info'),
  /** Language used when neither the URL, a cookie nor Accept-Language decide. */
  DEFAULT_LOCALE: z.enum(['fr', 'en']).default('fr'),
  /** `true` to start the job worker in its own process beside the web process (default), `false` to run web only (scale workers separately with `npm run sceau -- worker`). */
  SCEAU_START_WORKER: z.enum(['true', 'false']).default('true'),
  /** Worker processes `npm start` forks (bulk issuance splits each job into this many parallel parts). */
  SCEAU_WORKERS: z.coerce.number().int().min(1).max(16).default(1),
  /** Seed the demo organisation "Institut Démo" and its admin on first start. */
  SCEAU_SEED_DEMO: z.enum(['true', 'false']).default('true'),
  /** Trusted reverse proxies for X-Forwarded-For: a comma-separated list of IPs/CIDRs. Never `true`. */
  TRUST_PROXY: z
    .string()
    .regex(/^[0-9a-fA-F:.,/ ]+$/, 'a comma-separated list of IP addresses or CIDR ranges')
    .optional(),
  /** Requests per minute per client IP before 429 (a backstop; sign-in is throttled per account). */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(10).max(1_000_000).default(600),
  /** Concurrent argon2 hashes allowed per process (memory ≈ this × 19 MiB). */
  PASSWORD_HASH_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  /** `true` lets webhooks reach every private, loopback and link-local address (development and tests only; older spelling of listing them all in WEBHOOKS_ALLOWED_PRIVATE_CIDRS). Cloud metadata addresses stay refused. */
  WEBHOOKS_ALLOW_PRIVATE_NETWORKS: z.enum(['true', 'false']).default('false'),
  /** Private, loopback or link-local ranges webhooks may reach (comma-separated CIDRs or addresses, e.g. `10.0.0.0/8,192.168.1.0/24`); others are refused at creation and at delivery. Cloud metadata addresses stay refused. */
  WEBHOOKS_ALLOWED_PRIVATE_CIDRS: z
    .string()
    .refine(
      (s) =>
        s
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
          .every((x) => ipaddr.isValidCIDR(x) || ipaddr.isValid(x)),
      'a comma-separated list of CIDR ranges or IP addresses',
    )
    .optional(),
});

export type LogLevelName = z.infer<typeof LogLevel>;

export type Config = Readonly<{
  http: { port: number; host: string; trustProxy: string[] | undefined; rateLimitPerMinute: number };
  baseUrl: URL;
  isSecure: boolean;
  dataDir: string;
  db: { dialect: 'sqlite'; file: string } | { dialect: 'postgres'; url: string };
  masterKey: string | undefined;
  mail: { smtpUrl: string | undefined; from: string };
  log: { level: LogLevelName };
  defaultLocale: 'fr' | 'en';
  startWorker: boolean;
  /** Worker processes (and parallel parts of a bulk job). */
  workers: number;
  seedDemo: boolean;
  passwordHashConcurrency: number;
  /**
   * Outbound webhooks. Absent (hand-built configs) means the defaults: private networks refused.
   * `allowPrivateNetworks`: every private range; `allowedPrivateCidrs`: only these ranges (set when configured).
   */
  webhooks?: { allowPrivateNetworks: boolean; allowedPrivateCidrs?: string[] };
}>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly issues: string[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
  }
}

/**
 * The `.env` file of the working directory, if any (the web process, the worker and the CLI read the same one, so
 * `npm run sceau -- key:rotate` prints the DID of the BASE_URL the web serves). Empty values count as unset, so a
 * copy of `.env.example` works as is. Variables of the environment take precedence.
 */
export function readDotEnv(file = path.resolve('.env')): Record<string, string> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError([`.env: ${(e as Error).message}`]);
  }
  return Object.fromEntries(Object.entries(parseEnv(text)).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''));
}

/** Parse the environment (over the `.env` file by default). Throws one `ConfigError` listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = { ...readDotEnv(), ...process.env }): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.SCEAU_DATA_DIR);
  const baseUrl = new URL(e.BASE_URL ?? `http://${e.HOST}:${e.PORT}`);
  const dbUrl = e.DATABASE_URL ?? `sqlite:${path.join(dataDir, 'sceau.db')}`;
  const db: Config['db'] = dbUrl.startsWith('sqlite:')
    ? { dialect: 'sqlite', file: path.resolve(dbUrl.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '')) }
    : { dialect: 'postgres', url: dbUrl };
  return Object.freeze({
    http: {
      port: e.PORT,
      host: e.HOST,
      trustProxy: e.TRUST_PROXY?.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    },
    baseUrl,
    isSecure: baseUrl.protocol === 'https:',
    dataDir,
    db,
    masterKey: e.SCEAU_MASTER_KEY,
    mail: { smtpUrl: e.SMTP_URL, from: e.MAIL_FROM },
    log: { level: e.LOG_LEVEL },
    defaultLocale: e.DEFAULT_LOCALE,
    startWorker: e.SCEAU_START_WORKER === 'true',
    workers: e.SCEAU_WORKERS,
    seedDemo: e.SCEAU_SEED_DEMO === 'true',
    passwordHashConcurrency: e.PASSWORD_HASH_CONCURRENCY,
    webhooks: {
      allowPrivateNetworks: e.WEBHOOKS_ALLOW_PRIVATE_NETWORKS === 'true',
      ...(e.WEBHOOKS_ALLOWED_PRIVATE_CIDRS?.trim()
        ? {
            allowedPrivateCidrs: e.WEBHOOKS_ALLOWED_PRIVATE_CIDRS.split(',')
              .map((s) => s.trim())
              .filter(Boolean),
          }
        : {}),
    },
  });
}
