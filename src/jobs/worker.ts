/**
 * The job worker: registers handlers and sweeps the outbox. Runs in its own process (`npm start` forks it)
 * so CPU-heavy or slow work never stalls web requests.
 */
import type { Container } from '../compose.js';
import type { JobQueue } from '../domain/ports.js';
import { deliverMail, type MailTransport } from '../mail/sender.js';
import { credentialDelivered } from '../mail/credential-delivery.js';
import { resumeStaleJobs, runIssuancePart } from '../domain/templates/bulk.js';
import { type GuardedPost, createGuardedPost } from '../crypto/guarded-fetch.js';
import { runDecision, sweepDueDecisions } from '../domain/templates/results.js';
import { WEBHOOK_SWEEP_EVERY_MS, deliverWebhook, sweepWebhookDeliveries } from './webhook-sender.js';

/** One number for the job's attempts and the outbox row's dead state (they must agree). */
export const MAIL_MAX_ATTEMPTS = 8;

/** Enqueues the delivery of one outbox row (idempotent: the mail id is the singleton key). */
export function enqueueMailDelivery(jobs: JobQueue, mailId: string): Promise<string | null> {
  return jobs.enqueue('mail.send@1', { mailId }, { singletonKey: mailId, maxAttempts: MAIL_MAX_ATTEMPTS });
}
const SWEEP_EVERY_MS = 30_000;
const SWEEP_AGE_MS = 60_000;

export interface RunningWorker {
  stop(): Promise<void>;
  /** Re-enqueue queued mails whose job was lost (crash between commit and enqueue). */
  sweep(): Promise<number>;
}

/** `webhookPost`: the webhooks' network access (default: the SSRF-guarded POST configured by WEBHOOKS_ALLOWED_PRIVATE_CIDRS / WEBHOOKS_ALLOW_PRIVATE_NETWORKS). */
export async function startWorker(container: Container, transport: MailTransport, options: { webhookPost?: GuardedPost } = {}): Promise<RunningWorker> {
  const { jobs, store, deps, logger } = container;
  const log = logger.child({ module: 'worker' });
  const delivered = credentialDelivered({ store, secrets: deps.secrets, clock: deps.clock });
  jobs.work('mail.send@1', async (job) => {
    await deliverMail(
      {
        store, clock: deps.clock, transport, from: deps.config.mail.from, host: deps.config.baseUrl.hostname,
        // Analytics only: a failure here must not fail (and so re-send) a delivered message.
        onDelivered: (mail) => delivered(mail).catch((err) => log.warn({ err, mailId: mail.id }, 'delivery event not recorded')),
      },
      { mailId: job.payload.mailId, attempt: job.attempt, maxAttempts: MAIL_MAX_ATTEMPTS },
    );
    log.info({ mailId: job.payload.mailId, attempt: job.attempt }, 'mail delivered');
  }, { concurrency: 4 });
  const webhookPost = options.webhookPost ?? createGuardedPost({ ...container.config.webhooks });
  jobs.work('webhook.deliver@1', async (job) => {
    const outcome = await deliverWebhook({ store, clock: deps.clock, secrets: deps.secrets, post: webhookPost }, job.payload.deliveryId);
    if (outcome.sent) {
      log.info({ deliveryId: job.payload.deliveryId, attempt: outcome.attempt, status: outcome.status, statusCode: outcome.statusCode }, 'webhook attempt');
    }
  }, { concurrency: 4 });
  // Bulk issuance: CPU-bound signing, one part at a time per process (run more worker processes for more parts).
  jobs.work('issuance.run@1', async (job) => {
    await runIssuancePart(deps, job.payload.jobId, job.payload.part, job.payload.parts);
  }, { concurrency: 1 });
  // Automatic issuance: a delayed decision comes due (re-evaluated, then issued at most once).
  jobs.work('results.issue@1', async (job) => {
    await runDecision(deps, job.payload.decisionId);
  }, { concurrency: 1 });
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
