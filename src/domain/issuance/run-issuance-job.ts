/**
 * The worker side of published jobs (spreadsheet imports and API batches alike): every pending row of a job is issued
 * exactly once through `issueBatch`, in chunks, resumable after a crash (each row is marked issued in the same
 * transaction that stores its credential and e-mail). Also the job's progress, as pages and the API show it.
 */
import { recordAudit } from '../shared/audit.js';
import { AppError } from '../shared/errors.js';
import type { Actor } from '../shared/model.js';
import { issueBatch } from './issue-batch.js';
import type { IssuanceJob, JobCounts } from './model.js';
import type { IssuanceDeps } from './deps.js';

export const CHUNK_ROWS = 200;

/** A run of one part stops after this long and hands over to a continuation (the queue lease is the handler's deadline). */
export const RUN_BUDGET_MS = 60_000;
/** A published job with no sign of life for this long has lost its run (crash between commit and enqueue). */
export const STALE_AFTER_MS = 2 * 60_000;

/** Enqueues every part of a job (idempotent: one queued-or-running job per part). The worker sweeper calls it too. */
export async function enqueueIssuance(deps: Pick<IssuanceDeps, 'jobs' | 'issuanceParts'>, jobId: string): Promise<void> {
  const parts = Math.max(1, deps.issuanceParts ?? 1);
  for (let part = 0; part < parts; part++) {
    await deps.jobs.enqueue('issuance.run@1', { jobId, part, parts }, { singletonKey: `${jobId}:${part}/${parts}`, maxAttempts: 20 });
  }
}

/**
 * The worker side: issues the pending rows of one part of a job, chunk by chunk, for at most `budgetMs`, then
 * enqueues its continuation. Safe to run again after a crash and concurrently with itself: a row already issued is
 * skipped inside the storing transaction (and `awards (job_id,row_no)` is unique).
 */
export async function runIssuancePart(
  deps: IssuanceDeps,
  jobId: string,
  { part = 0, parts = 1, budgetMs = RUN_BUDGET_MS }: { part?: number; parts?: number; budgetMs?: number } = {},
): Promise<void> {
  const started = deps.clock.now().getTime();
  const job = await deps.store.issuanceJobs.findById(jobId);
  if (!job || job.status === 'completed' || job.status === 'cancelled' || job.status === 'draft') return;
  const org = await deps.store.organizations.findById(job.orgId);
  const template = org && (await deps.store.templates.find(org.id, job.templateId));
  if (!org || !template) return;
  if (job.status === 'queued') await deps.store.issuanceJobs.transition(jobId, ['queued'], 'running', deps.clock.now());
  const actor: Actor = job.createdBy ? { kind: 'user', userId: job.createdBy, isPlatformAdmin: false, ip: null } : { kind: 'system' };
  const batch = { org, template, version: job.templateVersion };
  let after = -1;
  for (;;) {
    const rows = await deps.store.issuanceJobs.listRows(jobId, {
      status: ['pending'],
      afterRowNo: after,
      limit: CHUNK_ROWS,
      part: parts > 1 ? { index: part, of: parts } : undefined,
    });
    if (!rows.length) break;
    after = rows[rows.length - 1]!.rowNo;
    // The rows' recipients were checked when the job was created: they are issued as stored.
    const ready = rows.filter((r) => r.data);
    const recipients = ready.map((r) => r.data!);
    const rowNos = ready.map((r) => r.rowNo);
    try {
      await issueBatch(deps, actor, { ...batch, recipients, job: { jobId, rowNos } });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      // One bad row must not stop the others: issue one by one and record the failing rows.
      for (let i = 0; i < recipients.length; i++) {
        try {
          await issueBatch(deps, actor, { ...batch, recipients: [recipients[i]!], job: { jobId, rowNos: [rowNos[i]!] } });
        } catch (e) {
          if (!(e instanceof AppError)) throw e;
          await deps.store.issuanceJobs.markRowFailed(jobId, rowNos[i]!, e.code);
        }
      }
    }
    await deps.store.issuanceJobs.update(jobId, { heartbeatAt: deps.clock.now() });
    if (deps.clock.now().getTime() - started >= budgetMs) {
      // Hand over: the continuation's key names where it starts, so a retried handler cannot enqueue it twice.
      await deps.jobs.enqueue('issuance.run@1', { jobId, part, parts }, { singletonKey: `${jobId}:${part}/${parts}@${after}`, maxAttempts: 20 });
      return;
    }
  }
  await finishIfDone(deps, job);
}

/** The worker's sweeper: published jobs whose run shows no sign of life are enqueued again. */
export async function resumeStaleJobs(deps: IssuanceDeps): Promise<number> {
  const now = deps.clock.now().getTime();
  let resumed = 0;
  for (const job of await deps.store.issuanceJobs.listUnfinished(100)) {
    const seen = (job.heartbeatAt ?? job.queuedAt ?? job.updatedAt).getTime();
    if (now - seen < STALE_AFTER_MS) continue;
    await enqueueIssuance(deps, job.id);
    resumed++;
  }
  return resumed;
}

async function finishIfDone(deps: IssuanceDeps, job: IssuanceJob): Promise<void> {
  const counts = await deps.store.issuanceJobs.counts(job.id);
  if (counts.pending > 0) return;
  const now = deps.clock.now();
  await deps.store.transaction(async (tx) => {
    if (!(await tx.issuanceJobs.transition(job.id, ['running', 'queued'], 'completed', now))) return;
    await tx.issuanceJobs.update(job.id, { issuedCount: counts.issued, failedCount: counts.failed, completedAt: now });
    await recordAudit(tx, deps, {
      actor: { kind: 'system' },
      action: 'issuance.completed',
      orgId: job.orgId,
      targetType: 'issuance_job',
      targetId: job.id,
      details: { issued: counts.issued, failed: counts.failed },
    });
    await deps.hooks?.onJobCompleted?.(tx, job, counts);
  });
}

/** Progress of a job, as the progress bar and its server-sent events show it. */
export function progressOf(
  job: IssuanceJob,
  counts: JobCounts,
): { status: IssuanceJob['status']; done: number; total: number; percent: number; issued: number; failed: number } {
  const total = counts.pending + counts.issued + counts.failed;
  const done = counts.issued + counts.failed;
  const percent = job.status === 'completed' ? 100 : total ? Math.floor((done / total) * 100) : 0;
  return { status: job.status, done, total, percent, issued: counts.issued, failed: counts.failed };
}
