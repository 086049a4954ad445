/** The `mail.send@1` job: one per outbox row, enqueued after the transaction that stored the row commits. */
import type { JobQueue } from '../domain/shared/ports.js';

/** One number for the job's attempts and the outbox row's dead state (they must agree). */
export const MAIL_MAX_ATTEMPTS = 8;

/** Enqueues the delivery of one outbox row (idempotent: the mail id is the singleton key). */
export function enqueueMailDelivery(jobs: JobQueue, mailId: string): Promise<string | null> {
  return jobs.enqueue('mail.send@1', { mailId }, { singletonKey: mailId, maxAttempts: MAIL_MAX_ATTEMPTS });
}
