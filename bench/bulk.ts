/**
 * `npm run bench` (second part): bulk issuance end to end on SQLite — CSV upload → row report → publish → signed
 * credentials + awards + rows + queued e-mails, issued by real worker processes (`src/worker-main.ts`, one part of the
 * job each) — next to the stock `@digitalbazaar/vc` issue pipeline measured in the same run (bench/credentials.ts
 * `--child stock`: per credential a key import and `vc.issue`, nothing stored).
 *
 * Prints credentials per second, the ratio, and the time 100,000 credentials would take at the measured rate
 * (bar: ≤ 8 min on a 2-core machine). Options: --rows N (default 10000), --workers W (default 2). Numbers only; the
 * exit code is 0 unless the pipeline itself fails (not every row issued exactly once).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compose, migrate } from '../src/compose.js';
import { loadConfig } from '../src/config.js';
import { createOrganization } from '../src/domain/organizations/manage-organizations.js';
import { createImport, getJob, publishJob } from '../src/domain/issuance/import-spreadsheet.js';
import { createTemplate } from '../src/domain/templates/manage-templates.js';
import { WORKER_NODE_FLAGS } from '../src/worker/flags.js';
import { addMember } from '../src/domain/organizations/manage-members.js';
import { createUserAccount } from '../src/domain/accounts/sign-up.js';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const ROWS = Number(opt('rows', '10000'));
const WORKERS = Number(opt('workers', '2'));
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function csv(n: number): Buffer {
  const lines = ['Nom;Courriel;Note;Date de l’examen'];
  for (let i = 0; i < n; i++) lines.push(`Apprenant·e ${i} Tremblay;apprenant${i}@example.org;${i % 3 ? 'A' : 'B+'};15/06/2026`);
  return Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8');
}

function stockIssueRate(): Promise<number> {
  return new Promise((resolve, reject) => {
    void (async () => {
      const Ed25519Multikey = await import('@digitalbazaar/ed25519-multikey');
      const pair = await (await Ed25519Multikey.generate()).export({ publicKey: true, secretKey: true, includeContext: true });
      const env = { ...process.env, BENCH_KEY: JSON.stringify({ publicKeyMultibase: pair.publicKeyMultibase, secretKeyMultibase: pair.secretKeyMultibase }) };
      const p = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'bench/credentials.ts'), '--child', 'stock', '--seconds', '2', '--runs', '3'], {
        env,
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      let out = '';
      p.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
      p.on('error', reject);
      p.on('close', (code) => {
        if (code !== 0) return reject(new Error(`stock child exited with ${code}`));
        const issue = (JSON.parse(out.trim().split('\n').pop()!) as { issue: number[] }).issue;
        resolve([...issue].sort((a, b) => a - b)[Math.floor(issue.length / 2)]!);
      });
    })().catch(reject);
  });
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sceau-bench-bulk-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SCEAU_DATA_DIR: dir,
    DATABASE_URL: `sqlite:${path.join(dir, 'sceau.db')}`,
    BASE_URL: 'https://bench.sceau.example',
    SCEAU_MASTER_KEY: Buffer.alloc(32, 9).toString('base64'),
    LOG_LEVEL: 'warn',
    SCEAU_WORKERS: String(WORKERS),
    SCEAU_SEED_DEMO: 'false',
  };
  delete env['SMTP_URL'];
  const config = loadConfig(env);
  const container = await compose(config, { role: 'cli' });
  const workers: ChildProcess[] = [];
  try {
    await migrate(container);
    const deps = container.deps;
    const org = await createOrganization(deps, { kind: 'system' }, { name: 'Institut du banc d’essai', slug: 'bench' });
    const user = await createUserAccount(deps, { email: 'staff@bench.example', displayName: 'Staff', password: 'correct horse battery staple' });
    await addMember(deps, { kind: 'system' }, { slug: org.slug, userId: user.id, role: 'staff' });
    const actor = { kind: 'user' as const, userId: user.id, isPlatformAdmin: false, ip: null };
    const template = await createTemplate(deps, actor, {
      slug: org.slug,
      template: {
        kind: 'certificate',
        name: { fr: 'Secourisme en milieu de travail' },
        description: { fr: 'Formation de 16 heures.' },
        criteria: { fr: 'Réussir l’examen pratique.' },
        skills: [{ name: 'Premiers secours', frameworkUri: 'http://data.europa.eu/esco/skill/bench' }],
        validity: { unit: 'years', n: 3 },
        fields: [
          { key: 'note', label: { fr: 'Note' }, type: 'grade', required: true },
          { key: 'date_examen', label: { fr: 'Date de l’examen' }, type: 'date', required: false },
        ],
        defaultLocale: 'fr',
      },
    });
    for (let i = 0; i < WORKERS; i++) {
      workers.push(
        spawn(
          process.execPath,
          [
            ...(process.env['BENCH_CPU_PROF'] ? ['--cpu-prof', '--cpu-prof-dir', process.env['BENCH_CPU_PROF']] : []),
            ...(process.env['BENCH_NODE_FLAGS']?.split(' ').filter(Boolean) ?? WORKER_NODE_FLAGS),
            '--import',
            'tsx',
            path.join(root, 'src/worker-main.ts'),
            String(i),
          ],
          { env, stdio: ['ignore', 'ignore', 'inherit'] },
        ),
      );
    }
    await new Promise((r) => setTimeout(r, 3000)); // workers start (tsx compile, migrations already applied)
    const bytes = csv(ROWS);
    console.log(
      `Sceau bulk bench — Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, load ${os.loadavg()[0]!.toFixed(2)}; ` +
        `${ROWS} rows (${(bytes.length / 1024).toFixed(0)} KiB CSV), ${WORKERS} worker process(es), SQLite WAL, no PDF`,
    );
    const t0 = performance.now();
    const job = await createImport(deps, actor, { slug: org.slug, templateId: template.id, bytes, filename: 'bench.csv' });
    await publishJob(deps, actor, { slug: org.slug, jobId: job.id });
    const tPublished = performance.now();
    let view = await getJob(deps, actor, { slug: org.slug, jobId: job.id });
    let lastLog = 0;
    while (view.job.status !== 'completed') {
      if (workers.some((w) => w.exitCode !== null)) throw new Error('a worker process exited');
      await new Promise((r) => setTimeout(r, 250));
      view = await getJob(deps, actor, { slug: org.slug, jobId: job.id });
      if (performance.now() - lastLog > 5000) {
        lastLog = performance.now();
        process.stderr.write(`  ${view.counts.issued}/${ROWS} issued after ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
      }
    }
    const t1 = performance.now();
    const credentials = await deps.store.credentials.countForOrg(org.id);
    const mails = (await deps.store.outbox.list(ROWS + 10)).filter((m) => m.kind === 'credential.issued').length;
    const seconds = (t1 - t0) / 1000;
    const rate = ROWS / seconds;
    for (const w of workers) w.kill('SIGTERM');
    process.stderr.write('  stock pipeline (own process, 3 × 2 s):\n');
    const stock = await stockIssueRate();
    const per100k = 100_000 / rate;
    console.log(`import + report + publish: ${((tPublished - t0) / 1000).toFixed(2)} s; issuance to 100 %: ${((t1 - tPublished) / 1000).toFixed(1)} s`);
    console.log(
      `bulk     stock ${stock.toFixed(0).padStart(5)}/s (sign only, 1 process)   Sceau ${rate.toFixed(0).padStart(5)}/s end to end   ratio ${(rate / stock).toFixed(2)}×`,
    );
    console.log(`100,000 credentials at this rate: ${(per100k / 60).toFixed(1)} min (bar ≤ 8 min: ${per100k <= 480 ? 'met' : 'NOT met'})`);
    console.log(`issued ${view.counts.issued}/${ROWS}, credentials stored ${credentials}, e-mails queued ${mails}`);
    if (view.counts.issued !== ROWS || credentials !== ROWS || mails !== ROWS) {
      console.error('pipeline check failed: every row must be issued and e-mailed exactly once');
      process.exitCode = 1;
    }
  } finally {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    await container.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
