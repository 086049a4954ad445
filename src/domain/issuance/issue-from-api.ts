/**
 * Issuing through the JSON API: recipients arrive as JSON records. Each record becomes a recipient draft (a value of
 * a type the API does not take — a boolean, an object, an array — is reported as an invalid value of its target;
 * `fields` that is not an object, or a key the template does not have, is refused too), and the drafts are checked by
 * `checkRecipients`. Any problem refuses the whole request: nothing is issued and no job is created.
 *
 * - `issueFromApi`: up to 100 recipients, issued synchronously through `issueBatch`.
 * - `createApiJob`: up to 10,000 recipients, stored as a published job (source `api`, row n = record n − 1) that the
 *   worker issues exactly like a published spreadsheet job (`runIssuancePart`).
 *
 * Authorised as `credentials.issue`; an API key names no organisation (`slug` may be omitted: the key's own).
 */
import { AppError } from '../shared/errors.js';
import type { Actor } from '../shared/model.js';
import { authorize } from '../shared/policies.js';
import type { Template, TemplateContent } from '../templates/model.js';
import { RecipientsInvalidError, checkRecipients } from './check-recipients.js';
import { type IssuedAward, activeTemplate, issueBatch } from './issue-batch.js';
import type { DraftValue, IssuanceJob, IssuanceRow, Recipient, RecipientDraft, RecipientError, RecipientTarget } from './model.js';
import type { IssuanceDeps } from './deps.js';
import { storeJob } from './import-spreadsheet.js';
import { enqueueIssuance } from './run-issuance-job.js';

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

export interface ApiRecipientsInput {
  /** The organisation; omitted for an API key (its own). */
  slug?: string;
  templateId: string;
  recipients: RecipientRecord[];
}

const BASE_TARGETS = ['name', 'email', 'learnerId', 'locale'] as const;

/** The columns of an API job's rows (what each record carried): the recipient targets themselves. */
function recordHeaders(content: TemplateContent): string[] {
  return [...BASE_TARGETS, ...content.fields.map((f) => `field:${f.key}`)];
}

type Read<T> = { value: T } | { wrongType: true };

/** A JSON text or finite number (numbers kept as numbers when `asText` is off); nothing for null. */
function readValue(raw: unknown, asText: boolean): Read<DraftValue> {
  if (raw === undefined || raw === null) return { value: undefined };
  if (typeof raw === 'string') return { value: raw };
  if (typeof raw === 'number' && Number.isFinite(raw)) return { value: asText ? String(raw) : raw };
  return { wrongType: true };
}

/** One record → its draft, and the problems that only the API has (`fields` not an object, unknown field keys). */
function draftOf(content: TemplateContent, known: Set<string>, raw: unknown, index: number): { draft: RecipientDraft; own: RecipientError[] } {
  const record = (raw && typeof raw === 'object' ? raw : {}) as RecipientRecord;
  const own: RecipientError[] = [];
  const wrongTypes: RecipientTarget[] = [];
  const read = <T extends DraftValue>(target: RecipientTarget, value: unknown, asText: boolean): T | undefined => {
    const r = readValue(value, asText);
    if ('wrongType' in r) {
      wrongTypes.push(target);
      return undefined;
    }
    return r.value as T | undefined;
  };
  const name = read<string>('name', record.name, true);
  const email = read<string>('email', record.email, true);
  const learnerId = read('learnerId', record.learnerId, false);
  const locale = read<string>('locale', record.locale, true);
  let given: Record<string, unknown> = {};
  if (record.fields !== undefined && record.fields !== null) {
    if (typeof record.fields !== 'object' || Array.isArray(record.fields)) own.push({ index, target: 'fields', code: 'FIELD_INVALID' });
    else given = record.fields as Record<string, unknown>;
  }
  // A field the template does not have is refused (a typo would otherwise be dropped silently).
  for (const key of Object.keys(given)) {
    if (!known.has(key)) own.push({ index, target: `field:${key.slice(0, 60)}`, code: 'FIELD_INVALID' });
  }
  const fields: Record<string, DraftValue> = {};
  for (const f of content.fields) fields[f.key] = read(`field:${f.key}`, given[f.key], false);
  return { draft: { name, email, learnerId, locale, fields, ...(wrongTypes.length ? { wrongTypes } : {}) }, own };
}

/**
 * Checks every record: all problems of all records (each record's own, then the API's), or the recipients in order.
 */
export function checkRecords(content: TemplateContent, records: readonly unknown[]): { recipients: Recipient[] } | { errors: RecipientError[] } {
  const known = new Set(content.fields.map((f) => f.key));
  const converted = records.map((record, index) => draftOf(content, known, record, index));
  const checked = checkRecipients(
    content,
    converted.map((c) => c.draft),
  );
  const extra = converted.some((c) => c.own.length);
  if (checked.recipients && !extra) return { recipients: checked.recipients };
  const byIndex = new Map<number, RecipientError[]>();
  for (const e of checked.errors ?? []) byIndex.set(e.index, [...(byIndex.get(e.index) ?? []), e]);
  return { errors: converted.flatMap((c, index) => [...(byIndex.get(index) ?? []), ...c.own]) };
}

function checkCount(records: unknown, max: number): asserts records is unknown[] {
  if (!Array.isArray(records) || records.length < 1 || records.length > max) throw new AppError('VALIDATION_FAILED', { max }, { field: 'recipients' });
}

/**
 * Issues one credential per record, at once (1–100 records). Every record is checked first; any problem throws
 * RecipientsInvalidError and nothing is issued. The holder links are only e-mailed (callers must not return them).
 */
export async function issueFromApi(deps: IssuanceDeps, actor: Actor, input: ApiRecipientsInput): Promise<{ template: Template; issued: IssuedAward[] }> {
  const { org } = await authorize(deps, actor, { action: 'credentials.issue', slug: input.slug });
  checkCount(input.recipients, API_ISSUE_MAX);
  const template = await activeTemplate(deps, org, input.templateId);
  const checked = checkRecords(template.content, input.recipients);
  if ('errors' in checked) throw new RecipientsInvalidError(checked.errors);
  const issued = await issueBatch(deps, actor, { org, template, version: template.version, recipients: checked.recipients });
  return { template, issued };
}

/** The text of a record's value (records are stored once every value was found valid: texts, numbers or nothing). */
const cellOf = (value: unknown) => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '');

/**
 * Stores a job of 1–10,000 records and publishes it at once: the job is `queued`, its rows `pending`, in one
 * transaction with its audit event, then the worker is asked to run it (as `publishJob` does for a spreadsheet job).
 * Any invalid record throws RecipientsInvalidError and creates no job.
 */
export async function createApiJob(deps: IssuanceDeps, actor: Actor, input: ApiRecipientsInput): Promise<IssuanceJob> {
  const { org } = await authorize(deps, actor, { action: 'credentials.issue', slug: input.slug });
  const records = input.recipients;
  checkCount(records, API_JOB_MAX);
  const template = await activeTemplate(deps, org, input.templateId);
  const now = deps.clock.now();
  const headers = recordHeaders(template.content);
  const job: IssuanceJob = {
    id: deps.secrets.newId(),
    orgId: org.id,
    templateId: template.id,
    templateVersion: template.version,
    source: 'api',
    filename: null,
    status: 'queued',
    headers,
    mapping: Object.fromEntries(headers.map((h) => [h, h])),
    totalRows: records.length,
    issuedCount: 0,
    failedCount: 0,
    createdBy: actor.kind === 'user' ? actor.userId : null,
    createdAt: now,
    updatedAt: now,
    queuedAt: now,
    heartbeatAt: null,
    completedAt: null,
  };
  const checked = checkRecords(template.content, records);
  if ('errors' in checked) throw new RecipientsInvalidError(checked.errors);
  const rows: IssuanceRow[] = checked.recipients.map((recipient, index) => {
    const record = records[index] as RecipientRecord;
    const fields = (record.fields ?? {}) as Record<string, unknown>;
    const value = (h: string) => (h.startsWith('field:') ? fields[h.slice(6)] : record[h as keyof RecipientRecord]);
    return {
      jobId: job.id,
      rowNo: index + 1,
      cells: headers.map((h) => cellOf(value(h))),
      data: recipient,
      errors: [],
      status: 'pending',
      credentialRowId: null,
      error: null,
    };
  });
  await storeJob(deps, actor, { job, rows, action: 'issuance.published', details: { rows: rows.length, source: 'api' } });
  await enqueueIssuance(deps, job.id);
  return job;
}
