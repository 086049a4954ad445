/**
 * The job worker: registers handlers and sweeps the outbox. Runs in its own process (`npm start` forks it)
 * so CPU-heavy or slow work never stalls web requests.
 */
import type { Container } from '../compose.js';
import type { JobQueue } from '../domain/ports.js';
import { deliverMail, type MailTransport } from '../mail/sender.js';

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

export async function startWorker(container: Container, transport: MailTransport): Promise<RunningWorker> {
  const { jobs, store, deps, logger } = container;
  const log = logger.child({ module: 'worker' });
  jobs.work('mail.send@1', async (job) => {
    await deliverMail(
      { store, clock: deps.clock, transport, from: deps.config.mail.from, host: deps.config.baseUrl.hostname },
      { mailId: job.payload.mailId, attempt: job.attempt, maxAttempts: MAIL_MAX_ATTEMPTS },
    );
    log.info({ mailId: job.payload.mailId, attempt: job.attempt }, 'mail delivered');
  }, { concurrency: 4 });
  await jobs.start();

  const sweep = async () => {
    const stale = await store.outbox.listStaleQueued(new Date(deps.clock.now().getTime() - SWEEP_AGE_MS), 500);
    for (const mailId of stale) await enqueueMailDelivery(jobs, mailId);
    return stale.length;
  };
  const timer = setInterval(() => void sweep().catch((err) => log.warn({ err }, 'outbox sweep failed')), SWEEP_EVERY_MS);
  timer.unref();
  log.info({ mail: transport.kind }, 'worker started');
  return {
    sweep,
    async stop() {
      clearInterval(timer);
      await jobs.stop();
      transport.close();
    },
  };
}
