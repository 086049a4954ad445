/**
 * Bulk issuance: upload (CSV/XLSX) → column mapping (remembered per template) → row report (line numbers, localised
 * reasons) → fixes or explicit exclusions → publish → a background job issues every row exactly once, in chunks,
 * resumable after a crash (each row is marked issued in the same transaction that stores its credential and e-mail).
 * Nothing is issued while a row is invalid; a file that cannot be read creates no job at all.
 */
import { recordAudit } from '../shared/audit.js';
import { AppError } from '../shared/errors.js';
import type { Actor } from '../shared/model.js';
import { type OrgAccess, requireOrgRole } from '../organizations/organizations.js';
import type { JobQueue } from '../shared/ports.js';
import type { Repositories } from '../shared/store.js';
import type { StatusHooks } from '../credentials/status-lists.js';
import { type AwardHooks, type AwardingDeps, type RecipientInput, checkRecipient, issueAwards } from './issue-awards.js';
import type { Template, TemplateContent } from '../templates/model.js';
import { ISSUER_ROLES, READER_ROLES, pick } from '../templates/manage-templates.js';
import type { Organization } from '../organizations/model.js';
import type { IssuanceJob, IssuanceRow, JobCounts, RowError } from './model.js';

type UserActor = Extract<Actor, { kind: 'user' }>;

/** Reads uploaded spreadsheets (src/files/tabular.ts). Throws AppError (4xx) for files it cannot read. */
export interface TabularReader {
  parse(bytes: Uint8Array): Promise<{ format: 'csv' | 'xlsx'; headers: string[]; rows: { line: number; cells: string[] }[] }>;
  /** Target key → the header that best matches it (or null). */
  suggestMapping(headers: string[], targets: { key: string; aliases: string[] }[]): Record<string, string | null>;
}

/** What other features (webhooks) do inside the transactions of issuance, status changes and job completion. */
export type IssuanceHooks = AwardHooks & StatusHooks & {
  onJobCompleted?(tx: Repositories, job: IssuanceJob, counts: JobCounts): Promise<void>;
};

export interface BulkDeps extends AwardingDeps {
  jobs: JobQueue;
  tabular: TabularReader;
  hooks?: IssuanceHooks;
  /** Parallel parts of a job (one per worker process); 1 by default. */
  issuanceParts?: number;
}

export const CHUNK_ROWS = 200;

// ---- Mapping ---------------------------------------------------------------------------------------------

export const BASE_TARGETS = ['name', 'email', 'learnerId', 'locale'] as const;

export function mappingTargets(content: TemplateContent): { key: string; aliases: string[] }[] {
  return [
    { key: 'name', aliases: ['nom', 'nom complet', 'name', 'full name', 'prenom nom', 'destinataire', 'recipient', 'participant', 'apprenant', 'learner'] },
    { key: 'email', aliases: ['courriel', 'email', 'e-mail', 'mail', 'adresse courriel', 'adresse e-mail', 'adresse electronique', 'email address'] },
    { key: 'learnerId', aliases: ['matricule', 'learner id', 'student id', 'code permanent', 'identifiant', 'numero etudiant', 'id'] },
    { key: 'locale', aliases: ['langue', 'language', 'lang', 'locale'] },
    ...content.fields.map((f) => ({ key: `field:${f.key}`, aliases: [f.key, f.label.fr ?? '', f.label.en ?? ''].filter(Boolean) })),
  ];
}

/** Checks a header → target mapping: name and e-mail mapped, each target at most once, known targets only. */
export function checkMapping(content: TemplateContent, headers: string[], raw: Record<string, unknown>): Record<string, string> {
  const known = new Set(mappingTargets(content).map((t) => t.key));
  const out: Record<string, string> = {};
  const used = new Set<string>();
  for (const h of headers) {
    const t = raw[h];
    if (t === undefined || t === null || t === '') continue;
    if (typeof t !== 'string' || !known.has(t) || used.has(t)) throw new AppError('IMPORT_MAPPING_INVALID', {}, { field: `mapping.${h}` });
    used.add(t);
    out[h] = t;
  }
  if (!used.has('name') || !used.has('email')) throw new AppError('IMPORT_MAPPING_INVALID', {}, { field: 'mapping' });
  return out;
}

function initialMapping(deps: BulkDeps, template: Template, headers: string[]): Record<string, string> {
  const remembered = template.mapping ?? {};
  const targets = mappingTargets(template.content);
  const known = new Set(targets.map((t) => t.key));
  const out: Record<string, string> = {};
  const used = new Set<string>();
  for (const h of headers) {
    const t = remembered[h];
    if (t && known.has(t) && !used.has(t)) { out[h] = t; used.add(t); }
  }
  const suggested = deps.tabular.suggestMapping(headers.filter((h) => !out[h]), targets.filter((t) => !used.has(t.key)));
  for (const [t, h] of Object.entries(suggested)) if (h && !out[h] && !used.has(t)) { out[h] = t; used.add(t); }
  return out;
}

/** Applies the mapping to every row and checks them all, including duplicate e-mails within the file. */
export function evaluateRows(content: TemplateContent, headers: string[], mapping: Record<string, string>, rows: IssuanceRow[]): IssuanceRow[] {
  const index = new Map<string, number>();
  headers.forEach((h, i) => { if (mapping[h]) index.set(mapping[h]!, i); });
  const cell = (row: IssuanceRow, target: string) => { const i = index.get(target); return i === undefined ? undefined : row.cells[i] ?? ''; };
  const firstLine = new Map<string, number>();
  return rows.map((row) => {
    const input: RecipientInput = {
      name: cell(row, 'name') ?? '', email: cell(row, 'email') ?? '', learnerId: cell(row, 'learnerId'), locale: cell(row, 'locale'),
      fields: Object.fromEntries(content.fields.map((f) => [f.key, cell(row, `field:${f.key}`)])),
    };
    const { recipient, errors } = checkRecipient(content, input);
    const all: RowError[] = [...errors];
    if (recipient) {
      const first = firstLine.get(recipient.email);
      if (first !== undefined) all.push({ target: 'email', code: 'RECIPIENT_DUPLICATE', line: first });
      else firstLine.set(recipient.email, row.rowNo);
    }
    const excluded = row.status === 'excluded';
    return {
      ...row, data: all.length ? null : recipient!, errors: all,
      status: excluded ? 'excluded' : all.length ? 'invalid' : 'valid',
    };
  });
}

// ---- Use cases ------------------------------------------------------------------------------------------

async function activeTemplate(deps: BulkDeps, org: Organization, templateId: string): Promise<Template> {
  const template = await deps.store.templates.find(org.id, templateId);
  if (!template) throw new AppError('NOT_FOUND');
  if (template.status === 'archived') throw new AppError('TEMPLATE_ARCHIVED');
  return template;
}

/**
 * Reads the file and stores a draft job with its row report. A file that cannot be read (or is over the limits)
 * throws before anything is written.
 */
export async function createImport(deps: BulkDeps, actor: UserActor, slug: string, input: { templateId: string; bytes: Uint8Array; filename?: string | null }): Promise<IssuanceJob> {
  const { org } = await requireOrgRole(deps, actor, slug, ISSUER_ROLES);
  const template = await activeTemplate(deps, org, input.templateId);
  const table = await deps.tabular.parse(input.bytes);
  if (!table.rows.length) throw new AppError('IMPORT_EMPTY');
  const now = deps.clock.now();
  const job: IssuanceJob = {
    id: deps.secrets.newId(), orgId: org.id, templateId: template.id, templateVersion: template.version, source: table.format,
    filename: input.filename?.slice(0, 200) ?? null, status: 'draft', headers: table.headers, mapping: null, totalRows: table.rows.length,
    issuedCount: 0, failedCount: 0, createdBy: actor.userId, createdAt: now, updatedAt: now, queuedAt: null, heartbeatAt: null, completedAt: null,
  };
  const mapping = initialMapping(deps, template, table.headers);
  let rows: IssuanceRow[] = table.rows.map((r) => ({ jobId: job.id, rowNo: r.line, cells: r.cells, data: null, errors: [], status: 'invalid', credentialRowId: null, error: null }));
  let complete = true;
  try {
    checkMapping(template.content, table.headers, mapping);
  } catch {
    complete = false;
  }
  if (complete) rows = evaluateRows(template.content, table.headers, mapping, rows);
  else rows = rows.map((r) => ({ ...r, errors: [{ target: 'mapping', code: 'IMPORT_MAPPING_INVALID' }] }));
  job.mapping = mapping;
  await deps.store.transaction(async (tx) => {
    await tx.issuanceJobs.create(job);
    await tx.issuanceJobs.insertRows(rows);
    await recordAudit(tx, deps, actor, { action: 'issuance.imported', orgId: org.id, targetType: 'issuance_job', targetId: job.id, details: { rows: rows.length, format: table.format } });
  });
  return job;
}

export interface JobView {
  access: OrgAccess;
  job: IssuanceJob;
  template: Template;
  content: TemplateContent;
  counts: JobCounts;
}

export async function getJob(deps: BulkDeps, actor: UserActor, slug: string, jobId: string, roles: readonly OrgAccess['role'][] = READER_ROLES): Promise<JobView> {
  const access = await requireOrgRole(deps, actor, slug, roles);
  const job = await deps.store.issuanceJobs.find(access.org.id, jobId);
  if (!job) throw new AppError('NOT_FOUND');
  const template = (await deps.store.templates.find(access.org.id, job.templateId))!;
  const content = (await deps.store.templates.findVersion(job.templateId, job.templateVersion))!;
  return { access, job, template, content, counts: await deps.store.issuanceJobs.counts(job.id) };
}

async function editableJob(deps: BulkDeps, actor: UserActor, slug: string, jobId: string): Promise<JobView> {
  const view = await getJob(deps, actor, slug, jobId, ISSUER_ROLES);
  if (view.job.status !== 'draft') throw new AppError('JOB_NOT_EDITABLE');
  return view;
}

async function reevaluate(deps: BulkDeps, view: JobView, mapping: Record<string, string>, edited?: { rowNo: number; cells: string[] }): Promise<void> {
  let rows = await deps.store.issuanceJobs.listRows(view.job.id);
  if (edited) rows = rows.map((r) => (r.rowNo === edited.rowNo ? { ...r, cells: edited.cells } : r));
  const evaluated = evaluateRows(view.content, view.job.headers, mapping, rows);
  const before = new Map(rows.map((r) => [r.rowNo, r]));
  // Only rows whose outcome changed are written (a fix on a 100,000-row file touches a handful).
  const changed = evaluated.filter((r) => {
    const b = before.get(r.rowNo)!;
    return r.rowNo === edited?.rowNo || b.status !== r.status || JSON.stringify(b.errors) !== JSON.stringify(r.errors) || JSON.stringify(b.data) !== JSON.stringify(r.data);
  });
  await deps.store.transaction(async (tx) => {
    await tx.issuanceJobs.update(view.job.id, { mapping, updatedAt: deps.clock.now() });
    if (edited) await tx.issuanceJobs.updateRowCells(view.job.id, edited.rowNo, edited.cells);
    await tx.issuanceJobs.updateRows(changed);
  });
}

/** Sets the column mapping (and remembers it for the template's next files). */
export async function setMapping(deps: BulkDeps, actor: UserActor, slug: string, jobId: string, raw: Record<string, unknown>): Promise<void> {
  const view = await editableJob(deps, actor, slug, jobId);
  const mapping = checkMapping(view.content, view.job.headers, raw);
  await reevaluate(deps, view, mapping);
  await deps.store.templates.saveMapping(view.template.id, mapping);
}

/** Corrects one row: the new values replace the mapped cells, then every row is checked again (duplicates move). */
export async function fixRow(deps: BulkDeps, actor: UserActor, slug: string, jobId: string, rowNo: number, values: Record<string, unknown>): Promise<IssuanceRow> {
  const view = await editableJob(deps, actor, slug, jobId);
  const mapping = view.job.mapping ?? {};
  checkMapping(view.content, view.job.headers, mapping);
  const row = await deps.store.issuanceJobs.findRow(jobId, rowNo);
  if (!row) throw new AppError('NOT_FOUND');
  const cells = [...row.cells];
  view.job.headers.forEach((h, i) => {
    const target = mapping[h];
    const v = target ? values[target] : undefined;
    if (typeof v === 'string') cells[i] = v.slice(0, 2000);
  });
  while (cells.length < view.job.headers.length) cells.push('');
  await reevaluate(deps, view, mapping, { rowNo, cells });
  return (await deps.store.issuanceJobs.findRow(jobId, rowNo))!;
}

/** Excludes (or includes again) one row, or every invalid row at once. */
export async function setExcluded(deps: BulkDeps, actor: UserActor, slug: string, jobId: string, target: { rowNo: number } | 'invalid', excluded: boolean): Promise<void> {
  const view = await editableJob(deps, actor, slug, jobId);
  if (target === 'invalid') {
    if (excluded) await deps.store.issuanceJobs.setRowsStatus(jobId, 'invalid', 'excluded');
    return;
  }
  const row = await deps.store.issuanceJobs.findRow(jobId, target.rowNo);
  if (!row) throw new AppError('NOT_FOUND');
  const status = excluded ? 'excluded' : row.errors.length ? 'invalid' : 'valid';
  await deps.store.issuanceJobs.updateRows([{ ...row, status }]);
  void view;
}

/** Publishes a draft: refused while a row is invalid; then the background job issues every valid row. */
export async function publishJob(deps: BulkDeps, actor: UserActor, slug: string, jobId: string): Promise<IssuanceJob> {
  const view = await editableJob(deps, actor, slug, jobId);
  await activeTemplate(deps, view.access.org, view.job.templateId);
  checkMapping(view.content, view.job.headers, view.job.mapping ?? {});
  if (view.counts.invalid > 0) throw new AppError('IMPORT_HAS_INVALID_ROWS', { count: view.counts.invalid });
  if (view.counts.valid === 0) throw new AppError('IMPORT_NOTHING_TO_ISSUE');
  const now = deps.clock.now();
  await deps.store.transaction(async (tx) => {
    if (!(await tx.issuanceJobs.transition(jobId, ['draft'], 'queued', now))) throw new AppError('JOB_NOT_EDITABLE');
    await tx.issuanceJobs.setRowsStatus(jobId, 'valid', 'pending');
    await tx.issuanceJobs.update(jobId, { queuedAt: now });
    await recordAudit(tx, deps, actor, { action: 'issuance.published', orgId: view.access.org.id, targetType: 'issuance_job', targetId: jobId, details: { rows: view.counts.valid } });
  });
  await enqueueIssuance(deps, jobId);
  return (await deps.store.issuanceJobs.findById(jobId))!;
}

/** Enqueues every part of a job (idempotent: one queued-or-running job per part). The worker sweeper calls it too. */
export async function enqueueIssuance(deps: Pick<BulkDeps, 'jobs' | 'issuanceParts'>, jobId: string): Promise<void> {
  const parts = Math.max(1, deps.issuanceParts ?? 1);
  for (let part = 0; part < parts; part++) {
    await deps.jobs.enqueue('issuance.run@1', { jobId, part, parts }, { singletonKey: `${jobId}:${part}/${parts}`, maxAttempts: 20 });
  }
}

/** A run of one part stops after this long and hands over to a continuation (the queue lease is the handler's deadline). */
export const RUN_BUDGET_MS = 60_000;
/** A published job with no sign of life for this long has lost its run (crash between commit and enqueue). */
export const STALE_AFTER_MS = 2 * 60_000;

/**
 * The worker side: issues the pending rows of one part of a job, chunk by chunk, for at most `budgetMs`, then
 * enqueues its continuation. Safe to run again after a crash and concurrently with itself: a row already issued is
 * skipped inside the storing transaction (and `awards (job_id,row_no)` is unique).
 */
export async function runIssuancePart(deps: BulkDeps, jobId: string, part = 0, parts = 1, budgetMs = RUN_BUDGET_MS): Promise<void> {
  const started = deps.clock.now().getTime();
  const job = await deps.store.issuanceJobs.findById(jobId);
  if (!job || job.status === 'completed' || job.status === 'cancelled' || job.status === 'draft') return;
  const org = await deps.store.organizations.findById(job.orgId);
  const template = org && (await deps.store.templates.find(org.id, job.templateId));
  if (!org || !template) return;
  if (job.status === 'queued') await deps.store.issuanceJobs.transition(jobId, ['queued'], 'running', deps.clock.now());
  const actor: Actor = job.createdBy ? { kind: 'user', userId: job.createdBy, isPlatformAdmin: false, ip: null } : { kind: 'system' };
  let after = -1;
  for (;;) {
    const rows = await deps.store.issuanceJobs.listRows(jobId, { status: ['pending'], afterRowNo: after, limit: CHUNK_ROWS, part: parts > 1 ? { index: part, of: parts } : undefined });
    if (!rows.length) break;
    after = rows[rows.length - 1]!.rowNo;
    const items = rows.filter((r) => r.data).map((r) => ({ recipient: r.data!, jobId, rowNo: r.rowNo }));
    try {
      await issueAwards(deps, actor, org, template, job.templateVersion, items);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      // One bad row must not stop the others: issue one by one and record the failing rows.
      for (const item of items) {
        try {
          await issueAwards(deps, actor, org, template, job.templateVersion, [item]);
        } catch (e) {
          if (!(e instanceof AppError)) throw e;
          await deps.store.issuanceJobs.markRowFailed(jobId, item.rowNo, e.code);
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
export async function resumeStaleJobs(deps: BulkDeps): Promise<number> {
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

async function finishIfDone(deps: BulkDeps, job: IssuanceJob): Promise<void> {
  const counts = await deps.store.issuanceJobs.counts(job.id);
  if (counts.pending > 0) return;
  const now = deps.clock.now();
  await deps.store.transaction(async (tx) => {
    if (!(await tx.issuanceJobs.transition(job.id, ['running', 'queued'], 'completed', now))) return;
    await tx.issuanceJobs.update(job.id, { issuedCount: counts.issued, failedCount: counts.failed, completedAt: now });
    await recordAudit(tx, deps, { kind: 'system' }, { action: 'issuance.completed', orgId: job.orgId, targetType: 'issuance_job', targetId: job.id, details: { issued: counts.issued, failed: counts.failed } });
    await deps.hooks?.onJobCompleted?.(tx, job, counts);
  });
}

/** Progress of a job, as the progress bar and its server-sent events show it. */
export function progressOf(job: IssuanceJob, counts: JobCounts): { status: IssuanceJob['status']; done: number; total: number; percent: number; issued: number; failed: number } {
  const total = counts.pending + counts.issued + counts.failed;
  const done = counts.issued + counts.failed;
  const percent = job.status === 'completed' ? 100 : total ? Math.floor((done / total) * 100) : 0;
  return { status: job.status, done, total, percent, issued: counts.issued, failed: counts.failed };
}

/** Column headers of the per-row results export (the caller neutralises formulas). */
export function resultsTable(view: JobView, rows: IssuanceRow[], awards: Map<number, { credentialId: string; mailStatus: string | null }>, locale: 'fr' | 'en', reason: (code: string) => string): { headers: string[]; rows: (string | number)[][] } {
  const fr = locale === 'fr';
  const headers = [fr ? 'Ligne' : 'Line', fr ? 'Nom' : 'Name', fr ? 'Courriel' : 'E-mail', fr ? 'Statut' : 'Status', fr ? 'Identifiant de l’attestation' : 'Credential id', fr ? 'Envoi' : 'Delivery', fr ? 'Motif' : 'Reason'];
  const label: Record<string, string> = fr
    ? { issued: 'émise', failed: 'échec', excluded: 'exclue', pending: 'en attente', invalid: 'invalide', valid: 'valide' }
    : { issued: 'issued', failed: 'failed', excluded: 'excluded', pending: 'pending', invalid: 'invalid', valid: 'valid' };
  const mapped = (row: IssuanceRow, target: string) => {
    const i = view.job.headers.findIndex((h) => view.job.mapping?.[h] === target);
    return i < 0 ? '' : row.cells[i] ?? '';
  };
  return {
    headers,
    rows: rows.map((r) => {
      const a = awards.get(r.rowNo);
      return [r.rowNo, r.data?.name ?? mapped(r, 'name'), r.data?.email ?? mapped(r, 'email'), label[r.status] ?? r.status, a?.credentialId ?? '', a?.mailStatus ?? '',
        r.error ? reason(r.error) : r.errors.map((e) => reason(e.code)).join(' ; ')];
    }),
  };
}

export { pick };
