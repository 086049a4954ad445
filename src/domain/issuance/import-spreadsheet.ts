/**
 * Bulk issuance from a spreadsheet: upload (CSV/XLSX) → column mapping (remembered per template) → row report (line
 * numbers, localised reasons) → fixes or explicit exclusions → publish → the worker issues every row exactly once
 * (run-issuance-job.ts). Nothing is issued while a row is invalid; a file that cannot be read creates no job at all.
 *
 * Rows become recipient drafts through the mapping and are checked by `checkRecipients`; the report numbers them by
 * their line in the file.
 */
import { recordAudit } from '../shared/audit.js';
import { AppError } from '../shared/errors.js';
import type { Actor } from '../shared/model.js';
import { type Action, type OrgScope, authorize } from '../shared/policies.js';
import type { Template, TemplateContent } from '../templates/model.js';
import { checkRecipients } from './check-recipients.js';
import { activeTemplate } from './issue-batch.js';
import type { IssuanceJob, IssuanceRow, JobCounts, RecipientDraft, RowError } from './model.js';
import type { IssuanceDeps } from './deps.js';
import { enqueueIssuance } from './run-issuance-job.js';

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

function initialMapping(deps: IssuanceDeps, template: Template, headers: string[]): Record<string, string> {
  const remembered = template.mapping ?? {};
  const targets = mappingTargets(template.content);
  const known = new Set(targets.map((t) => t.key));
  const out: Record<string, string> = {};
  const used = new Set<string>();
  for (const h of headers) {
    const t = remembered[h];
    if (t && known.has(t) && !used.has(t)) {
      out[h] = t;
      used.add(t);
    }
  }
  const suggested = deps.tabular.suggestMapping(
    headers.filter((h) => !out[h]),
    targets.filter((t) => !used.has(t.key)),
  );
  for (const [t, h] of Object.entries(suggested))
    if (h && !out[h] && !used.has(t)) {
      out[h] = t;
      used.add(t);
    }
  return out;
}

// ---- Row report ------------------------------------------------------------------------------------------

/** The recipient drafts of the rows: each mapped cell is the value of its target (unmapped targets: nothing). */
function draftsOf(content: TemplateContent, headers: string[], mapping: Record<string, string>, rows: IssuanceRow[]): RecipientDraft[] {
  const index = new Map<string, number>();
  headers.forEach((h, i) => {
    if (mapping[h]) index.set(mapping[h]!, i);
  });
  const cell = (row: IssuanceRow, target: string) => {
    const i = index.get(target);
    return i === undefined ? undefined : (row.cells[i] ?? '');
  };
  return rows.map((row) => ({
    name: cell(row, 'name') ?? '',
    email: cell(row, 'email') ?? '',
    learnerId: cell(row, 'learnerId'),
    locale: cell(row, 'locale'),
    fields: Object.fromEntries(content.fields.map((f) => [f.key, cell(row, `field:${f.key}`)])),
  }));
}

/**
 * Checks every row through the mapping (duplicate e-mails within the file included): each row gets its recipient
 * (`data`) or its problems, a duplicate naming the line of the first row with that e-mail.
 */
function reportRows(
  content: TemplateContent,
  { headers, mapping, rows }: { headers: string[]; mapping: Record<string, string>; rows: IssuanceRow[] },
): IssuanceRow[] {
  const checked = checkRecipients(content, draftsOf(content, headers, mapping, rows));
  const errorsOf = new Map<number, RowError[]>();
  for (const e of checked.errors ?? []) {
    const list = errorsOf.get(e.index) ?? [];
    list.push(e.firstIndex === undefined ? { target: e.target, code: e.code } : { target: e.target, code: e.code, line: rows[e.firstIndex]!.rowNo });
    errorsOf.set(e.index, list);
  }
  const valid = checked.recipients ?? checked.valid;
  return rows.map((row, i) => {
    const errors = errorsOf.get(i) ?? [];
    const excluded = row.status === 'excluded';
    return {
      ...row,
      data: errors.length ? null : valid[i]!,
      errors,
      status: excluded ? 'excluded' : errors.length ? 'invalid' : 'valid',
    };
  });
}

// ---- Use cases ------------------------------------------------------------------------------------------

/**
 * Reads the file and stores a draft job with its row report. A file that cannot be read (or is over the limits)
 * throws before anything is written.
 */
export async function createImport(
  deps: IssuanceDeps,
  actor: Actor,
  input: { slug: string; templateId: string; bytes: Uint8Array; filename?: string | null },
): Promise<IssuanceJob> {
  const { org } = await authorize(deps, actor, { action: 'credentials.issue', slug: input.slug });
  const template = await activeTemplate(deps, org, input.templateId);
  const table = await deps.tabular.parse(input.bytes);
  if (!table.rows.length) throw new AppError('IMPORT_EMPTY');
  const now = deps.clock.now();
  const job: IssuanceJob = {
    id: deps.secrets.newId(),
    orgId: org.id,
    templateId: template.id,
    templateVersion: template.version,
    source: table.format,
    filename: input.filename?.slice(0, 200) ?? null,
    status: 'draft',
    headers: table.headers,
    mapping: null,
    totalRows: table.rows.length,
    issuedCount: 0,
    failedCount: 0,
    createdBy: actor.kind === 'user' ? actor.userId : null,
    createdAt: now,
    updatedAt: now,
    queuedAt: null,
    heartbeatAt: null,
    completedAt: null,
  };
  const mapping = initialMapping(deps, template, table.headers);
  let rows: IssuanceRow[] = table.rows.map((r) => ({
    jobId: job.id,
    rowNo: r.line,
    cells: r.cells,
    data: null,
    errors: [],
    status: 'invalid',
    credentialRowId: null,
    error: null,
  }));
  let complete = true;
  try {
    checkMapping(template.content, table.headers, mapping);
  } catch {
    complete = false;
  }
  if (complete) rows = reportRows(template.content, { headers: table.headers, mapping, rows });
  else rows = rows.map((r) => ({ ...r, errors: [{ target: 'mapping', code: 'IMPORT_MAPPING_INVALID' }] }));
  job.mapping = mapping;
  await storeJob(deps, actor, { job, rows, action: 'issuance.imported', details: { rows: rows.length, format: table.format } });
  return job;
}

/** Stores a new job, its rows and its audit event in one transaction (spreadsheet imports and API jobs). */
export async function storeJob(
  deps: Pick<IssuanceDeps, 'store' | 'clock' | 'secrets'>,
  actor: Actor,
  { job, rows, action, details }: { job: IssuanceJob; rows: IssuanceRow[]; action: string; details: Record<string, unknown> },
): Promise<void> {
  await deps.store.transaction(async (tx) => {
    await tx.issuanceJobs.create(job);
    await tx.issuanceJobs.insertRows(rows);
    await recordAudit(tx, deps, { actor, action, orgId: job.orgId, targetType: 'issuance_job', targetId: job.id, details });
  });
}

export interface JobView {
  scope: OrgScope;
  job: IssuanceJob;
  template: Template;
  content: TemplateContent;
  counts: JobCounts;
}

/** A job of the organisation with its template version and row counts (`action`: what the caller is about to do). */
export async function getJob(
  deps: IssuanceDeps,
  actor: Actor,
  { slug, jobId, action = 'credentials.view' }: { slug: string; jobId: string; action?: Action },
): Promise<JobView> {
  const scope = await authorize(deps, actor, { action, slug });
  const job = await deps.store.issuanceJobs.find(scope.org.id, jobId);
  if (!job) throw new AppError('NOT_FOUND');
  const template = (await deps.store.templates.find(scope.org.id, job.templateId))!;
  const content = (await deps.store.templates.findVersion(job.templateId, job.templateVersion))!;
  return { scope, job, template, content, counts: await deps.store.issuanceJobs.counts(job.id) };
}

async function editableJob(deps: IssuanceDeps, actor: Actor, input: { slug: string; jobId: string }): Promise<JobView> {
  const view = await getJob(deps, actor, { ...input, action: 'credentials.issue' });
  if (view.job.status !== 'draft') throw new AppError('JOB_NOT_EDITABLE');
  return view;
}

async function reevaluate(deps: IssuanceDeps, view: JobView, mapping: Record<string, string>, edited?: { rowNo: number; cells: string[] }): Promise<void> {
  let rows = await deps.store.issuanceJobs.listRows(view.job.id);
  if (edited) rows = rows.map((r) => (r.rowNo === edited.rowNo ? { ...r, cells: edited.cells } : r));
  const evaluated = reportRows(view.content, { headers: view.job.headers, mapping, rows });
  const before = new Map(rows.map((r) => [r.rowNo, r]));
  // Only rows whose outcome changed are written (a fix on a 100,000-row file touches a handful).
  const changed = evaluated.filter((r) => {
    const b = before.get(r.rowNo)!;
    return (
      r.rowNo === edited?.rowNo ||
      b.status !== r.status ||
      JSON.stringify(b.errors) !== JSON.stringify(r.errors) ||
      JSON.stringify(b.data) !== JSON.stringify(r.data)
    );
  });
  await deps.store.transaction(async (tx) => {
    await tx.issuanceJobs.update(view.job.id, { mapping, updatedAt: deps.clock.now() });
    if (edited) await tx.issuanceJobs.updateRowCells(view.job.id, edited.rowNo, edited.cells);
    await tx.issuanceJobs.updateRows(changed);
  });
}

/** Sets the column mapping (and remembers it for the template's next files). */
export async function setMapping(deps: IssuanceDeps, actor: Actor, input: { slug: string; jobId: string; mapping: Record<string, unknown> }): Promise<void> {
  const view = await editableJob(deps, actor, input);
  const mapping = checkMapping(view.content, view.job.headers, input.mapping);
  await reevaluate(deps, view, mapping);
  await deps.store.templates.saveMapping(view.template.id, mapping);
}

/** Corrects one row: the new values replace the mapped cells, then every row is checked again (duplicates move). */
export async function fixRow(
  deps: IssuanceDeps,
  actor: Actor,
  input: { slug: string; jobId: string; rowNo: number; values: Record<string, unknown> },
): Promise<IssuanceRow> {
  const { jobId, rowNo, values } = input;
  const view = await editableJob(deps, actor, input);
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
export async function setExcluded(
  deps: IssuanceDeps,
  actor: Actor,
  input: { slug: string; jobId: string; rows: { rowNo: number } | 'invalid'; excluded: boolean },
): Promise<void> {
  const { jobId, rows: target, excluded } = input;
  await editableJob(deps, actor, input);
  if (target === 'invalid') {
    if (excluded) await deps.store.issuanceJobs.setRowsStatus(jobId, 'invalid', 'excluded');
    return;
  }
  const row = await deps.store.issuanceJobs.findRow(jobId, target.rowNo);
  if (!row) throw new AppError('NOT_FOUND');
  const status = excluded ? 'excluded' : row.errors.length ? 'invalid' : 'valid';
  await deps.store.issuanceJobs.updateRows([{ ...row, status }]);
}

/** Publishes a draft: refused while a row is invalid; then the background job issues every valid row. */
export async function publishJob(deps: IssuanceDeps, actor: Actor, input: { slug: string; jobId: string }): Promise<IssuanceJob> {
  const { jobId } = input;
  const view = await editableJob(deps, actor, input);
  await activeTemplate(deps, view.scope.org, view.job.templateId);
  checkMapping(view.content, view.job.headers, view.job.mapping ?? {});
  if (view.counts.invalid > 0) throw new AppError('IMPORT_HAS_INVALID_ROWS', { count: view.counts.invalid });
  if (view.counts.valid === 0) throw new AppError('IMPORT_NOTHING_TO_ISSUE');
  const now = deps.clock.now();
  await deps.store.transaction(async (tx) => {
    if (!(await tx.issuanceJobs.transition(jobId, ['draft'], 'queued', now))) throw new AppError('JOB_NOT_EDITABLE');
    await tx.issuanceJobs.setRowsStatus(jobId, 'valid', 'pending');
    await tx.issuanceJobs.update(jobId, { queuedAt: now });
    await recordAudit(tx, deps, {
      actor,
      action: 'issuance.published',
      orgId: view.scope.org.id,
      targetType: 'issuance_job',
      targetId: jobId,
      details: { rows: view.counts.valid },
    });
  });
  await enqueueIssuance(deps, jobId);
  return (await deps.store.issuanceJobs.findById(jobId))!;
}

/** The per-row results export of a job: column headers and one line per row (the caller neutralises formulas). */
export function resultsTable(
  view: JobView,
  rows: IssuanceRow[],
  {
    awards,
    locale,
    reason,
  }: { awards: Map<number, { credentialId: string; mailStatus: string | null }>; locale: 'fr' | 'en'; reason: (code: string) => string },
): { headers: string[]; rows: (string | number)[][] } {
  const fr = locale === 'fr';
  const headers = [
    fr ? 'Ligne' : 'Line',
    fr ? 'Nom' : 'Name',
    fr ? 'Courriel' : 'E-mail',
    fr ? 'Statut' : 'Status',
    fr ? 'Identifiant de l’attestation' : 'Credential id',
    fr ? 'Envoi' : 'Delivery',
    fr ? 'Motif' : 'Reason',
  ];
  const label: Record<string, string> = fr
    ? { issued: 'émise', failed: 'échec', excluded: 'exclue', pending: 'en attente', invalid: 'invalide', valid: 'valide' }
    : { issued: 'issued', failed: 'failed', excluded: 'excluded', pending: 'pending', invalid: 'invalid', valid: 'valid' };
  const mapped = (row: IssuanceRow, target: string) => {
    const i = view.job.headers.findIndex((h) => view.job.mapping?.[h] === target);
    return i < 0 ? '' : (row.cells[i] ?? '');
  };
  return {
    headers,
    rows: rows.map((r) => {
      const a = awards.get(r.rowNo);
      return [
        r.rowNo,
        r.data?.name ?? mapped(r, 'name'),
        r.data?.email ?? mapped(r, 'email'),
        label[r.status] ?? r.status,
        a?.credentialId ?? '',
        a?.mailStatus ?? '',
        r.error ? reason(r.error) : r.errors.map((e) => reason(e.code)).join(' ; '),
      ];
    }),
  };
}
