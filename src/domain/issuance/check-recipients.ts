/**
 * The one recipient check of every issuance source: drafts (see `RecipientDraft`) → recipients, or every problem of
 * every draft. Each source converts its own format into drafts and numbers its own report (spreadsheet lines, API
 * positions, results); the check knows only positions in the list.
 *
 * Rules: a name of 1–200 characters; one e-mail address; an optional learner id (≤ 100 characters); an optional
 * language (`fr`/`en` or a word for them); each custom field of the template by its type (text ≤ 500, grade ≤ 50,
 * number, real date), required ones present; no control characters; and no e-mail twice in the list (the second
 * one is a duplicate of the first VALID draft with that address).
 */
import { AppError, type ErrorCode } from '../shared/errors.js';
import type { Locale } from '../shared/model.js';
import { normalizeEmail, normalizeName } from '../shared/validation.js';
import type { TemplateContent, TemplateField } from '../templates/model.js';
import type { DraftValue, Recipient, RecipientDraft, RecipientError, RecipientTarget } from './model.js';

const LOCALE_WORDS: Record<string, Locale> = {
  fr: 'fr',
  francais: 'fr',
  french: 'fr',
  'fr-ca': 'fr',
  'fr-fr': 'fr',
  'fr-be': 'fr',
  'fr-ch': 'fr',
  en: 'en',
  anglais: 'en',
  english: 'en',
  'en-ca': 'en',
  'en-gb': 'en',
  'en-us': 'en',
};
const fold = (s: string) =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .trim();

/** The code of a value of the wrong type (or otherwise unreadable) at each target. */
export function invalidCodeOf(target: RecipientTarget): ErrorCode {
  switch (target) {
    case 'name':
      return 'RECIPIENT_NAME_INVALID';
    case 'email':
      return 'EMAIL_INVALID';
    case 'learnerId':
      return 'LEARNER_ID_INVALID';
    case 'locale':
      return 'RECIPIENT_LOCALE_INVALID';
    default:
      return 'FIELD_INVALID';
  }
}

/** `12`, `12.5`, `12,5`, `1 234,5` → `"1234.5"`. */
export function normalizeNumber(raw: string): string | undefined {
  const s = raw.replace(/[\s\u00a0\u202f]/g, '');
  if (!/^[+-]?(\d+([.,]\d+)?|[.,]\d+)$/.test(s)) return undefined;
  const n = Number(s.replace(',', '.'));
  return Number.isFinite(n) ? String(n) : undefined;
}

/** `2026-06-30`, `30/06/2026`, `30-06-2026`, `30.06.2026` → `2026-06-30` (real dates only). */
export function normalizeDate(raw: string): string | undefined {
  const s = raw.trim();
  let y: number, m: number, d: number;
  let match = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:T[\d:.]+Z?)?$/.exec(s);
  if (match) [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  else if ((match = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(s))) [d, m, y] = [Number(match[1]), Number(match[2]), Number(match[3])];
  else return undefined;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (y < 1900 || y > 2200 || date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return undefined;
  return date.toISOString().slice(0, 10);
}

function fieldValue(f: TemplateField, raw: DraftValue): { value?: string; code?: ErrorCode } {
  const s = raw === undefined || raw === null ? '' : typeof raw === 'number' ? String(raw) : raw.normalize('NFC').trim();
  if (s === '') return f.required ? { code: 'FIELD_REQUIRED' } : {};
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s)) return { code: 'FIELD_INVALID' };
  switch (f.type) {
    case 'number': {
      const v = normalizeNumber(s);
      return v === undefined ? { code: 'FIELD_NUMBER_INVALID' } : { value: v };
    }
    case 'date': {
      const v = normalizeDate(s);
      return v === undefined ? { code: 'FIELD_DATE_INVALID' } : { value: v };
    }
    case 'grade':
      return s.length > 50 ? { code: 'FIELD_TOO_LONG' } : { value: s };
    default:
      return s.length > 500 ? { code: 'FIELD_TOO_LONG' } : { value: s };
  }
}

const isEmpty = (v: DraftValue) => v === undefined || v === null || v === '';

/** One draft: every problem, in target order (name, e-mail, learner id, language, fields in the template's order). */
function checkOne(content: TemplateContent, draft: RecipientDraft): { recipient?: Recipient; errors: { target: RecipientTarget; code: ErrorCode }[] } {
  const errors: { target: RecipientTarget; code: ErrorCode }[] = [];
  const wrong = draft.wrongTypes?.length ? new Set<string>(draft.wrongTypes) : undefined;
  const report = (target: RecipientTarget, code: ErrorCode) => errors.push({ target, code: wrong?.has(target) ? invalidCodeOf(target) : code });
  let name = '';
  let email = '';
  try {
    if (wrong?.has('name')) throw new Error();
    name = normalizeName(draft.name ?? '', 'name', 200);
  } catch {
    report('name', 'RECIPIENT_NAME_INVALID');
  }
  try {
    if (wrong?.has('email')) throw new Error();
    email = normalizeEmail(draft.email ?? '', 'email');
  } catch {
    report('email', 'EMAIL_INVALID');
  }
  let learnerId: string | null = null;
  if (wrong?.has('learnerId')) report('learnerId', 'LEARNER_ID_INVALID');
  else if (!isEmpty(draft.learnerId)) {
    const v = String(draft.learnerId).trim();
    if (!v || v.length > 100 || /[\u0000-\u001f\u007f]/.test(v)) report('learnerId', 'LEARNER_ID_INVALID');
    else learnerId = v;
  }
  let locale: Locale = content.defaultLocale;
  if (wrong?.has('locale')) report('locale', 'RECIPIENT_LOCALE_INVALID');
  else if (!isEmpty(draft.locale)) {
    const l = LOCALE_WORDS[fold(draft.locale!)];
    if (!l) report('locale', 'RECIPIENT_LOCALE_INVALID');
    else locale = l;
  }
  const fields: Record<string, string> = {};
  for (const f of content.fields) {
    const target: RecipientTarget = `field:${f.key}`;
    if (wrong?.has(target)) {
      report(target, 'FIELD_INVALID');
      continue;
    }
    const r = fieldValue(f, draft.fields?.[f.key]);
    if (r.code) report(target, r.code);
    else if (r.value !== undefined) fields[f.key] = r.value;
  }
  return errors.length ? { errors } : { recipient: { name, email, learnerId, locale, fields }, errors };
}

export type RecipientsCheck =
  | { recipients: Recipient[]; errors?: undefined }
  /** `valid[i]`: the recipient of draft i when that draft has no problem (a row report keeps it), else null. */
  | { errors: RecipientError[]; valid: (Recipient | null)[]; recipients?: undefined };

/**
 * Checks every draft against the template and reports ALL problems of all drafts (in list order), including the
 * duplicate e-mail rule. Without any problem: the recipients, in order.
 */
export function checkRecipients(content: TemplateContent, drafts: readonly RecipientDraft[]): RecipientsCheck {
  const errors: RecipientError[] = [];
  const valid: (Recipient | null)[] = new Array(drafts.length);
  const firstIndex = new Map<string, number>();
  for (let index = 0; index < drafts.length; index++) {
    const { recipient, errors: own } = checkOne(content, drafts[index]!);
    for (const e of own) errors.push({ index, target: e.target, code: e.code });
    valid[index] = null;
    if (!recipient) continue;
    const first = firstIndex.get(recipient.email);
    if (first !== undefined) errors.push({ index, target: 'email', code: 'RECIPIENT_DUPLICATE', firstIndex: first });
    else {
      firstIndex.set(recipient.email, index);
      valid[index] = recipient;
    }
  }
  return errors.length ? { errors, valid } : { recipients: valid as Recipient[] };
}

/** One recipient (the one-off form): the first problem as a field error. */
export function requireRecipient(content: TemplateContent, draft: RecipientDraft): Recipient {
  const checked = checkRecipients(content, [draft]);
  if (checked.recipients) return checked.recipients[0]!;
  const e = checked.errors[0]!;
  throw new AppError(e.code, { max: 200 }, { field: e.target });
}

/** Some recipients are invalid: nothing was issued. Carries the report of every recipient (positions from 0). */
export class RecipientsInvalidError extends AppError {
  constructor(readonly items: RecipientError[]) {
    super('RECIPIENTS_INVALID', { count: new Set(items.map((i) => i.index)).size }, { field: 'recipients' });
  }
}
