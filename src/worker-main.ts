/** Entry point of a worker process: `node dist/worker-main.js` (forked by `npm start`, or `npm run sceau -- worker`). */
import os from 'node:os';
import { compose } from './compose.js';
import { loadConfig } from './config.js';
import { startWorker } from './worker/worker.js';
import { createMailTransport } from './mail/sender.js';

export async function runWorker(): Promise<void> {
  const config = loadConfig();
  // `npm start` passes the worker's index: a stable id lets a restarted worker retry its predecessor's jobs at once.
  const index = /^\d{1,2}$/.test(process.argv[2] ?? '') ? process.argv[2] : undefined;
  const container = await compose(config, { role: 'worker', workerId: index === undefined ? undefined : `worker-${os.hostname()}-${index}` });
  const worker = await startWorker(container, createMailTransport({ smtpUrl: config.mail.smtpUrl }));
  const shutdown = async () => {
    await worker.stop();
    await container.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown());
  process.once('SIGINT', () => void shutdown());
  process.once('disconnect', () => void shutdown());
  // pg-boss 10 does not await some of its own bookkeeping queries: a dropped connection can surface as an
  // unhandled rejection. Exit and let the supervisor (npm start, systemd…) restart us; leases recover the jobs.
  process.on('unhandledRejection', (reason) => {
    container.logger.error({ err: reason }, 'unhandled rejection in worker; exiting for a clean restart');
    process.exit(1);
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runWorker().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
