/**
 * The one issuance path of every source (the one-off form, spreadsheet jobs, API records and jobs, results): checked
 * recipients of a template version → signed Open Badges 3.0 credentials, each stored with its award (recipient,
 * holder link, delivery e-mail) and events in ONE transaction. The rows of a bulk job are guarded so that each is
 * issued exactly once. Authorisation and the recipient check happen in the sources, before; nothing is checked twice.
 */
import { recordAudit } from '../shared/audit.js';
import { type CheckedOpenBadge, type IssuingDeps, signOpenBadges, storeIssued } from '../credentials/issue-credentials.js';
import { publicUrl } from '../credentials/issuer-identity.js';
import { AppError } from '../shared/errors.js';
import type { Actor, JsonObject, Locale } from '../shared/model.js';
import type { Template, TemplateContent } from '../templates/model.js';
import { ACHIEVEMENT_TYPE_OF, RESULT_TYPE_OF, pick } from '../templates/manage-templates.js';
import type { Organization } from '../organizations/model.js';
import type { MailParams } from '../shared/mail.js';
import type { CredentialEventKind } from '../credentials/model.js';
import type { Award, Recipient } from './model.js';
import type { AwardHooks } from './deps.js';

/** What `issueBatch` needs: the issuing ports, and the hooks other features attach to its transaction. */
export type IssueBatchDeps = IssuingDeps & { hooks?: AwardHooks };

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

/**
 * The OB 3.0 credential of one recipient of a template version (texts in the recipient's language). The template was
 * checked when it was saved and the recipient by `checkRecipients`: the result is signed as is.
 */
export function openBadgeOf({
  baseUrl,
  org,
  template,
  content,
  recipient: r,
  now,
}: {
  baseUrl: URL;
  org: Pick<Organization, 'slug'>;
  template: Pick<Template, 'publicId' | 'kind'>;
  content: TemplateContent;
  recipient: Recipient;
  now: Date;
}): CheckedOpenBadge {
  const achievementId = `urn:uuid:${template.publicId}`;
  const l = r.locale;
  const withUri = content.skills.filter((s) => s.frameworkUri);
  const tags = content.skills.filter((s) => !s.frameworkUri).map((s) => s.name);
  const described = content.fields.filter((f) => r.fields[f.key] !== undefined);
  const validUntil = addValidity(now, content);
  const name = pick(content.name, l);
  const achievement: JsonObject = {
    id: achievementId,
    type: ['Achievement'],
    achievementType: ACHIEVEMENT_TYPE_OF[template.kind],
    name,
    description: pick(content.description, l),
    criteria: { narrative: pick(content.criteria, l) || pick(content.description, l) },
  };
  if (content.imageId) achievement['image'] = { id: publicUrl(baseUrl, `/orgs/${org.slug}/images/${content.imageId}`), type: 'Image', caption: name };
  if (withUri.length) {
    achievement['alignment'] = withUri.map((s) => ({
      type: ['Alignment'],
      targetName: s.name,
      targetUrl: s.frameworkUri,
      targetType: 'ceasn:Competency',
      ...(s.code ? { targetCode: s.code } : {}),
      ...(new URL(s.frameworkUri!).hostname === ESCO_HOST ? { targetFramework: 'ESCO' } : {}),
    }));
  }
  if (tags.length) achievement['tag'] = tags;
  achievement['inLanguage'] = l;
  if (described.length) {
    achievement['resultDescription'] = described.map((f) => ({
      id: `${achievementId}#${f.key}`,
      type: ['ResultDescription'],
      name: pick(f.label, l),
      resultType: RESULT_TYPE_OF[f.type],
    }));
  }
  return {
    email: r.email,
    displayName: r.name,
    achievement,
    name,
    validFrom: now,
    ...(validUntil ? { validUntil } : {}),
    ...(described.length
      ? { result: described.map((f) => ({ type: ['Result'], value: r.fields[f.key], resultDescription: `${achievementId}#${f.key}` })) }
      : {}),
    jwt: false,
  };
}

// ---- Delivery ----------------------------------------------------------------------------------------------

/** French words elided before a vowel (« de Institut » → « d’Institut »), and what they become. */
const ELIDED: Record<string, string> = {
  de: 'd’',
  que: 'qu’',
  le: 'l’',
  la: 'l’',
  ce: 'c’',
  ne: 'n’',
  se: 's’',
  jusque: 'jusqu’',
  lorsque: 'lorsqu’',
  puisque: 'puisqu’',
};
const MERGE_FIELD = /(?<![\p{L}’'])(?:(de|que|le|la|ce|ne|se|jusque|lorsque|puisque) )?\{\{\s*([^{}]*?)\s*\}\}/giu;
/** A value that starts with a vowel (a mute or aspirated h cannot be told apart: h is left alone). */
const STARTS_WITH_VOWEL = /^[aeiouyàâäéèêëîïôöùûüœæ]/iu;

/**
 * Replaces `{{merge}}` fields; unknown names were refused when the template was saved. In French (`locale` 'fr'), a
 * value that starts with a vowel elides the word before it: « Votre {{titre}} de {{organisation}} » → « … d’Institut
 * Démo », « l’{{…}} », « qu’{{…}} ».
 */
export function mergeText(text: string, values: Record<string, string>, locale?: Locale): string {
  return text.replace(MERGE_FIELD, (all, word: string | undefined, name: string) => {
    const value = values[name.toLowerCase()];
    if (value === undefined) return all;
    if (!word) return value;
    const elided = locale === 'fr' && STARTS_WITH_VOWEL.test(value) ? ELIDED[word.toLowerCase()] : undefined;
    if (!elided) return `${word} ${value}`;
    return (word[0] === word[0]!.toUpperCase() ? elided[0]!.toUpperCase() + elided.slice(1) : elided) + value;
  });
}

/** The `credential.issued` e-mail of one recipient: the template's own texts with merge fields filled, or ''. */
export function credentialMailParams({
  org,
  content,
  recipient: r,
  link,
  inAccount,
}: {
  org: Organization;
  content: TemplateContent;
  recipient: Recipient;
  link: string;
  inAccount: boolean;
}): MailParams['credential.issued'] {
  const title = pick(content.name, r.locale);
  const merge = { nom: r.name, name: r.name, titre: title, credential: title, organisation: org.name, organization: org.name, lien: link, link, ...r.fields };
  const subject = content.email.subject[r.locale];
  const body = content.email.body[r.locale];
  return {
    name: r.name,
    orgName: org.name,
    credentialName: title,
    link,
    inAccount: inAccount ? 1 : 0,
    customSubject: subject ? mergeText(subject, merge, r.locale) : '',
    customBody: body ? mergeText(body, merge, r.locale) : '',
  };
}

export function holderLink(baseUrl: URL, credentialId: string, token: string): string {
  return publicUrl(baseUrl, `/c/${credentialId.replace(/^urn:uuid:/, '')}?t=${token}`);
}

// ---- The batch -------------------------------------------------------------------------------------------

/** An active template of the organisation (404 like a missing one for another organisation's, 409 if archived). */
export async function activeTemplate(deps: Pick<IssueBatchDeps, 'store'>, org: Pick<Organization, 'id'>, templateId: string): Promise<Template> {
  const template = typeof templateId === 'string' && templateId.length <= 64 ? await deps.store.templates.find(org.id, templateId) : undefined;
  if (!template) throw new AppError('NOT_FOUND');
  if (template.status === 'archived') throw new AppError('TEMPLATE_ARCHIVED');
  return template;
}

export interface IssuedAward {
  award: Award;
  credentialId: string;
  /** The holder link (with its token): only the e-mail and this return value ever carry it. */
  link: string;
}

export interface IssueBatchInput {
  /** The organisation, already resolved and authorised by the source. */
  org: Organization;
  template: Template;
  version: number;
  /** Checked by `checkRecipients` (a bulk job's were checked when the job was imported). */
  recipients: readonly Recipient[];
  /** The rows of a bulk job, one per recipient in the same order: each is issued exactly once. */
  job?: { jobId: string; rowNos: readonly number[] };
}

/**
 * Issues one credential per recipient and stores credential + award + e-mail together. The rows of a bulk job are
 * guarded first, in one statement: a row already issued (by a previous, interrupted run) is skipped.
 */
export async function issueBatch(deps: IssueBatchDeps, actor: Actor, input: IssueBatchInput): Promise<IssuedAward[]> {
  const { org, template, version, recipients, job } = input;
  if (!recipients.length) return [];
  const content = version === template.version ? template.content : await deps.store.templates.findVersion(template.id, version);
  if (!content) throw new AppError('NOT_FOUND');
  const now = deps.clock.now();
  const signed = await signOpenBadges(
    deps,
    org,
    recipients.map((recipient) => openBadgeOf({ baseUrl: deps.baseUrl, org, template, content, recipient, now })),
  );
  const accounts = await deps.store.awards.verifiedAccounts([...new Set(recipients.map((r) => r.email))]);
  return deps.store.transaction(async (tx) => {
    // Everything is written in a few multi-row statements (a short lock).
    const pending =
      job === undefined
        ? null
        : await tx.issuanceJobs.markRowsIssued(
            job.jobId,
            recipients.map((_, i) => ({ rowNo: job.rowNos[i]!, credentialRowId: signed[i]!.credential.id })),
          );
    const kept = recipients
      .map((recipient, i) => ({ recipient, rowNo: job?.rowNos[i] ?? null, result: signed[i]! }))
      .filter(({ rowNo }) => !pending || pending.has(rowNo!))
      .map(({ recipient, rowNo, result }) => {
        const token = deps.secrets.newToken();
        return {
          recipient,
          rowNo,
          result,
          token,
          link: holderLink(deps.baseUrl, result.credential.credentialId, token),
          holderUserId: accounts.get(recipient.email) ?? null,
        };
      });
    if (!kept.length) return [];
    await storeIssued(tx, deps, { actor, org, results: kept.map((k) => k.result) });
    const mailIds = await tx.outbox.addMany(
      kept.map(({ recipient, link, holderUserId }) => ({
        kind: 'credential.issued' as const,
        to: recipient.email,
        locale: recipient.locale,
        params: credentialMailParams({ org, content, recipient, link, inAccount: holderUserId !== null }),
      })),
    );
    const out: IssuedAward[] = kept.map(({ recipient, rowNo, result, token, link, holderUserId }, i) => {
      const award: Award = {
        id: result.credential.id,
        orgId: org.id,
        templateId: template.id,
        templateVersion: version,
        jobId: job?.jobId ?? null,
        rowNo,
        recipient,
        holderUserId,
        linkTokenHash: deps.secrets.hashToken(token),
        mailId: mailIds[i]!,
        openedAt: null,
        claimedAt: holderUserId ? now : null,
        createdAt: now,
      };
      return { award, credentialId: result.credential.credentialId, link };
    });
    await tx.awards.createMany(out.map((o) => o.award));
    const event = (credentialRowId: string, kind: CredentialEventKind) => ({
      id: deps.secrets.newId(),
      orgId: org.id,
      templateId: template.id,
      credentialRowId,
      kind,
      at: now,
    });
    await tx.credentialEvents.recordMany(out.flatMap(({ award }) => [event(award.id, 'issued'), ...(award.holderUserId ? [event(award.id, 'claimed')] : [])]));
    for (const o of out) await deps.hooks?.onIssued?.(tx, o.award, o.credentialId);
    if (!job) {
      await recordAudit(tx, deps, {
        actor,
        action: 'template.issued',
        orgId: org.id,
        targetType: 'template',
        targetId: template.id,
        details: { count: out.length },
      });
    }
    return out;
  });
}
