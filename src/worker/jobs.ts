/**
 * Every job Sceau runs, in one place: its versioned name (payload type in `JobPayloads`), how many run at once in
 * one worker process, and its handler. A new payload shape means a new version (`name@2`), never an edited one.
 */
import type { IssuanceDeps } from '../domain/issuance/deps.js';
import { runIssuancePart } from '../domain/issuance/run-issuance-job.js';
import type { ResultsDeps } from '../domain/issuance/issue-from-results.js';
import { runDecision } from '../domain/issuance/issue-from-results.js';
import type { JobContext, JobName } from '../domain/shared/ports.js';
import type { GuardedPost } from '../crypto/guarded-fetch.js';
import type { Logger } from '../logger.js';
import { credentialDelivered } from '../mail/credential-delivery.js';
import { MAIL_MAX_ATTEMPTS } from '../mail/queue.js';
import { deliverMail, type MailTransport } from '../mail/sender.js';
import { deliverWebhook } from '../jobs/webhook-sender.js';

/** What the worker process needs: the issuance use cases' ports, plus mail and webhook delivery settings. */
export type WorkerDeps = IssuanceDeps &
  ResultsDeps & {
    logger: Logger;
    mail: { from: string; host: string };
    /** Operator settings: the private networks webhooks may reach (on-premises integrations); none by default. */
    webhookNetworks: { allowPrivateNetworks: boolean; allowedPrivateCidrs?: string[] };
  };

/** The handlers' environment in one worker process. */
export interface JobEnv {
  deps: WorkerDeps;
  log: Logger;
  transport: MailTransport;
  webhookPost: GuardedPost;
}

export interface JobDefinition<N extends JobName> {
  name: N;
  /** Handlers of this job running at once in one process. */
  concurrency: number;
  handler(env: JobEnv, job: JobContext<N>): Promise<void>;
}

const define = <N extends JobName>(d: JobDefinition<N>) => d;

/** Deliver one outbox row through SMTP (or keep it in the local outbox); never twice. */
export const mailSend = define({
  name: 'mail.send@1',
  concurrency: 4,
  async handler({ deps, log, transport }, job) {
    const delivered = credentialDelivered({ store: deps.store, secrets: deps.secrets, clock: deps.clock });
    await deliverMail(
      {
        store: deps.store,
        clock: deps.clock,
        transport,
        from: deps.mail.from,
        host: deps.mail.host,
        // Analytics only: a failure here must not fail (and so re-send) a delivered message.
        onDelivered: (mail) => delivered(mail).catch((err) => log.warn({ err, mailId: mail.id }, 'delivery event not recorded')),
      },
      { mailId: job.payload.mailId, attempt: job.attempt, maxAttempts: MAIL_MAX_ATTEMPTS },
    );
    log.info({ mailId: job.payload.mailId, attempt: job.attempt }, 'mail delivered');
  },
});

/** One attempt of one webhook delivery (HMAC-signed POST through the SSRF guard; retried with back-off). */
export const webhookDeliver = define({
  name: 'webhook.deliver@1',
  concurrency: 4,
  async handler({ deps, log, webhookPost }, job) {
    const outcome = await deliverWebhook({ store: deps.store, clock: deps.clock, secrets: deps.secrets, post: webhookPost }, job.payload.deliveryId);
    if (outcome.sent) {
      log.info({ deliveryId: job.payload.deliveryId, attempt: outcome.attempt, status: outcome.status, statusCode: outcome.statusCode }, 'webhook attempt');
    }
  },
});

/** Bulk issuance: CPU-bound signing, one part at a time per process (run more worker processes for more parts). */
export const issuanceRun = define({
  name: 'issuance.run@1',
  concurrency: 1,
  async handler({ deps }, job) {
    await runIssuancePart(deps, job.payload.jobId, { part: job.payload.part, parts: job.payload.parts });
  },
});

/** Automatic issuance: a delayed decision comes due (re-evaluated, then issued at most once). */
export const resultsIssue = define({
  name: 'results.issue@1',
  concurrency: 1,
  async handler({ deps }, job) {
    await runDecision(deps, job.payload.decisionId);
  },
});

/** The jobs a worker process runs (`test.effect@1` belongs to the queue contract tests only). */
export const JOBS = [mailSend, webhookDeliver, issuanceRun, resultsIssue] as const;
