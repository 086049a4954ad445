/**
 * Issuing through the JSON API: recipients arrive as JSON records instead of spreadsheet rows. Records are checked
 * exactly like the rows of a CSV — turned into cells under fixed headers (`name`, `email`, `learnerId`, `locale`,
 * `field:<key>`) with the identity mapping and evaluated by `evaluateRows` (checkRecipient + the duplicate e-mail
 * rule) — and refused as a whole when any is invalid: nothing is issued and no job is created.
 *
 * - `issueRecords`: up to 100 recipients, issued synchronously through `issueAwards`.
 * - `createJobFromRecords`: up to 10,000 recipients, stored as a published job (source `api`, row n = record n − 1)
 *   that the worker issues exactly like a published CSV job (`runIssuancePart`).
 */
import { recordAudit } from '../shared/audit.js';
import { AppError } from '../shared/errors.js';
import type { Actor } from '../shared/model.js';
import { type IssuedAward, issueAwards } from './issue-awards.js';
import { type BulkDeps, enqueueIssuance, evaluateRows } from './bulk-import.js';
import type { Template, TemplateContent } from '../templates/model.js';
import type { Organization } from '../organizations/model.js';
import type { IssuanceJob, IssuanceRow, RowError } from './model.js';

/** Recipients per synchronous `POST /credentials`. */
export const API_ISSUE_MAX = 100;
/** Recipients per `POST /issuance-jobs` (the 1 MiB JSON body limit may bind first). */
export const API_JOB_MAX = 10_000;

/** One recipient as the API sends it (values are checked here, whatever their type). */
export interface RecipientRecord {
  name?: unknown;
  email?: unknown;
  learnerId?: unknown;
  locale?: unknown;
  fields?: unknown;
}

/** A problem with one record: its position in the request (from 0), the target and the message code. */
export interface RecordError {
  index: number;
  target: string;
  code: string;
  /** For duplicates: the position of the first record with the same e-mail. */
  firstIndex?: number;
}

/** Some records are invalid: nothing was issued. Carries the report of every record. */
export class RecipientsInvalidError extends AppError {
  constructor(readonly items: RecordError[]) {
    super('RECIPIENTS_INVALID', { count: new Set(items.map((i) => i.index)).size }, { field: 'recipients' });
  }
}

const BASE_HEADERS = ['name', 'email', 'learnerId', 'locale'] as const;

/** The fixed headers of an API job: the mapping targets themselves. */
export function recordHeaders(content: TemplateContent): string[] {
  return [...BASE_HEADERS, ...content.fields.map((f) => `field:${f.key}`)];
}

/** A value that is neither text nor a number: a control character, so checkRecipient flags it with its own code. */
const WRONG_TYPE = '\u0000';

function cellOf(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return WRONG_TYPE;
}

/**
 * Checks every record (all problems of all records, like a CSV row report). `rows` are ready to store: row numbers
 * from 1, cells under `recordHeaders`, `data` set and status `valid` when there is no error at all.
 */
export function checkRecords(content: TemplateContent, records: RecipientRecord[], jobId = ''): { rows: IssuanceRow[]; errors: RecordError[] } {
  const headers = recordHeaders(content);
  const mapping = Object.fromEntries(headers.map((h) => [h, h]));
  const known = new Set(content.fields.map((f) => f.key));
  const extra: RecordError[] = [];
  const rows: IssuanceRow[] = records.map((record, index) => {
    const r = (record && typeof record === 'object' ? record : {}) as RecipientRecord;
    let fields: Record<string, unknown> = {};
    if (r.fields !== undefined && r.fields !== null) {
      if (typeof r.fields !== 'object' || Array.isArray(r.fields)) extra.push({ index, target: 'fields', code: 'FIELD_INVALID' });
      else fields = r.fields as Record<string, unknown>;
    }
    // A field the template does not have is refused (a typo would otherwise be dropped silently).
    for (const key of Object.keys(fields)) {
      if (!known.has(key)) extra.push({ index, target: `field:${key.slice(0, 60)}`, code: 'FIELD_INVALID' });
    }
    const value = (h: string) => (h.startsWith('field:') ? (known.has(h.slice(6)) ? fields[h.slice(6)] : undefined) : r[h as keyof RecipientRecord]);
    return { jobId, rowNo: index + 1, cells: headers.map((h) => cellOf(value(h))), data: null, errors: [], status: 'invalid', credentialRowId: null, error: null };
  });
  const evaluated = evaluateRows(content, headers, mapping, rows);
  const errors: RecordError[] = [];
  for (const row of evaluated) {
    const index = row.rowNo - 1;
    errors.push(...row.errors.map((e: RowError) => ({
      index, target: e.target, code: e.code, ...(e.line !== undefined ? { firstIndex: e.line - 1 } : {}),
    })));
    errors.push(...extra.filter((e) => e.index === index));
  }
  const bad = new Set(errors.map((e) => e.index));
  return {
    rows: evaluated.map((row) => (bad.has(row.rowNo - 1) ? { ...row, data: null, status: 'invalid' as const } : row)),
    errors,
  };
}

/** An active template of the organisation (404 like a missing one for another organisation's, 409 if archived). */
async function activeTemplate(deps: Pick<BulkDeps, 'store'>, org: Organization, templateId: string): Promise<Template> {
  const template = typeof templateId === 'string' && templateId.length <= 64 ? await deps.store.templates.find(org.id, templateId) : undefined;
  if (!template) throw new AppError('NOT_FOUND');
  if (template.status === 'archived') throw new AppError('TEMPLATE_ARCHIVED');
  return template;
}

function checkCount(records: RecipientRecord[], max: number): void {
  if (!Array.isArray(records) || records.length < 1 || records.length > max) throw new AppError('VALIDATION_FAILED', { max }, { field: 'recipients' });
}

/**
 * Issues one credential per record, at once (1–100 records). Every record is checked first; any problem throws
 * RecipientsInvalidError and nothing is issued. The holder links are only e-mailed (callers must not return them).
 */
export async function issueRecords(
  deps: BulkDeps, actor: Actor, org: Organization, templateId: string, records: RecipientRecord[],
): Promise<{ template: Template; issued: IssuedAward[] }> {
  checkCount(records, API_ISSUE_MAX);
  const template = await activeTemplate(deps, org, templateId);
  const { rows, errors } = checkRecords(template.content, records);
  if (errors.length) throw new RecipientsInvalidError(errors);
  const issued = await issueAwards(deps, actor, org, template, template.version, rows.map((r) => ({ recipient: r.data! })));
  return { template, issued };
}

/**
 * Stores a job of 1–10,000 records and publishes it at once: the job is `queued`, its rows `pending`, in one
 * transaction with its audit event, then the worker is asked to run it (as `publishJob` does for a CSV job).
 * Any invalid record throws RecipientsInvalidError and creates no job.
 */
export async function createJobFromRecords(
  deps: BulkDeps, actor: Actor, org: Organization, templateId: string, records: RecipientRecord[],
): Promise<IssuanceJob> {
  checkCount(records, API_JOB_MAX);
  const template = await activeTemplate(deps, org, templateId);
  const now = deps.clock.now();
  const job: IssuanceJob = {
    id: deps.secrets.newId(), orgId: org.id, templateId: template.id, templateVersion: template.version, source: 'api', filename: null,
    status: 'queued', headers: recordHeaders(template.content), mapping: null, totalRows: records.length, issuedCount: 0, failedCount: 0,
    createdBy: actor.kind === 'user' ? actor.userId : null, createdAt: now, updatedAt: now, queuedAt: now, heartbeatAt: null, completedAt: null,
  };
  job.mapping = Object.fromEntries(job.headers.map((h) => [h, h]));
  const { rows, errors } = checkRecords(template.content, records, job.id);
  if (errors.length) throw new RecipientsInvalidError(errors);
  await deps.store.transaction(async (tx) => {
    await tx.issuanceJobs.create(job);
    await tx.issuanceJobs.insertRows(rows.map((r) => ({ ...r, status: 'pending' as const })));
    await recordAudit(tx, deps, actor, { action: 'issuance.published', orgId: org.id, targetType: 'issuance_job', targetId: job.id, details: { rows: rows.length, source: 'api' } });
  });
  await enqueueIssuance(deps, job.id);
  return job;
}
