/**
 * The job worker: registers handlers and sweeps the outbox. Runs in its own process (`npm start` forks it)
 * so CPU-heavy or slow work never stalls web requests.
 */
import { createGuardedPost, type GuardedPost } from '../crypto/guarded-fetch.js';
import { resumeStaleJobs } from '../domain/issuance/run-issuance-job.js';
import { sweepDueDecisions } from '../domain/issuance/issue-from-results.js';
import type { JobName } from '../domain/shared/ports.js';
import { WEBHOOK_SWEEP_EVERY_MS, sweepWebhookDeliveries } from '../jobs/webhook-sender.js';
import { enqueueMailDelivery } from '../mail/queue.js';
import type { MailTransport } from '../mail/sender.js';
import { JOBS, type JobDefinition, type JobEnv, type WorkerDeps } from './jobs.js';

const SWEEP_EVERY_MS = 30_000;
const SWEEP_AGE_MS = 60_000;

export interface RunningWorker {
  stop(): Promise<void>;
  /** Re-enqueue queued mails whose job was lost (crash between commit and enqueue). */
  sweep(): Promise<number>;
}

/**
 * Starts the handlers of every job (`./jobs.ts`) and the sweepers. `webhookPost`: the webhooks' network access
 * (default: the SSRF-guarded POST configured by WEBHOOKS_ALLOWED_PRIVATE_CIDRS / WEBHOOKS_ALLOW_PRIVATE_NETWORKS).
 */
export async function startWorker(
  source: { workerDeps: WorkerDeps },
  transport: MailTransport,
  options: { webhookPost?: GuardedPost } = {},
): Promise<RunningWorker> {
  const deps = source.workerDeps;
  const { jobs, store } = deps;
  const log = deps.logger.child({ module: 'worker' });
  const env: JobEnv = {
    deps,
    log,
    transport,
    webhookPost: options.webhookPost ?? createGuardedPost({ ...deps.webhookNetworks }),
  };
  for (const job of JOBS as readonly JobDefinition<JobName>[]) {
    jobs.work(job.name, (context) => job.handler(env, context), { concurrency: job.concurrency });
  }
  await jobs.start();

  const sweep = async () => {
    const stale = await store.outbox.listStaleQueued(new Date(deps.clock.now().getTime() - SWEEP_AGE_MS), 500);
    for (const mailId of stale) await enqueueMailDelivery(jobs, mailId);
    // Published bulk jobs whose run was lost (crash between commit and enqueue): singleton keys make this idempotent.
    await resumeStaleJobs(deps);
    await store.idempotencyKeys.purgeExpired(deps.clock.now()); // API Idempotency-Key rows older than 24 h
    await sweepDueDecisions(deps); // pending automatic-issuance decisions overdue by a minute (job lost in a crash)
    return stale.length;
  };
  const timer = setInterval(() => void sweep().catch((err) => log.warn({ err }, 'outbox sweep failed')), SWEEP_EVERY_MS);
  timer.unref();
  // Due webhook deliveries: retries after their back-off, and rows whose enqueue after commit was lost.
  const sweepWebhooks = () => sweepWebhookDeliveries({ store, clock: deps.clock, jobs });
  const webhookTimer = setInterval(() => void sweepWebhooks().catch((err) => log.warn({ err }, 'webhook sweep failed')), WEBHOOK_SWEEP_EVERY_MS);
  webhookTimer.unref();
  log.info({ mail: transport.kind }, 'worker started');
  return {
    sweep,
    async stop() {
      clearInterval(timer);
      clearInterval(webhookTimer);
      await jobs.stop();
      transport.close();
    },
  };
}
