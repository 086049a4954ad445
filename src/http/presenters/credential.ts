/**
 * The presenter of a credential: what every view of an issued credential shows, read from the STORED SIGNED DOCUMENT
 * (the credentials table keeps the signed JSON verbatim), never re-derived from the template it came from. Used by
 * the holder page `/c/:id`, the wallet `/account/credentials`, the console's credential detail (web) and the JSON API
 * `/api/v1/credentials` (award records, and the signed document embedded verbatim).
 *
 * Parsing is tolerant: a document from another issuer (later: imported credentials), a VC 1.1 document, a compact
 * JWT or an odd shape gives empty values, never an exception. Texts: Sceau signs ONE language per credential (the
 * recipient's, `achievement.inLanguage`), so names are plain strings; a JSON-LD value object or an array of them
 * (`{ "@value", "@language" }`) is read too, the `language` asked for first.
 *
 * The status is the one recorded in the database (as today: no RDFC on a page view; verification runs on demand).
 */
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { type CredentialStatusValue, type IssuedCredential, statusOf } from '../../domain/credentials/model.js';
import type { HistoryItem } from '../../domain/credentials/manage-credentials.js';
import type { AwardView } from '../../domain/issuance/model.js';
import { ACHIEVEMENT_TYPE_OF } from '../../domain/templates/manage-templates.js';
import type { TemplateKind } from '../../domain/templates/model.js';
import { LocalizedSchema } from './template.js';

// ---- The view of the signed document ------------------------------------------------------------------------

export interface CredentialResultView {
  /** The result description's name (Sceau: the template field's label, in the credential's language). */
  label: string;
  /** As signed (numbers and dates unformatted: `87.5`, `2026-06-30`). */
  value: string;
  /** OB resultType (`RawScore`, `LetterGrade`, `ext:Date`, `ext:Text`…), when described. */
  resultType: string | null;
}

export interface CredentialAlignmentView {
  name: string;
  /** The framework address (ESCO…), as signed: pages link it only when it is http(s). */
  url: string | null;
  code: string | null;
  framework: string | null;
}

export interface CredentialView {
  /** The credential's own `id` (`urn:uuid:…`). */
  credentialId: string;
  /** Display name: the credential's `name`, else its achievement's. */
  name: string;
  description: string;
  /** Empty when absent, or when it only repeats the description (Sceau signs the description when a template has no criteria). */
  criteria: string;
  /** OB achievementType as signed (`Certificate`, `ext:Transcript`…). */
  achievementType: string | null;
  /** Sceau's template kind of that achievementType (null for a type Sceau does not issue). */
  kind: TemplateKind | null;
  /** http(s) or a `data:image/…` URL; null when absent or anything else. */
  imageUrl: string | null;
  /** BCP 47 language of the texts (`achievement.inLanguage`). */
  language: string | null;
  issuer: { id: string | null; name: string; url: string | null; imageUrl: string | null };
  /** The recipient's name as signed (an unhashed `name` identifier). */
  recipientName: string;
  /** When it was awarded (`awardedDate`, else `validFrom`, else VC 1.1 `issuanceDate`). */
  issuedOn: Date | null;
  validFrom: Date | null;
  validUntil: Date | null;
  results: CredentialResultView[];
  alignments: CredentialAlignmentView[];
  /** Free keywords (Sceau: skills without a framework address). */
  tags: string[];
  /** Status recorded in the database (the signed document only points at its status list). */
  status: CredentialStatusValue;
  /** Sceau's holder pages of this credential (`/c/<uuid>`, `…/verification`; the token is added by the page), or null. */
  links: { page: string; download: string; verification: string } | null;
}

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined);
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);
const MAX_TEXT = 20_000;

/** A text: a string, a JSON-LD value object, or an array of them (the asked language first). */
function textOf(v: unknown, language: string | undefined): string {
  if (typeof v === 'string') return v.slice(0, MAX_TEXT);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) {
    const matching = language
      ? v.find((x) => typeof asObj(x)?.['@language'] === 'string' && (asObj(x)!['@language'] as string).toLowerCase().startsWith(language))
      : undefined;
    for (const x of matching !== undefined ? [matching, ...v] : v) {
      const t = textOf(x, language);
      if (t) return t;
    }
    return '';
  }
  const o = asObj(v);
  return o && '@value' in o ? textOf(o['@value'], language) : '';
}

const orNull = (s: string) => (s === '' ? null : s);

function dateOf(v: unknown): Date | null {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}/.test(v)) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** An `id` given as a string or as `{ id }`. */
const idOf = (v: unknown): string | null => (typeof v === 'string' ? v : typeof asObj(v)?.['id'] === 'string' ? (asObj(v)!['id'] as string) : null);

/** Only addresses a page may embed as an image: http(s), or an inline raster image. */
function imageOf(v: unknown): string | null {
  const u = idOf(v);
  if (!u) return null;
  if (/^data:image\/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=]+$/.test(u)) return u;
  try {
    const parsed = new URL(u);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.toString() : null;
  } catch {
    return null;
  }
}

/** The JSON of a stored document: a JSON object, or the `vc` claim (or payload) of a compact JWT. */
function parseDocument(document: string): Obj {
  try {
    const parsed = asObj(JSON.parse(document));
    if (parsed) return parsed;
  } catch {
    // not JSON: maybe a compact JWT
  }
  const parts = document.trim().split('.');
  if (parts.length === 3 && parts[1]) {
    try {
      const payload = asObj(JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')));
      if (payload) return asObj(payload['vc']) ?? payload;
    } catch {
      // unreadable
    }
  }
  return {};
}

const KIND_OF_TYPE = new Map<string, TemplateKind>(Object.entries(ACHIEVEMENT_TYPE_OF).map(([kind, type]) => [type, kind as TemplateKind]));

/**
 * The view of a stored credential. `language`: the language to prefer when a text comes in several (a page's);
 * Sceau's own credentials have one.
 */
export function credentialView(
  stored: Pick<IssuedCredential, 'document' | 'credentialId' | 'revokedAt' | 'suspendedAt'>,
  options: { language?: string } = {},
): CredentialView {
  const doc = parseDocument(stored.document);
  const subject = asObj(asList(doc['credentialSubject'])[0]) ?? {};
  const achievement = asObj(subject['achievement']) ?? {};
  const inLanguage = textOf(achievement['inLanguage'], undefined) || textOf(doc['inLanguage'], undefined);
  const lang = options.language ?? (inLanguage || undefined);
  const t = (v: unknown) => textOf(v, lang);

  const description = t(doc['description']) || t(achievement['description']);
  const narrative = t(asObj(achievement['criteria'])?.['narrative']);
  const achievementType = orNull(t(achievement['achievementType']));

  const issuerObj = asObj(doc['issuer']);
  const issuerId = typeof doc['issuer'] === 'string' ? doc['issuer'] : idOf(issuerObj);

  const identifiers = asList(subject['identifier'])
    .map(asObj)
    .filter((o): o is Obj => !!o);
  const nameIdentity = identifiers.find((i) => i['identityType'] === 'name' && i['hashed'] !== true);
  const recipientName = (nameIdentity ? t(nameIdentity['identityHash']) : '') || t(subject['name']);

  const descriptions = asList(achievement['resultDescription'])
    .map(asObj)
    .filter((o): o is Obj => !!o);
  const results = asList(subject['result'])
    .map(asObj)
    .filter((o): o is Obj => !!o)
    .flatMap((r): CredentialResultView[] => {
      const value = t(r['value']) || t(r['status']);
      if (!value) return [];
      const ref = idOf(r['resultDescription']);
      const described = ref ? descriptions.find((d) => d['id'] === ref) : undefined;
      const label = (described ? t(described['name']) : '') || (ref?.includes('#') ? ref.slice(ref.lastIndexOf('#') + 1) : '');
      return [{ label, value, resultType: orNull(t(described?.['resultType'] ?? r['resultType'])) }];
    });

  const alignments = asList(achievement['alignment'])
    .map(asObj)
    .filter((o): o is Obj => !!o)
    .flatMap((a): CredentialAlignmentView[] => {
      const name = t(a['targetName']);
      return name ? [{ name, url: orNull(t(a['targetUrl'])), code: orNull(t(a['targetCode'])), framework: orNull(t(a['targetFramework'])) }] : [];
    });

  const credentialId = typeof doc['id'] === 'string' ? doc['id'] : stored.credentialId;
  const uuid = /^urn:uuid:([0-9a-f-]{36})$/.exec(credentialId)?.[1];
  const validFrom = dateOf(doc['validFrom']) ?? dateOf(doc['issuanceDate']);
  return {
    credentialId,
    name: t(doc['name']) || t(achievement['name']),
    description,
    criteria: narrative === description ? '' : narrative,
    achievementType,
    kind: achievementType ? (KIND_OF_TYPE.get(achievementType) ?? null) : null,
    imageUrl: imageOf(achievement['image']) ?? imageOf(doc['image']),
    language: orNull(inLanguage),
    issuer: {
      id: issuerId,
      name: t(issuerObj?.['name']),
      url: orNull(t(issuerObj?.['url'])),
      imageUrl: imageOf(issuerObj?.['image']),
    },
    recipientName,
    issuedOn: dateOf(doc['awardedDate']) ?? validFrom,
    validFrom,
    validUntil: dateOf(doc['validUntil']) ?? dateOf(doc['expirationDate']),
    results,
    alignments,
    tags: asList(achievement['tag'])
      .map((x) => t(x))
      .filter(Boolean),
    status: statusOf(stored),
    links: uuid ? { page: `/c/${uuid}`, download: `/c/${uuid}/credential.json`, verification: `/c/${uuid}/verification` } : null,
  };
}

// ---- The JSON API ---------------------------------------------------------------------------------------------

export const CREDENTIAL_STATUSES = ['active', 'suspended', 'revoked'] as const;

export const CredentialSchema = z
  .object({
    id: z.string().describe('Sceau’s id of this credential (for /api/v1/credentials/{id})'),
    credentialId: z.string().describe('The credential’s own `id` (`urn:uuid:…`)'),
    templateId: z.string(),
    templateVersion: z.number().int().describe('The template version it was issued with'),
    templateName: LocalizedSchema,
    jobId: z.string().nullable().describe('The issuance job, for credentials issued in bulk'),
    rowNo: z.number().int().nullable(),
    recipient: z.object({
      name: z.string(),
      email: z.string(),
      learnerId: z.string().nullable(),
      locale: z.enum(['fr', 'en']),
      fields: z.record(z.string(), z.string()),
    }),
    status: z.enum(CREDENTIAL_STATUSES),
    delivery: z.object({
      status: z
        .enum(['queued', 'sent', 'local', 'dead'])
        .nullable()
        .describe('The e-mail: queued, sent, local (no SMTP configured) or dead (failed after every retry)'),
      attempts: z.number().int(),
      error: z.string().nullable(),
    }),
    inAccount: z.boolean().describe('The address belonged to an account (or the holder claimed it): the credential is in that account'),
    openedAt: z.string().nullable().describe('First opening of the holder link'),
    claimedAt: z.string().nullable(),
    issuedAt: z.string(),
    validUntil: z.string().nullable(),
  })
  .describe('Issued credential');

/**
 * The issuer's record of an issued credential (template, recipient as entered, delivery, holder link use): the data
 * Sceau keeps beside the signed document, which lists and searches read without opening every document.
 */
export const presentAward = (a: AwardView) => ({
  id: a.id,
  credentialId: a.credentialId,
  templateId: a.templateId,
  templateVersion: a.templateVersion,
  templateName: a.templateName,
  jobId: a.jobId,
  rowNo: a.rowNo,
  recipient: { name: a.recipient.name, email: a.recipient.email, learnerId: a.recipient.learnerId, locale: a.recipient.locale, fields: a.recipient.fields },
  status: a.status,
  delivery: { status: a.mailStatus, attempts: a.mailAttempts, error: a.mailError },
  inAccount: a.holderUserId !== null,
  openedAt: a.openedAt?.toISOString() ?? null,
  claimedAt: a.claimedAt?.toISOString() ?? null,
  issuedAt: a.createdAt.toISOString(),
  validUntil: a.validUntil?.toISOString() ?? null,
});

const HistorySchema = z.array(
  z.object({
    at: z.string(),
    action: z.string().describe('credential.issued, credential.suspended, credential.reactivated, credential.revoked, credential.resent'),
    reason: z.string().nullable(),
  }),
);

export const CredentialDetailSchema = CredentialSchema.extend({
  history: HistorySchema.describe('Issuance, status changes and re-sends, newest first, with the reasons given (from the organisation’s recent audit events)'),
  credential: z.record(z.string(), z.unknown()).describe('The signed Open Badges 3.0 credential, exactly as issued'),
});

/**
 * One credential as JSON text: the record, its history and the stored signed document embedded verbatim (never
 * re-serialised, so it stays byte-identical to what was signed).
 */
export function credentialDetailJson(award: AwardView, history: HistoryItem[], credential: Pick<IssuedCredential, 'document'>): string {
  const head = JSON.stringify({ ...presentAward(award), history: history.map((h) => ({ at: h.at.toISOString(), action: h.action, reason: h.reason })) });
  return `${head.slice(0, -1)},"credential":${credential.document}}`;
}

// ---- The file ---------------------------------------------------------------------------------------------------

/** The signed document as a download (never re-serialised): the holder link's and the console's `credential.json`. */
export function sendCredentialFile(reply: FastifyReply, award: Pick<AwardView, 'credentialId'>, document: string): FastifyReply {
  const name = `attestation-${award.credentialId.replace(/^urn:uuid:/, '').replace(/[^A-Za-z0-9-]/g, '')}.json`;
  return reply
    .type('application/json; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('content-disposition', `attachment; filename="${name}"`)
    .header('x-content-type-options', 'nosniff')
    .send(document);
}
