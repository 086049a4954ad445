/**
 * THE credential card: how a holder sees a credential. One component for the template editor's live preview, the
 * holder page (`/c/:id`) and the console's credential detail. The card shows texts in the credential's language
 * (`view.locale`, marked with `lang`) and its labels in the page's language.
 *
 * An issued credential's card is `cardOfCredential`: the presenter's view of the STORED SIGNED DOCUMENT
 * (src/http/presenters/credential.ts). Only the editor's preview builds a card from a template (`cardFromTemplate`),
 * since nothing is signed yet.
 */
import { imageUrl } from '../../domain/templates/images.js';
import type { Locale } from '../../domain/shared/model.js';
import { openBadgeOf } from '../../domain/issuance/issue-batch.js';
import type { Template, TemplateContent, TemplateKind } from '../../domain/templates/model.js';
import { pick } from '../../domain/templates/manage-templates.js';
import { type Html, html } from '../../shared/html.js';
import type { PageContext } from '../layout.js';
import type { Organization } from '../../domain/organizations/model.js';
import type { Recipient } from '../../domain/issuance/model.js';
import type { CredentialView } from '../../http/presenters/credential.js';

export type CardStatus = 'active' | 'suspended' | 'revoked';

export interface CardView {
  /** The template kind (null for a credential that did not come from a template: no kind line). */
  kind: TemplateKind | null;
  title: string;
  description: string;
  /** Empty: no criteria section. */
  criteria: string;
  /** Absolute or same-origin URL of the image; null: a placeholder with the kind's initial. */
  imageUrl: string | null;
  issuerName: string;
  recipientName: string;
  issuedOn: Date | null;
  validUntil: Date | null;
  /** Custom field values, already formatted for display. */
  fields: { label: string; value: string }[];
  /** `uri`: a framework address (ESCO…), linked when it is http(s). */
  skills: { name: string; uri: string | null }[];
  /** Shown when given (holder page, console detail); the preview leaves it out. */
  status?: CardStatus;
  /** The language of the credential's texts (formats dates and numbers of its fields). */
  locale: Locale;
  /** Its exact BCP 47 tag when it is not just `locale` (a credential from elsewhere, e.g. `de`). */
  lang?: string;
}

export interface CardOptions {
  /** Level of the card's title (sub-sections use the next level). Default 2. */
  headingLevel?: 2 | 3 | 4;
  /** `id` of the card element (for links and `aria-labelledby`); default none. */
  id?: string;
}

const intlLocale = (l: Locale) => (l === 'fr' ? 'fr-CA' : 'en-CA');

function fmtDay(locale: Locale, d: Date): string {
  return new Intl.DateTimeFormat(intlLocale(locale), { dateStyle: 'long', timeZone: 'UTC' }).format(d);
}

/** Only http(s) addresses become links (a document from elsewhere could carry `javascript:`). */
function safeHref(uri: string | null): string | null {
  if (!uri) return null;
  try {
    const u = new URL(uri);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.toString() : null;
  } catch {
    return null;
  }
}

function heading(level: number, content: Html | string, className?: string): Html {
  const l = Math.min(6, Math.max(2, level));
  return html`<h${l}${className ? html` class="${className}"` : ''}>${content}</h${l}>`;
}

export function credentialCard(ctx: PageContext, view: CardView, options: CardOptions = {}): Html {
  const { m } = ctx;
  const c = m.templates.card;
  const level = options.headingLevel ?? 2;
  const kindLabel = view.kind ? m.templates.kinds[view.kind] : '';
  const initial = (view.title.trim()[0] ?? '?').toLocaleUpperCase(intlLocale(view.locale));
  const status = view.status;
  // Labels are in the page's language; mark them when the credential's texts are in the other one.
  const ll = ctx.locale !== (view.lang ?? view.locale) ? html` lang="${ctx.locale}"` : '';
  const label = (text: string) => (ll ? html`<span${ll}>${text}</span>` : text);
  return html`<article class="credential-card${view.kind ? ` credential-card-${view.kind}` : ''}${status && status !== 'active' ? ' credential-card-inactive' : ''}"${options.id ? html` id="${options.id}"` : ''} lang="${view.lang ?? view.locale}" data-status="${status ?? ''}">
  <div class="credential-card-media">
    ${
      view.imageUrl
        ? html`<img src="${view.imageUrl}" alt="" width="160" height="160" loading="lazy">`
        : html`<span class="credential-card-placeholder" aria-hidden="true">${initial}</span>`
    }
  </div>
  <div class="credential-card-body">
    ${kindLabel ? html`<p class="credential-card-kind"${ll}>${kindLabel}</p>` : ''}
    ${heading(level, view.title, 'credential-card-title')}
    ${status ? html`<p class="credential-card-status"${ll}><span class="visually-hidden">${c.status}${m.common.colon}</span><span class="tag credential-status-${status}">${c.statuses[status]}</span></p>` : ''}
    ${view.description ? html`<p class="credential-card-description">${view.description}</p>` : ''}
    <dl class="credential-card-facts">
      <div><dt${ll}>${c.holder}</dt><dd>${view.recipientName}</dd></div>
      <div><dt${ll}>${c.issuer}</dt><dd>${view.issuerName}</dd></div>
      ${view.issuedOn ? html`<div><dt${ll}>${c.issuedOn}</dt><dd${ll}><time datetime="${view.issuedOn.toISOString().slice(0, 10)}">${fmtDay(ctx.locale, view.issuedOn)}</time></dd></div>` : ''}
      <div><dt${ll}>${c.validUntil}</dt><dd${ll}>${
        view.validUntil ? html`<time datetime="${view.validUntil.toISOString().slice(0, 10)}">${fmtDay(ctx.locale, view.validUntil)}</time>` : c.noExpiry
      }</dd></div>
    </dl>
    ${
      view.criteria
        ? html`<section class="credential-card-section">
      ${heading(level + 1, label(c.criteria))}
      <p class="credential-card-criteria">${view.criteria}</p>
    </section>`
        : ''
    }
    ${
      view.fields.length
        ? html`<section class="credential-card-section">
      ${heading(level + 1, label(c.details))}
      <dl class="credential-card-fields">${view.fields.map((f) => html`<div><dt>${f.label}</dt><dd>${f.value}</dd></div>`)}</dl>
    </section>`
        : ''
    }
    ${
      view.skills.length
        ? html`<section class="credential-card-section">
      ${heading(level + 1, label(c.skills))}
      <ul class="credential-card-skills">${view.skills.map((s) => {
        const href = safeHref(s.uri);
        return html`<li>${href ? html`<a href="${href}" rel="noopener noreferrer">${s.name}<span class="visually-hidden"${ll}> (${c.framework})</span></a>` : s.name}</li>`;
      })}</ul>
    </section>`
        : ''
    }
  </div>
</article>`;
}

/** A field value as people read it: dates and numbers in the credential's language. */
function displayValue(type: TemplateContent['fields'][number]['type'], value: string, locale: Locale): string {
  if (type === 'date' && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const d = new Date(`${value}T00:00:00Z`);
    if (!Number.isNaN(d.getTime())) return fmtDay(locale, d);
  }
  if (type === 'number' && /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(value)) {
    const n = Number(value);
    if (Number.isFinite(n)) return new Intl.NumberFormat(intlLocale(locale), { maximumFractionDigits: 20 }).format(n);
  }
  return value;
}

/** The field type a signed result's OB resultType stands for (how Sceau signs them: RESULT_TYPE_OF). */
const FIELD_TYPE_OF_RESULT: Record<string, TemplateContent['fields'][number]['type']> = { RawScore: 'number', 'ext:Date': 'date' };

/**
 * The card of an issued credential: everything from the presenter's view of its stored signed document, so the
 * card shows what was signed even after the template was edited or the organisation renamed. `fallbackLocale`
 * formats a credential whose language is neither French nor English.
 */
export function cardOfCredential(view: CredentialView, fallbackLocale: Locale): CardView {
  const language = view.language?.toLowerCase() ?? '';
  const locale: Locale = language.startsWith('fr') ? 'fr' : language.startsWith('en') ? 'en' : fallbackLocale;
  return {
    kind: view.kind,
    title: view.name,
    description: view.description,
    criteria: view.criteria,
    imageUrl: view.imageUrl,
    issuerName: view.issuer.name,
    recipientName: view.recipientName,
    issuedOn: view.issuedOn,
    validUntil: view.validUntil,
    fields: view.results.map((r) => ({
      label: r.label,
      value: displayValue(FIELD_TYPE_OF_RESULT[r.resultType ?? ''] ?? 'text', r.value, locale),
    })),
    // Sceau signs skills with a framework address as alignments and the others as tags (the template's order
    // between the two groups is not in the document).
    skills: [...view.alignments.map((a) => ({ name: a.name, uri: a.url })), ...view.tags.map((name) => ({ name, uri: null }))],
    status: view.status,
    locale,
    ...(view.language && view.language !== locale ? { lang: view.language } : {}),
  };
}

/**
 * The card of a template version for a recipient, as it will be issued at `now`: the same rules as the credential
 * itself (`openBadgeOf`): texts in the recipient's language with a fallback to the other one, validity from the
 * template, image at `<baseUrl>/orgs/<slug>/images/<imageId>`.
 */
export function cardFromTemplate(
  baseUrl: URL,
  org: Pick<Organization, 'slug' | 'name'>,
  { template, content, recipient, now }: { template: Pick<Template, 'publicId' | 'kind'>; content: TemplateContent; recipient: Recipient; now: Date },
): CardView {
  const l = recipient.locale;
  const badge = openBadgeOf({ baseUrl, org, template, content, recipient, now });
  return {
    kind: template.kind,
    title: pick(content.name, l),
    description: pick(content.description, l),
    criteria: pick(content.criteria, l),
    imageUrl: content.imageId ? imageUrl(baseUrl, org.slug, content.imageId) : null,
    issuerName: org.name,
    recipientName: recipient.name,
    issuedOn: now,
    validUntil: badge.validUntil ?? null,
    fields: content.fields
      .filter((f) => recipient.fields[f.key] !== undefined && recipient.fields[f.key] !== '')
      .map((f) => ({ label: pick(f.label, l) || f.key, value: displayValue(f.type, recipient.fields[f.key]!, l) })),
    skills: content.skills.map((s) => ({ name: s.name, uri: s.frameworkUri })),
    locale: l,
  };
}

/** Sample values for the editor's preview, by field type. */
export function sampleRecipient(content: TemplateContent, locale: Locale, { now, names }: { now: Date; names: { name: string; text: string } }): Recipient {
  const fields: Record<string, string> = {};
  for (const f of content.fields) {
    fields[f.key] = f.type === 'number' ? '87.5' : f.type === 'date' ? now.toISOString().slice(0, 10) : f.type === 'grade' ? 'A' : names.text;
  }
  return { name: names.name, email: 'camille@example.org', learnerId: null, locale, fields };
}
