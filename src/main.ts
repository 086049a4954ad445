/**
 * `npm start`: migrate, seed the demo organisation on first start, serve HTTP, and fork one worker process.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { compose, migrate } from './compose.js';
import { ConfigError, loadConfig } from './config.js';
import { ensureIssuerKeys } from './domain/credentials/issuer-identity.js';
import { seedDemo } from './domain/organizations/seed-demo.js';
import { buildApp } from './app.js';
import { WORKER_NODE_FLAGS } from './worker/flags.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const container = await compose(config, { role: 'web' });
  const { logger } = container;
  await migrate(container);
  // Organisations created before issuer keys existed get theirs now (a migration has no master key to seal one).
  const keyed = await ensureIssuerKeys(container.deps);
  if (keyed) logger.info({ organisations: keyed }, 'issuer keys created');
  if (config.seedDemo) {
    const seeded = await seedDemo(container.deps);
    if (seeded) {
      // Printed once, on the console only (never logged to a file by pino).
      process.stdout.write(
        `\n  Sceau — organisation de démonstration « Institut Démo » créée.\n` +
          `  Administrateur : ${seeded.email}\n  Mot de passe   : ${seeded.password}\n` +
          `  (affiché une seule fois — notez-le / shown once — write it down)\n\n`,
      );
    }
  }
  const app = await buildApp(container.deps);
  await app.listen({ port: config.http.port, host: config.http.host });
  logger.info({ url: config.baseUrl.toString(), db: config.db.dialect, mail: container.deps.mailMode }, 'Sceau is listening');

  // SCEAU_WORKERS worker processes (bulk issuance splits each job into that many parts); each restarts if it dies.
  const workers = new Map<number, ChildProcess>();
  let stopping = false;
  const startChild = (n: number) => {
    const child = fork(fileURLToPath(new URL('./worker-main.js', import.meta.url)), [String(n)], {
      stdio: 'inherit',
      execArgv: [...process.execArgv, ...WORKER_NODE_FLAGS],
    });
    workers.set(n, child);
    child.on('exit', (code, signal) => {
      if (stopping) return;
      logger.warn({ code, signal, worker: n }, 'worker exited; restarting in 1 s');
      setTimeout(() => startChild(n), 1000).unref();
    });
  };
  if (config.startWorker) for (let n = 0; n < config.workers; n++) startChild(n);

  const shutdown = async () => {
    stopping = true;
    for (const child of workers.values()) child.kill('SIGTERM');
    await app.close();
    await container.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown());
  process.once('SIGINT', () => void shutdown());
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
