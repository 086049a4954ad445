/**
 * Operator CLI: `npm run sceau -- <command> [options]`. Every failure prints a clear message and exits non-zero.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { promisify } from 'node:util';
import { compose, migrate, type Container } from '../compose.js';
import { ConfigError, loadConfig } from '../config.js';
import { issuerDid, rotateIssuerKey, setIssuerProfile, verificationMethodId } from '../domain/credentials/issuer-identity.js';
import { AppError } from '../domain/shared/errors.js';
import { createOrganization } from '../domain/organizations/manage-organizations.js';
import { normalizeEmail } from '../domain/shared/validation.js';
import { messages } from '../i18n/t.js';
import { formatMessage } from '../i18n/plural.js';
import { createLogger } from '../logger.js';
import { isRole } from '../domain/organizations/model.js';
import { addMember } from '../domain/organizations/manage-members.js';
import { createApiKey } from '../domain/organizations/api-keys.js';
import { createUserAccount } from '../domain/accounts/sign-up.js';

const USAGE = `Usage: npm run sceau -- <command> [options]

Commands:
  migrate                                   apply pending database migrations
  org:create --name N --slug S [--parent P] [--languages fr,en] [--logo-url URL]
  user:create --email E --name N [--org S --role admin|staff|reviewer] [--password-stdin] [--locale fr|en]
                                            without --password-stdin a random password is printed once
  apikey:create --org S [--label L]         prints the new key alone on the last line (shown once)
  key:rotate --org S                        new issuer signing key; old keys stay in the DID document
  org:profile --org S [--url U] [--email E] [--description D]
                                            public issuer Profile details (an empty value clears one)
  backup --to FILE                          online backup (SQLite backup API / pg_dump -Fc)
  worker                                    run a job worker in this process
`;

class UsageError extends Error {}

/** Domain field names → the CLI option that carries them. */
const OPTION_OF_FIELD: Record<string, string> = { displayName: 'name', logoUrl: 'logo-url', parent: 'parent', password: 'password-stdin' };

const OPTIONS = {
  name: { type: 'string' },
  slug: { type: 'string' },
  parent: { type: 'string' },
  languages: { type: 'string' },
  'logo-url': { type: 'string' },
  email: { type: 'string' },
  org: { type: 'string' },
  role: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  locale: { type: 'string' },
  label: { type: 'string' },
  to: { type: 'string' },
  url: { type: 'string' },
  description: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const ALLOWED: Record<string, (keyof typeof OPTIONS)[]> = {
  migrate: [],
  'org:create': ['name', 'slug', 'parent', 'languages', 'logo-url'],
  'user:create': ['email', 'name', 'org', 'role', 'password-stdin', 'locale'],
  'apikey:create': ['org', 'label'],
  backup: ['to'],
  worker: [],
  'key:rotate': ['org'],
  'org:profile': ['org', 'url', 'email', 'description'],
};

function required(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v.trim() === '') throw new UsageError(`missing required option --${name}`);
  return v;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

async function withContainer<T>(fn: (c: Container, applied: string[]) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const container = await compose(config, { role: 'cli', logger: createLogger({ level: 'warn' }) });
  try {
    const applied = await migrate(container);
    return await fn(container, applied);
  } finally {
    await container.close();
  }
}

async function orgBySlug(c: Container, slug: string) {
  const org = await c.store.organizations.findBySlug(slug.trim().toLowerCase());
  if (!org) throw new UsageError(`organisation "${slug}" not found`);
  return org;
}

export async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  const allowed = ALLOWED[command];
  if (!allowed) throw new UsageError(`unknown command "${command}"`);
  const { values, positionals } = parseArgs({ args: rest, options: OPTIONS, strict: true, allowPositionals: true });
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  for (const key of Object.keys(values)) {
    if (!allowed.includes(key as keyof typeof OPTIONS)) throw new UsageError(`option --${key} does not apply to ${command}`);
  }

  switch (command) {
    case 'migrate': {
      const applied = await withContainer(async (_c, done) => done);
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
      return 0;
    }
    case 'org:create': {
      const name = required(values, 'name');
      const slug = required(values, 'slug');
      const org = await withContainer((c) =>
        createOrganization(
          c.deps,
          { kind: 'system' },
          {
            name,
            slug,
            parentSlug: values.parent,
            languages: values.languages,
            logoUrl: values['logo-url'],
          },
        ),
      );
      process.stdout.write(`organisation created: ${org.name} (${org.slug})\n`);
      return 0;
    }
    case 'user:create': {
      const email = normalizeEmail(required(values, 'email'));
      const name = required(values, 'name');
      if ((values.org === undefined) !== (values.role === undefined)) throw new UsageError('--org and --role go together');
      if (values.role !== undefined && !isRole(values.role)) throw new UsageError('--role must be admin, staff or reviewer');
      if (values.locale !== undefined && values.locale !== 'fr' && values.locale !== 'en') throw new UsageError('--locale must be fr or en');
      const password = values['password-stdin'] ? await readStdin() : undefined;
      const result = await withContainer(async (c) => {
        const org = values.org ? await orgBySlug(c, values.org) : undefined;
        const generated = password ?? c.deps.secrets.newToken().slice(0, 20);
        const user = await createUserAccount(c.deps, { email, displayName: name, password: generated, locale: values.locale as 'fr' | 'en' | undefined });
        if (org) await addMember(c.deps, { kind: 'system' }, { slug: org.slug, userId: user.id, role: values.role });
        return { user, generated: password ? undefined : generated, org };
      });
      process.stdout.write(`user created: ${email}${result.org ? ` (${values.role} of ${result.org.slug})` : ''}\n`);
      if (result.generated) process.stdout.write(`password (shown once): ${result.generated}\n`);
      return 0;
    }
    case 'apikey:create': {
      const slug = required(values, 'org');
      const { key } = await withContainer(async (c) =>
        createApiKey(c.deps, { kind: 'system' }, { slug: (await orgBySlug(c, slug)).slug, label: values.label }),
      );
      process.stdout.write(`API key created for ${slug}; it is shown once:\n${key}\n`);
      return 0;
    }
    case 'key:rotate': {
      const slug = required(values, 'org');
      const { previous, current, did } = await withContainer(async (c) => {
        const org = await orgBySlug(c, slug);
        return { ...(await rotateIssuerKey(c.deps, { kind: 'system' }, { slug: org.slug })), did: issuerDid(c.deps.baseUrl, org.slug) };
      });
      process.stdout.write(
        `issuer key rotated for ${slug}\n  retired (still listed): ${verificationMethodId(did, previous)}\n` +
          `  signing now:            ${verificationMethodId(did, current)}\n`,
      );
      return 0;
    }
    case 'org:profile': {
      const slug = required(values, 'org');
      const details = await withContainer(async (c) =>
        setIssuerProfile(
          c.deps,
          { kind: 'system' },
          {
            slug: (await orgBySlug(c, slug)).slug,
            url: values.url,
            email: values.email,
            description: values.description,
          },
        ),
      );
      process.stdout.write(`issuer profile of ${slug}: url ${details.url ?? '(default)'}, e-mail ${details.email ?? '(none)'}\n`);
      return 0;
    }
    case 'backup': {
      const to = path.resolve(required(values, 'to'));
      if (fs.existsSync(to)) throw new AppError('BACKUP_FAILED', { reason: `${to} already exists` });
      await withContainer(async (c) => {
        if (c.handle.sqlite) {
          await c.handle.sqlite.backup(to);
        } else {
          await promisify(execFile)('pg_dump', ['-Fc', '-f', to, c.handle.postgresUrl ?? '']);
        }
      });
      process.stdout.write(`backup written to ${to}\nKeep the master key (SCEAU_MASTER_KEY or <data dir>/master.key) with it: encrypted data needs it.\n`);
      return 0;
    }
    case 'worker': {
      const { runWorker } = await import('../worker-main.js');
      await runWorker();
      return -1;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  run(process.argv.slice(2)).then(
    (code) => {
      if (code >= 0) process.exit(code);
    },
    (err: unknown) => {
      let locale: 'fr' | 'en' = 'fr';
      try {
        locale = loadConfig().defaultLocale;
      } catch {
        // keep French when the configuration itself is the problem
      }
      if (err instanceof UsageError || (err as { code?: string }).code?.startsWith?.('ERR_PARSE_ARGS')) {
        process.stderr.write(`error: ${(err as Error).message}\n\n${USAGE}`);
        process.exit(2);
      }
      if (err instanceof AppError) {
        process.stderr.write(
          `error: ${formatMessage(locale, messages(locale).errors[err.code], err.params)}${err.field ? ` (--${OPTION_OF_FIELD[err.field] ?? err.field})` : ''}\n`,
        );
        process.exit(1);
      }
      if (err instanceof ConfigError) {
        process.stderr.write(`${err.message}\n`);
        process.exit(1);
      }
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
