/**
 * C1 — kill -9 during bulk issuance. A 2,000-row job is issued by two real worker processes (src/worker-main.ts, the
 * same entry `npm start` forks) that are SIGKILLed together at 3 seeded random moments and restarted each time.
 * Every row must end up issued exactly once, every recipient must receive exactly one e-mail (the SMTP sink dedupes
 * on X-Idempotency-Key, as a receiving system would), the job must complete within 2 minutes of the last restart, no
 * job may stay claimed, and SQLite's integrity check must pass. The kill moments come from a fixed seed, or from
 * SCEAU_TEST_SEED when set (see test/support/seed.ts); a failure prints the seed.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compose, migrate, type Container } from '../../src/compose.js';
import { loadConfig } from '../../src/config.js';
import { createOrganization } from '../../src/domain/organizations/manage-organizations.js';
import { createImport, publishJob } from '../../src/domain/issuance/import-spreadsheet.js';
import { createTemplate } from '../../src/domain/templates/manage-templates.js';
import { SmtpSink } from '../mail/smtp-sink.js';
import { fixedSeed, reportSeedOnFailure } from '../support/seed.js';
import { addMember } from '../../src/domain/organizations/manage-members.js';
import { createUserAccount } from '../../src/domain/accounts/sign-up.js';

const ROWS = 2000;
const SEED = fixedSeed(20261122);

/** Deterministic kill moments (ms after publishing) from the seed: a small LCG, no Math.random. */
function killMoments(seed: number, n: number): number[] {
  let x = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out.push(1500 + (x % 6000));
  }
  return out;
}

describe('C1: SIGKILL of the workers during a 2,000-row bulk issuance', () => {
  let dir: string, sink: SmtpSink, container: Container, env: NodeJS.ProcessEnv;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sceau-c1-'));
    sink = await SmtpSink.start();
    env = {
      ...process.env,
      SCEAU_DATA_DIR: dir,
      DATABASE_URL: `sqlite:${path.join(dir, 'sceau.db')}`,
      BASE_URL: 'https://c1.sceau.test',
      SCEAU_MASTER_KEY: Buffer.alloc(32, 3).toString('base64'),
      LOG_LEVEL: 'error',
      SCEAU_WORKERS: '2',
      SCEAU_SEED_DEMO: 'false',
      SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
      MAIL_FROM: 'Sceau <no-reply@c1.sceau.test>',
    };
    container = await compose(loadConfig(env), { role: 'cli' });
    await migrate(container);
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await container?.close();
    await sink?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const startWorkers = () =>
    [0, 1].map((i) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker-main.ts', String(i)], { env, stdio: ['ignore', 'ignore', 'inherit'] });
      children.push(child);
      return child;
    });
  const killAll = async (running: ChildProcess[]) => {
    await Promise.all(
      running.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGKILL');
          }),
      ),
    );
  };

  it('issues every row exactly once and e-mails every recipient exactly once', async () => {
    reportSeedOnFailure(SEED);
    const deps = container.deps;
    const org = await createOrganization(deps, { kind: 'system' }, { name: 'Centre C1', slug: 'centre-c1' });
    const user = await createUserAccount(deps, { email: 'staff@c1.example', displayName: 'Staff', password: 'correct horse battery staple' });
    await addMember(deps, { kind: 'system' }, { slug: org.slug, userId: user.id, role: 'staff' });
    const actor = { kind: 'user' as const, userId: user.id, isPlatformAdmin: false, ip: null };
    const template = await createTemplate(deps, actor, {
      slug: org.slug,
      template: {
        kind: 'attestation',
        name: { fr: 'Attestation de présence' },
        description: { fr: 'Présence à la formation.' },
        fields: [{ key: 'heures', label: { fr: 'Heures' }, type: 'number', required: true }],
      },
    });
    const lines = ['Nom,Courriel,Heures'];
    for (let i = 0; i < ROWS; i++) lines.push(`Personne ${i},personne${i}@example.org,${7 + (i % 5)}`);
    const job = await createImport(deps, actor, { slug: org.slug, templateId: template.id, bytes: Buffer.from(lines.join('\n')) });
    await publishJob(deps, actor, { slug: org.slug, jobId: job.id });

    let running = startWorkers();
    const started = Date.now();
    for (const at of killMoments(SEED, 3)) {
      await new Promise((r) => setTimeout(r, at));
      await killAll(running);
      running = startWorkers();
    }
    const lastRestart = Date.now();

    // The job completes within 2 minutes of the last restart…
    let status = '';
    while (Date.now() - lastRestart < 120_000) {
      status = (await deps.store.issuanceJobs.findById(job.id))!.status;
      if (status === 'completed') break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(status).toBe('completed');
    // …and every e-mail gets through (the sink dedupes on X-Idempotency-Key).
    await sink.waitFor(() => sink.uniqueKeys() >= ROWS, 120_000, `${ROWS} distinct e-mails`);
    // A graceful stop now: whatever is still running finishes or is released.
    await Promise.all(
      running.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGTERM');
          }),
      ),
    );

    const counts = await deps.store.issuanceJobs.counts(job.id);
    expect(counts).toMatchObject({ issued: ROWS, pending: 0, failed: 0 });
    const awards = await deps.store.awards.byJob(job.id);
    expect(awards.size).toBe(ROWS);
    expect(await deps.store.credentials.countForOrg(org.id)).toBe(ROWS);

    // Exactly one message per recipient after deduplication, and no recipient under two different keys.
    const keysByRecipient = new Map<string, Set<string>>();
    for (const m of sink.messages) {
      const to = m.envelope.to.join(',');
      if (!keysByRecipient.has(to)) keysByRecipient.set(to, new Set());
      keysByRecipient.get(to)!.add(m.idempotencyKey ?? '(none)');
    }
    expect(keysByRecipient.size).toBe(ROWS);
    expect([...keysByRecipient.values()].filter((k) => k.size !== 1)).toEqual([]);

    // Nothing is left claimed, and the database is sound.
    const file = path.join(dir, 'sceau.db');
    const now = new Date().toISOString();
    const stuck = execFileSync('sqlite3', [file, `SELECT count(*) FROM jobs WHERE status = 'running' AND locked_until < '${now}'`], {
      encoding: 'utf8',
    }).trim();
    expect(stuck).toBe('0');
    expect(execFileSync('sqlite3', [file, 'PRAGMA integrity_check'], { encoding: 'utf8' }).trim()).toBe('ok');
    expect(Date.now() - started).toBeGreaterThan(0);
  }, 420_000);
});
