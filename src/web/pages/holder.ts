/**
 * The holder's side: the credential opened from its personal link (`/c/<id>?t=<token>`), its on-demand verification
 * and the signed-in holder's list ("Mon porte-document"). Every one presents the credential itself (the presenter's
 * view of the stored signed document: name, issuer, recipient, dates), not the template it came from. The link page
 * shows the status recorded in the database; the cryptographic verification (RDFC) runs only when the holder asks.
 */
import type { VerificationResult } from '../../domain/credentials/verification.js';
import { formatDay } from '../../i18n/dates.js';
import { format } from '../../i18n/t.js';
import { type Html, html } from '../../shared/html.js';
import { type PageContext, layout } from '../layout.js';
import { cardOfCredential, credentialCard } from './credential-card.js';
import { pendingSection } from './results.js';
import { fmtDay } from './credentials.js';
import type { Organization } from '../../domain/organizations/model.js';
import type { AwardView } from '../../domain/issuance/model.js';
import type { PendingCredential } from '../../domain/issuance/ports.js';
import type { CredentialView } from '../../http/presenters/credential.js';

/** `?t=<token>` for links of the page (empty for a signed-in holder without a token). */
const tokenQuery = (token: string | undefined) => (token ? `?t=${encodeURIComponent(token)}` : '');
const publicId = (a: AwardView) => a.credentialId.replace(/^urn:uuid:/, '');

/**
 * `view`: the stored signed document as presented. The award (Sceau's record of the issuance) says only whether the
 * credential is in an account; the organisation is a fallback for a document without an issuer name.
 */
export function holderPage(
  ctx: PageContext,
  v: {
    award: AwardView;
    org: Organization;
    view: CredentialView;
    token?: string;
    now: Date;
    isHolder: boolean;
  },
): Html {
  const { m } = ctx;
  const h = m.holder;
  const a = v.award;
  const c = v.view;
  const base = `/c/${publicId(a)}`;
  const recipientName = c.recipientName || a.recipient.name;
  const issuerName = c.issuer.name || v.org.name;
  const card = { ...cardOfCredential(c, a.recipient.locale), recipientName, issuerName };
  const expired = c.validUntil !== null && c.validUntil.getTime() <= v.now.getTime();
  return layout(
    ctx,
    c.name || format(h.heading, { name: recipientName }),
    html`
<h1>${format(h.heading, { name: recipientName })}</h1>
<p class="lead">${format(h.issuedBy, { org: issuerName })}</p>
${credentialCard(ctx, card, { headingLevel: 2, id: 'credential' })}
<section aria-labelledby="h-status">
<h2 id="h-status">${h.status}</h2>
${c.status !== 'active' ? html`<p class="alert alert-error credential-status-${c.status}">${h.statuses[c.status]}</p>` : ''}
${expired && c.validUntil ? html`<p class="alert alert-error credential-status-expired">${format(h.expired, { date: fmtDay(ctx, c.validUntil) })}</p>` : ''}
<p class="meta">${h.statusNote}</p>
<p class="actions">
  <a class="button" href="${base}/credential.json${tokenQuery(v.token)}" download>${h.download}</a>
  <a class="button" href="${base}/verification${tokenQuery(v.token)}">${h.verify}</a>
</p>
<p class="hint">${h.downloadHint}</p>
</section>
<section aria-labelledby="h-wallet">
${
  a.holderUserId
    ? html`<h2 id="h-wallet">${m.holder.walletTitle}</h2>
<p>${h.inWallet}</p>
${v.isHolder ? html`<p><a href="/account/credentials">${h.openWallet}</a></p>` : html`<p><a href="/signin?next=${encodeURIComponent('/account/credentials')}">${h.openWallet}</a></p>`}`
    : html`<h2 id="h-wallet">${h.addTitle}</h2>
<p>${h.addText}</p>
<p>${h.addLater}</p>
${ctx.user ? '' : html`<p><a href="/signup">${h.createAccount}</a></p>`}`
}
</section>
${v.token ? html`<p class="meta">${h.personalLink}</p>` : ''}`,
  );
}

export function holderVerificationPage(ctx: PageContext, v: { award: AwardView; view: CredentialView; result: VerificationResult; token?: string }): Html {
  const { m } = ctx;
  const h = m.holder;
  const r = v.result;
  const back = `/c/${publicId(v.award)}${tokenQuery(v.token)}`;
  return layout(
    ctx,
    `${h.verificationTitle} · ${v.view.name}`,
    html`
<p class="breadcrumb"><a href="${back}">${h.back}</a></p>
<h1>${h.verificationTitle}</h1>
<p class="lead">${h.verificationIntro}</p>
<p class="alert ${r.verified ? 'alert-ok' : 'alert-error'}" role="status" data-verified="${r.verified ? 'true' : 'false'}"><strong>${r.verified ? m.verification.verified : m.verification.notVerified}</strong></p>
<table class="verification-steps">
<caption class="visually-hidden">${h.verificationTitle}</caption>
<thead><tr><th scope="col">${h.step}</th><th scope="col">${h.result}</th><th scope="col">${h.detail}</th></tr></thead>
<tbody>${r.log.map(
      (s) => html`<tr class="step step-${s.valid ? 'ok' : 'failed'}" data-step="${s.id}" data-code="${s.code ?? ''}">
  <th scope="row">${m.verification.steps[s.id]}</th>
  <td><span class="tag ${s.valid ? 'tag-ok' : 'tag-error'}">${s.valid ? h.passed : h.failed}</span></td>
  <td>${s.message ?? ''}</td>
</tr>`,
    )}</tbody>
</table>
${r.warnings.length ? html`<h2>${h.warnings}</h2><ul class="list">${r.warnings.map((w) => html`<li>${w.message}</li>`)}</ul>` : ''}
<p><a href="${back}">${h.back}</a></p>`,
  );
}

/** `items`: each held credential as presented from its stored signed document (`view`), with Sceau's record of it; days in
 * each credential's organisation's time zone (`orgZones`). */
export function walletPage(
  ctx: PageContext,
  v: {
    items: { award: AwardView; view: CredentialView }[];
    orgNames: Map<string, string>;
    orgZones?: Map<string, string>;
    pending?: PendingCredential[];
  },
): Html {
  const { m } = ctx;
  const h = m.holder;
  return layout(
    ctx,
    h.walletTitle,
    html`
<p class="breadcrumb"><a href="/account">${m.account.title}</a></p>
<h1>${h.walletTitle}</h1>
<p class="lead">${h.walletIntro}</p>
${pendingSection(ctx, v.pending ?? [])}
${
  v.items.length
    ? html`<table>
<thead><tr><th scope="col">${h.credential}</th><th scope="col">${m.templates.card.issuer}</th><th scope="col">${h.issued}</th><th scope="col">${h.status}</th></tr></thead>
<tbody>${v.items.map(
        ({ award: a, view: c }) => html`<tr>
  <td><a href="/c/${publicId(a)}">${c.name}</a></td>
  <td>${c.issuer.name || (v.orgNames.get(a.orgId) ?? '')}</td>
  <td><time datetime="${(c.issuedOn ?? a.createdAt).toISOString()}">${formatDay(ctx.locale, c.issuedOn ?? a.createdAt, v.orgZones?.get(a.orgId) ?? ctx.timeZone)}</time></td>
  <td><span class="tag credential-status-${c.status}">${h.statuses[c.status]}</span></td>
</tr>`,
      )}</tbody>
</table>`
    : html`<p>${h.walletEmpty}</p>`
}`,
  );
}
