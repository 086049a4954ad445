/**
 * Awarding: turns a template and validated recipients into signed Open Badges 3.0 credentials, stores each with its
 * award (recipient, holder link, delivery e-mail) in ONE transaction, and records the events the issuer's analytics
 * count. Used by the one-off form, bulk jobs (per chunk, guarded per row for exactly-once), the API and automatic
 * issuance from results.
 */
import { recordAudit } from '../shared/audit.js';
import { type IssuingDeps, type OpenBadgeInput, signOpenBadges, storeIssued } from '../credentials/issue-credentials.js';
import { publicUrl } from '../credentials/issuer-identity.js';
import { AppError, type ErrorCode } from '../shared/errors.js';
import type { Actor, Locale } from '../shared/model.js';
import type { Repositories } from '../shared/store.js';
import { normalizeEmail, normalizeName } from '../shared/validation.js';
import type { Template, TemplateContent, TemplateField } from '../templates/model.js';
import { ACHIEVEMENT_TYPE_OF, RESULT_TYPE_OF, pick } from '../templates/manage-templates.js';
import type { Organization } from '../organizations/model.js';
import type { MailParams } from '../shared/mail.js';
import type { CredentialEventKind } from '../credentials/model.js';
import type { Award, Recipient, RowError } from './model.js';

export type AwardingDeps = IssuingDeps;

// ---- Recipients ------------------------------------------------------------------------------------------

/** Raw recipient values, from a form, a CSV row (after mapping) or the API. */
export interface RecipientInput {
  name?: unknown;
  email?: unknown;
  learnerId?: unknown;
  locale?: unknown;
  fields?: Record<string, unknown>;
}

const LOCALE_WORDS: Record<string, Locale> = {
  fr: 'fr', francais: 'fr', french: 'fr', 'fr-ca': 'fr', 'fr-fr': 'fr', 'fr-be': 'fr', 'fr-ch': 'fr',
  en: 'en', anglais: 'en', english: 'en', 'en-ca': 'en', 'en-gb': 'en', 'en-us': 'en',
};
const fold = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().trim();

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

function fieldValue(f: TemplateField, raw: unknown): { value?: string; code?: ErrorCode } {
  const s = raw === undefined || raw === null ? '' : typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.normalize('NFC').trim() : undefined;
  if (s === undefined) return { code: 'FIELD_INVALID' };
  if (s === '') return f.required ? { code: 'FIELD_REQUIRED' } : {};
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s)) return { code: 'FIELD_INVALID' };
  switch (f.type) {
    case 'number': { const v = normalizeNumber(s); return v === undefined ? { code: 'FIELD_NUMBER_INVALID' } : { value: v }; }
    case 'date': { const v = normalizeDate(s); return v === undefined ? { code: 'FIELD_DATE_INVALID' } : { value: v }; }
    case 'grade': return s.length > 50 ? { code: 'FIELD_TOO_LONG' } : { value: s };
    default: return s.length > 500 ? { code: 'FIELD_TOO_LONG' } : { value: s };
  }
}

/**
 * Checks every value of a recipient and reports ALL problems (a bulk row report lists them together). Targets are
 * `name`, `email`, `learnerId`, `locale` and `field:<key>`.
 */
export function checkRecipient(content: TemplateContent, input: RecipientInput): { recipient?: Recipient; errors: RowError[] } {
  const errors: RowError[] = [];
  let name = '';
  let email = '';
  try {
    name = normalizeName(input.name, 'name', 200);
  } catch {
    errors.push({ target: 'name', code: 'RECIPIENT_NAME_INVALID' });
  }
  try {
    email = normalizeEmail(input.email, 'email');
  } catch {
    errors.push({ target: 'email', code: 'EMAIL_INVALID' });
  }
  let learnerId: string | null = null;
  if (input.learnerId !== undefined && input.learnerId !== null && input.learnerId !== '') {
    const v = typeof input.learnerId === 'string' || typeof input.learnerId === 'number' ? String(input.learnerId).trim() : '';
    if (!v || v.length > 100 || /[\u0000-\u001f\u007f]/.test(v)) errors.push({ target: 'learnerId', code: 'LEARNER_ID_INVALID' });
    else learnerId = v;
  }
  let locale: Locale = content.defaultLocale;
  if (input.locale !== undefined && input.locale !== null && input.locale !== '') {
    const l = typeof input.locale === 'string' ? LOCALE_WORDS[fold(input.locale)] : undefined;
    if (!l) errors.push({ target: 'locale', code: 'RECIPIENT_LOCALE_INVALID' });
    else locale = l;
  }
  const fields: Record<string, string> = {};
  for (const f of content.fields) {
    const r = fieldValue(f, input.fields?.[f.key]);
    if (r.code) errors.push({ target: `field:${f.key}`, code: r.code });
    else if (r.value !== undefined) fields[f.key] = r.value;
  }
  return errors.length ? { errors } : { recipient: { name, email, learnerId, locale, fields }, errors };
}

/** The single-recipient form: the first problem as a field error. */
export function requireRecipient(content: TemplateContent, input: RecipientInput): Recipient {
  const { recipient, errors } = checkRecipient(content, input);
  if (recipient) return recipient;
  const e = errors[0]!;
  throw new AppError(e.code as ErrorCode, { max: 200 }, { field: e.target });
}

// ---- Credentials -----------------------------------------------------------------------------------------

function addValidity(from: Date, content: TemplateContent): Date | undefined {
  const { unit, n } = content.validity;
  if (unit === 'lifetime' || !n) return undefined;
  const d = new Date(from);
  if (unit === 'months') d.setUTCMonth(d.getUTCMonth() + n);
  else d.setUTCFullYear(d.getUTCFullYear() + n);
  return d;
}

const ESCO_HOST = 'data.europa.eu';

/** The OB 3.0 input for one recipient of a template version (texts in the recipient's language). */
export function openBadgeInputOf(baseUrl: URL, org: Organization, template: Pick<Template, 'publicId' | 'kind'>, content: TemplateContent, r: Recipient, now: Date): OpenBadgeInput {
  const achievementId = `urn:uuid:${template.publicId}`;
  const l = r.locale;
  const withUri = content.skills.filter((s) => s.frameworkUri);
  const tags = content.skills.filter((s) => !s.frameworkUri).map((s) => s.name);
  const described = content.fields.filter((f) => r.fields[f.key] !== undefined);
  const validUntil = addValidity(now, content);
  return {
    recipient: { email: r.email, name: r.name },
    achievement: {
      id: achievementId,
      name: pick(content.name, l),
      description: pick(content.description, l),
      criteria: { narrative: pick(content.criteria, l) || pick(content.description, l) },
      achievementType: ACHIEVEMENT_TYPE_OF[template.kind],
      ...(content.imageId ? { image: { id: publicUrl(baseUrl, `/orgs/${org.slug}/images/${content.imageId}`), caption: pick(content.name, l) } } : {}),
      ...(withUri.length ? {
        alignment: withUri.map((s) => ({
          targetName: s.name, targetUrl: s.frameworkUri, targetType: 'ceasn:Competency',
          ...(s.code ? { targetCode: s.code } : {}),
          ...(new URL(s.frameworkUri!).hostname === ESCO_HOST ? { targetFramework: 'ESCO' } : {}),
        })),
      } : {}),
      ...(tags.length ? { tag: tags } : {}),
      inLanguage: l,
      ...(described.length ? { resultDescription: described.map((f) => ({ id: `${achievementId}#${f.key}`, name: pick(f.label, l), resultType: RESULT_TYPE_OF[f.type] })) } : {}),
    },
    ...(described.length ? { result: described.map((f) => ({ resultDescription: `${achievementId}#${f.key}`, value: r.fields[f.key] })) } : {}),
    validFrom: now,
    ...(validUntil ? { validUntil } : {}),
  };
}

// ---- Delivery ----------------------------------------------------------------------------------------------

/** Replaces `{{merge}}` fields; unknown names were refused when the template was saved. */
export function mergeText(text: string, values: Record<string, string>): string {
  return text.replace(/\{\{\s*([^{}]*?)\s*\}\}/g, (all, name: string) => values[name.toLowerCase()] ?? all);
}

/** The `credential.issued` e-mail of one recipient: the template's own texts with merge fields filled, or ''. */
export function credentialMailParams(org: Organization, content: TemplateContent, r: Recipient, link: string, inAccount: boolean): MailParams['credential.issued'] {
  const title = pick(content.name, r.locale);
  const merge = { nom: r.name, name: r.name, titre: title, credential: title, organisation: org.name, organization: org.name, lien: link, link, ...r.fields };
  const subject = content.email.subject[r.locale];
  const body = content.email.body[r.locale];
  return {
    name: r.name, orgName: org.name, credentialName: title, link, inAccount: inAccount ? 1 : 0,
    customSubject: subject ? mergeText(subject, merge) : '', customBody: body ? mergeText(body, merge) : '',
  };
}

export function holderLink(baseUrl: URL, credentialId: string, token: string): string {
  return publicUrl(baseUrl, `/c/${credentialId.replace(/^urn:uuid:/, '')}?t=${token}`);
}

export interface AwardItem {
  recipient: Recipient;
  jobId?: string;
  rowNo?: number;
}

export interface IssuedAward {
  award: Award;
  credentialId: string;
  /** The holder link (with its token): only the e-mail and this return value ever carry it. */
  link: string;
}

/** Hooks that other features attach to an issuance inside its transaction (webhooks). */
export interface AwardHooks {
  onIssued?(tx: Repositories, award: Award, credentialId: string): Promise<void>;
}

/**
 * Issues one credential per item and stores credential + award + e-mail together. Items of a bulk job (all of one
 * job in a call) are guarded:
 * a row already issued (by a previous, interrupted run) is skipped, so every row is issued exactly once.
 */
export async function issueAwards(
  deps: AwardingDeps & { hooks?: AwardHooks }, actor: Actor, org: Organization, template: Template, version: number, items: AwardItem[],
): Promise<IssuedAward[]> {
  if (!items.length) return [];
  const content = version === template.version ? template.content : await deps.store.templates.findVersion(template.id, version);
  if (!content) throw new AppError('NOT_FOUND');
  const now = deps.clock.now();
  const inputs = items.map((i) => openBadgeInputOf(deps.baseUrl, org, template, content, i.recipient, now));
  const signed = await signOpenBadges(deps, org, inputs);
  const accounts = await deps.store.awards.verifiedAccounts([...new Set(items.map((i) => i.recipient.email))]);
  return deps.store.transaction(async (tx) => {
    // The rows of a bulk job (one job per call) are guarded first, in one statement: a row already issued by an
    // earlier, interrupted run is skipped. Everything else is written in a few multi-row statements (a short lock).
    const jobId = items[0]!.jobId;
    const pending = jobId === undefined ? null
      : await tx.issuanceJobs.markRowsIssued(jobId, items.map((item, i) => ({ rowNo: item.rowNo!, credentialRowId: signed[i]!.credential.id })));
    const kept = items.map((item, i) => ({ item, result: signed[i]! })).filter(({ item }) => !pending || pending.has(item.rowNo!)).map(({ item, result }) => {
      const token = deps.secrets.newToken();
      return { item, result, token, link: holderLink(deps.baseUrl, result.credential.credentialId, token), holderUserId: accounts.get(item.recipient.email) ?? null };
    });
    if (!kept.length) return [];
    await storeIssued(tx, deps, { actor, org, results: kept.map((k) => k.result) });
    const mailIds = await tx.outbox.addMany(kept.map(({ item, link, holderUserId }) => ({
      kind: 'credential.issued' as const, to: item.recipient.email, locale: item.recipient.locale,
      params: credentialMailParams(org, content, item.recipient, link, holderUserId !== null),
    })));
    const out: IssuedAward[] = kept.map(({ item, result, token, link, holderUserId }, i) => {
      const award: Award = {
        id: result.credential.id, orgId: org.id, templateId: template.id, templateVersion: version, jobId: item.jobId ?? null, rowNo: item.rowNo ?? null,
        recipient: item.recipient, holderUserId, linkTokenHash: deps.secrets.hashToken(token), mailId: mailIds[i]!, openedAt: null,
        claimedAt: holderUserId ? now : null, createdAt: now,
      };
      return { award, credentialId: result.credential.credentialId, link };
    });
    await tx.awards.createMany(out.map((o) => o.award));
    const event = (credentialRowId: string, kind: CredentialEventKind) => ({ id: deps.secrets.newId(), orgId: org.id, templateId: template.id, credentialRowId, kind, at: now });
    await tx.credentialEvents.recordMany(out.flatMap(({ award }) => [event(award.id, 'issued'), ...(award.holderUserId ? [event(award.id, 'claimed')] : [])]));
    for (const o of out) await deps.hooks?.onIssued?.(tx, o.award, o.credentialId);
    if (!jobId) {
      await recordAudit(tx, deps, actor, { action: 'template.issued', orgId: org.id, targetType: 'template', targetId: template.id, details: { count: out.length } });
    }
    return out;
  });
}
