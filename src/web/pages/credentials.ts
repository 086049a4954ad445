/**
 * Console pages of issued credentials: the list (search, filters, keyset pages, CSV export), one credential's detail
 * (card, data, delivery, history, re-send, suspend / reactivate / revoke) and the analytics page with its chart
 * rendered server-side as inline SVG (readable without JavaScript, with the same numbers in a table).
 */
import type { Analytics } from '../../domain/credentials/manage-credentials.js';
import { type Template } from '../../domain/templates/model.js';
import { pick } from '../../domain/templates/manage-templates.js';
import { type Standing, can } from '../../domain/shared/policies.js';
import type { HistoryItem } from '../../domain/credentials/manage-credentials.js';
import type { CredentialView } from '../../http/presenters/credential.js';
import { UTC, formatDay } from '../../i18n/dates.js';
import { plural } from '../../i18n/plural.js';
import { format } from '../../i18n/t.js';
import { type Html, html } from '../../shared/html.js';
import { type PageContext, csrfField, errorSummary, field, layout, notice, select } from '../layout.js';
import type { FormState } from './auth.js';
import { cardOfCredential, credentialCard } from './credential-card.js';
import { orgHeader, fmtDate } from './console.js';
import type { Organization } from '../../domain/organizations/model.js';
import { type CredentialEventKind, EVENT_KINDS } from '../../domain/credentials/model.js';
import type { AwardView } from '../../domain/issuance/model.js';

const intl = (ctx: PageContext) => (ctx.locale === 'fr' ? 'fr-CA' : 'en-CA');

/** Date and time in the organisation's time zone (like the rest of the console). */
export const fmtDateTime = (ctx: PageContext, d: Date) => fmtDate(ctx, d);
/** The day in the page's time zone. */
export const fmtDay = (ctx: PageContext, d: Date) => formatDay(ctx.locale, d, ctx.timeZone);
/** A day of the analytics series (`YYYY-MM-DD`, counted in UTC). */
const fmtSeriesDay = (ctx: PageContext, day: string) => formatDay(ctx.locale, new Date(`${day}T00:00:00Z`), UTC);
const fmtNumber = (ctx: PageContext, n: number) => new Intl.NumberFormat(intl(ctx)).format(n);

export const CSV_MAX_ROWS = 100_000;

/** The list's filters as typed (strings), kept in links and the form. */
export interface CredentialFilterValues {
  q: string;
  template: string;
  status: string;
  from: string;
  to: string;
}

export function filterParams(f: CredentialFilterValues, extra: Record<string, string> = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...f, ...extra })) if (v) p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
}

function statusTag(ctx: PageContext, status: AwardView['status']): Html {
  return html`<span class="tag credential-status-${status}">${ctx.m.credentials.statuses[status]}</span>`;
}

/** Delivery of the credential's e-mail; a dead letter is highlighted: the issuer must see it. */
function mailCell(ctx: PageContext, a: AwardView, withHint = false): Html {
  const c = ctx.m.credentials;
  if (!a.mailStatus) return html`<span class="meta">${c.mail.none}</span>`;
  const attempts = a.mailAttempts ? html` <span class="meta">(${plural(ctx.locale, c.attempts, { count: a.mailAttempts })})</span>` : '';
  if (a.mailStatus === 'dead') {
    return html`<strong class="tag tag-error mail-dead">${c.mail.dead}</strong>${attempts}${withHint ? html`<p class="alert alert-error" role="alert">${c.deadHint}</p>` : ''}`;
  }
  return html`<span class="tag mail-${a.mailStatus}">${c.mail[a.mailStatus]}</span>${attempts}`;
}

export function credentialsListPage(
  ctx: PageContext,
  v: {
    org: Organization;
    standing: Standing;
    templates: Template[];
    awards: AwardView[];
    total: number;
    filters: CredentialFilterValues;
    nextCursor: string | null;
    isFirstPage: boolean;
    state?: FormState;
  },
): Html {
  const { m } = ctx;
  const c = m.credentials;
  const base = `/console/${v.org.slug}/credentials`;
  const e = v.state?.errors ?? {};
  const templateChoices = [{ value: '', label: c.allTemplates }, ...v.templates.map((t) => ({ value: t.id, label: pick(t.content.name, ctx.locale) }))];
  const statusChoices = [
    { value: '', label: c.allStatuses },
    ...(['active', 'suspended', 'revoked'] as const).map((s) => ({ value: s, label: c.statuses[s] })),
  ];
  return layout(
    ctx,
    `${c.title} · ${v.org.name}`,
    html`
${orgHeader(ctx, v.org, { standing: v.standing, current: '/credentials' })}
<h2>${c.title}</h2>
<p class="meta">${c.intro}</p>
${errorSummary(ctx, [...(v.state?.general ?? []), ...Object.values(e)])}
<form method="get" action="${base}" class="filter-form" role="search" aria-labelledby="h-filters">
  <h3 id="h-filters" class="visually-hidden">${c.filters}</h3>
  ${field({ name: 'q', label: c.search, type: 'search', value: v.filters.q, hint: c.searchHint, maxlength: 200 })}
  ${select({ name: 'template', label: c.template, value: v.filters.template, choices: templateChoices })}
  ${select({ name: 'status', label: c.status, value: v.filters.status, choices: statusChoices })}
  ${field({ name: 'from', label: c.from, type: 'date', value: v.filters.from, error: e['from'] })}
  ${field({ name: 'to', label: c.to, type: 'date', value: v.filters.to, error: e['to'] })}
  <button type="submit">${c.apply}</button> <a href="${base}">${c.clear}</a>
</form>
<p><strong>${plural(ctx.locale, c.total, { count: v.total })}</strong>
 · <a href="${base}.csv${filterParams(v.filters)}" download>${c.exportCsv}</a> <span class="meta">${format(c.exportHint, { max: fmtNumber(ctx, CSV_MAX_ROWS) })}</span></p>
${
  v.awards.length
    ? html`<table class="credentials">
<caption class="visually-hidden">${c.title}</caption>
<thead><tr><th scope="col">${c.recipient}</th><th scope="col">${c.template}</th><th scope="col">${c.issued}</th><th scope="col">${c.status}</th><th scope="col">${c.delivery}</th></tr></thead>
<tbody>${v.awards.map(
        (a) => html`<tr${a.mailStatus === 'dead' ? html` class="row-dead"` : ''}>
  <td><a href="${base}/${a.id}">${a.recipient.name}</a><br><span class="meta">${a.recipient.email}${a.recipient.learnerId ? html` · ${c.learnerId} ${a.recipient.learnerId}` : ''}</span></td>
  <td>${pick(a.templateName, ctx.locale)}</td>
  <td><time datetime="${a.createdAt.toISOString()}">${fmtDay(ctx, a.createdAt)}</time></td>
  <td>${statusTag(ctx, a.status)}</td>
  <td>${mailCell(ctx, a)}</td>
</tr>`,
      )}</tbody>
</table>`
    : html`<p>${c.none}</p>`
}
${
  v.nextCursor || !v.isFirstPage
    ? html`<nav aria-label="${c.pagination}" class="pagination"><ul>
  ${!v.isFirstPage ? html`<li><a href="${base}${filterParams(v.filters)}">${c.first}</a></li>` : ''}
  ${v.nextCursor ? html`<li><a href="${base}${filterParams(v.filters, { cursor: v.nextCursor })}" rel="next">${c.next}</a></li>` : ''}
</ul></nav>`
    : ''
}`,
  );
}

export function credentialDetailPage(
  ctx: PageContext,
  v: {
    org: Organization;
    standing: Standing;
    award: AwardView;
    /** The stored signed document as presented (the card); the rest of the page is Sceau's record of the issuance. */
    view: CredentialView;
    history: HistoryItem[];
    notice?: string;
    state?: FormState;
    form?: 'resend' | 'suspended' | 'active' | 'revoked';
  },
): Html {
  const { m } = ctx;
  const c = m.credentials;
  const a = v.award;
  const base = `/console/${v.org.slug}/credentials/${a.id}`;
  const canAct = can(v.standing, 'credentials.issue');
  const errors = v.state?.errors ?? {};
  const typed = v.state?.values ?? {};
  const reasonField = (status: 'suspended' | 'active' | 'revoked') => {
    const id = `f-reason-${status}`;
    const err = v.form === status ? errors['reason'] : undefined;
    return html`<div class="field${err ? ' has-error' : ''}">
  <label for="${id}">${c.reasonLabel}</label>
  <p class="hint" id="${id}-hint">${c.reasonHint}</p>
  ${err ? html`<p class="error" id="${id}-error">${err}</p>` : ''}
  <textarea id="${id}" name="reason" rows="3" maxlength="500" aria-describedby="${id}-hint${err ? ` ${id}-error` : ''}"${err ? html` aria-invalid="true"` : ''}>${v.form === status ? (typed['reason'] ?? '') : ''}</textarea>
</div>`;
  };
  const confirmError = v.form === 'revoked' ? errors['confirm'] : undefined;
  return layout(
    ctx,
    `${format(c.detailTitle, { name: a.recipient.name })} · ${v.org.name}`,
    html`
${orgHeader(ctx, v.org, { standing: v.standing, current: '/credentials' })}
<p class="breadcrumb"><a href="/console/${v.org.slug}/credentials">${c.back}</a></p>
<h2>${format(c.detailTitle, { name: a.recipient.name })}</h2>
${notice(v.notice)}
${errorSummary(ctx, [...(v.state?.general ?? []), ...Object.values(errors)])}
${a.mailStatus === 'dead' ? html`<p class="alert alert-error" role="alert"><strong>${c.mail.dead}.</strong> ${c.deadHint}</p>` : ''}
<section aria-labelledby="h-card">
<h3 id="h-card">${c.card}</h3>
${credentialCard(ctx, { ...cardOfCredential(v.view, a.recipient.locale), issuerName: v.view.issuer.name || v.org.name }, { headingLevel: 4 })}
</section>
<section aria-labelledby="h-data">
<h3 id="h-data">${c.data}</h3>
<dl class="facts">
  <dt>${c.recipient}</dt><dd>${a.recipient.name}</dd>
  <dt>${c.email}</dt><dd>${a.recipient.email}</dd>
  <dt>${c.learnerId}</dt><dd>${a.recipient.learnerId ?? '—'}</dd>
  <dt>${c.template}</dt><dd>${format(c.templateVersion, { name: pick(a.templateName, ctx.locale), version: a.templateVersion })}</dd>
  <dt>${c.credentialId}</dt><dd><code>${a.credentialId}</code></dd>
  <dt>${c.issued}</dt><dd>${fmtDateTime(ctx, a.createdAt)}</dd>
  <dt>${c.validUntil}</dt><dd>${a.validUntil ? fmtDateTime(ctx, a.validUntil) : c.lifetime}</dd>
  <dt>${c.status}</dt><dd>${statusTag(ctx, a.status)}</dd>
</dl>
<p><a href="${base}/credential.json" download>${c.download}</a></p>
</section>
<section aria-labelledby="h-delivery">
<h3 id="h-delivery">${c.delivery}</h3>
<dl class="facts">
  <dt>${c.mailState}</dt><dd>${mailCell(ctx, a)}</dd>
  ${a.mailError ? html`<dt>${c.lastError}</dt><dd><code>${a.mailError}</code></dd>` : ''}
  <dt>${c.opened}</dt><dd>${a.openedAt ? format(c.openedAt, { date: fmtDateTime(ctx, a.openedAt) }) : c.notOpened}</dd>
  <dt>${c.wallet}</dt><dd>${a.holderUserId ? format(c.inWallet, { date: fmtDateTime(ctx, a.claimedAt ?? a.createdAt) }) : c.notInWallet}</dd>
</dl>
${
  canAct && a.status !== 'revoked'
    ? html`<form method="post" action="${base}/resend" aria-describedby="resend-hint">
  ${csrfField(ctx)}
  <p class="hint" id="resend-hint">${c.resendHint}</p>
  <button type="submit">${c.resend}</button>
</form>`
    : ''
}
</section>
<section aria-labelledby="h-history">
<h3 id="h-history">${c.history}</h3>
${
  v.history.length
    ? html`<table>
<thead><tr><th scope="col">${m.common.date}</th><th scope="col">${c.status}</th><th scope="col">${c.reason}</th></tr></thead>
<tbody>${v.history.map((h) => html`<tr><td>${fmtDateTime(ctx, h.at)}</td><td>${c.historyActions[h.action] ?? h.action}</td><td>${h.reason ?? '—'}</td></tr>`)}</tbody>
</table>`
    : html`<p>${c.noHistory}</p>`
}
</section>
<section aria-labelledby="h-status">
<h3 id="h-status">${c.statusTitle}</h3>
${
  !canAct
    ? html`<p>${c.readOnly}</p>`
    : a.status === 'revoked'
      ? html`<p>${c.revokedFinal}</p>`
      : html`
${
  a.status === 'active'
    ? html`<form method="post" action="${base}/status" aria-labelledby="h-suspend">
  ${csrfField(ctx)}
  <h4 id="h-suspend">${c.suspend}</h4>
  <p class="hint">${c.suspendHint}</p>
  <input type="hidden" name="status" value="suspended">
  ${reasonField('suspended')}
  <button type="submit">${c.suspend}</button>
</form>`
    : html`<form method="post" action="${base}/status" aria-labelledby="h-reactivate">
  ${csrfField(ctx)}
  <h4 id="h-reactivate">${c.reactivate}</h4>
  <p class="hint">${c.reactivateHint}</p>
  <input type="hidden" name="status" value="active">
  ${reasonField('active')}
  <button type="submit">${c.reactivate}</button>
</form>`
}
<form method="post" action="${base}/status" aria-labelledby="h-revoke">
  ${csrfField(ctx)}
  <h4 id="h-revoke">${c.revoke}</h4>
  <p class="hint">${c.revokeHint}</p>
  <input type="hidden" name="status" value="revoked">
  ${reasonField('revoked')}
  <div class="field${confirmError ? ' has-error' : ''}">
    ${confirmError ? html`<p class="error" id="f-confirm-error">${confirmError}</p>` : ''}
    <label class="checkbox"><input type="checkbox" name="confirm" value="on" required${confirmError ? html` aria-invalid="true" aria-describedby="f-confirm-error"` : ''}> ${c.revokeConfirm}</label>
  </div>
  <button type="submit" class="secondary">${c.revoke}</button>
</form>`
}
</section>`,
  );
}

// ---- Analytics -----------------------------------------------------------------------------------------------

export interface Bucket {
  start: string;
  counts: Record<CredentialEventKind, number>;
}

/** Days of the period grouped for display: one bucket per day up to 31 days, per 7 days beyond (oldest first). */
export function bucketsOf(days: Analytics['days']): { unit: 'day' | 'week'; buckets: Bucket[] } {
  const unit = days.length > 31 ? 'week' : 'day';
  const size = unit === 'week' ? 7 : 1;
  const buckets: Bucket[] = [];
  for (let i = 0; i < days.length; i += size) {
    const counts = Object.fromEntries(EVENT_KINDS.map((k) => [k, 0])) as Record<CredentialEventKind, number>;
    for (const d of days.slice(i, i + size)) for (const k of EVENT_KINDS) counts[k] += d.counts[k];
    buckets.push({ start: days[i]!.day, counts });
  }
  return { unit, buckets };
}

/** Whole-number axis ticks: a round step (1, 2, 5 × 10^n) giving at most 5 intervals, and the axis maximum. */
function axisTicks(max: number): { top: number; ticks: number[] } {
  const raw = Math.max(1, max) / 5;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(1, [1, 2, 5, 10].map((f) => f * p).find((s) => s >= raw) ?? 10 * p);
  const top = Math.max(step, Math.ceil(Math.max(1, max) / step) * step);
  const ticks: number[] = [];
  for (let v = 0; v <= top; v += step) ticks.push(v);
  return { top, ticks };
}

/** Lines per kind, axis labels, a title and a description; colours come from CSS classes (`chart-<kind>`). */
function chartSvg(ctx: PageContext, unit: 'day' | 'week', buckets: Bucket[], from: string, to: string): Html {
  const a = ctx.m.analytics;
  const W = 720,
    H = 300,
    left = 48,
    right = 16,
    top = 16,
    bottom = 44;
  const plotW = W - left - right,
    plotH = H - top - bottom;
  const { top: max, ticks } = axisTicks(Math.max(0, ...buckets.flatMap((b) => EVENT_KINDS.map((k) => b.counts[k]))));
  const n = buckets.length;
  const x = (i: number) => left + (n <= 1 ? plotW / 2 : (i * plotW) / (n - 1));
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const r1 = (v: number) => Math.round(v * 10) / 10;
  const labelIdx = n <= 1 ? [0] : [...new Set([0, Math.floor((n - 1) / 2), n - 1])];
  const title = format(a.chartTitle, { unit: a.units[unit], from: fmtSeriesDay(ctx, from), to: fmtSeriesDay(ctx, to) });
  const sep = ctx.m.common.colon;
  const desc = EVENT_KINDS.map((k) => `${a.kinds[k]}${sep}${buckets.reduce((s, b) => s + b.counts[k], 0)}`).join('; ');
  return html`<svg class="chart" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">
<title id="chart-title">${title}</title>
<desc id="chart-desc">${desc}</desc>
<g class="chart-grid" aria-hidden="true">${ticks.map((t) => html`<line x1="${left}" x2="${W - right}" y1="${r1(y(t))}" y2="${r1(y(t))}"></line><text class="chart-label" x="${left - 6}" y="${r1(y(t) + 4)}" text-anchor="end">${fmtNumber(ctx, t)}</text>`)}</g>
<g class="chart-axis" aria-hidden="true">
  <line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}"></line>
  <line x1="${left}" x2="${W - right}" y1="${top + plotH}" y2="${top + plotH}"></line>
  ${labelIdx.map((i) => html`<text class="chart-label" x="${r1(x(i))}" y="${H - bottom + 18}" text-anchor="${i === 0 && n > 1 ? 'start' : i === n - 1 && n > 1 ? 'end' : 'middle'}">${fmtSeriesDay(ctx, buckets[i]!.start)}</text>`)}
  <text class="chart-label" x="${left + plotW / 2}" y="${H - 6}" text-anchor="middle">${unit === 'week' ? a.week : a.day}</text>
  <text class="chart-label" x="12" y="${top + plotH / 2}" text-anchor="middle" transform="rotate(-90 12 ${top + plotH / 2})">${a.axisCount}</text>
</g>
${EVENT_KINDS.map(
  (k) => html`<g class="chart-series chart-${k}"><title>${a.kinds[k]}</title>
  <polyline points="${buckets.map((b, i) => `${r1(x(i))},${r1(y(b.counts[k]))}`).join(' ')}"></polyline>
  ${n <= 31 ? buckets.map((b, i) => html`<circle cx="${r1(x(i))}" cy="${r1(y(b.counts[k]))}" r="2.5"></circle>`) : ''}
</g>`,
)}
</svg>`;
}

export function analyticsPage(
  ctx: PageContext,
  v: {
    org: Organization;
    standing: Standing;
    templates: Template[];
    templateId: string;
    days: '30' | '90' | '365';
    data: Analytics;
    /** Credentials whose e-mail stayed in the local outbox (never delivered), and whether mail leaves at all. */
    localMails?: number;
    mailMode?: 'smtp' | 'local';
  },
): Html {
  const { m } = ctx;
  const a = m.analytics;
  const { unit, buckets } = bucketsOf(v.data.days);
  const from = v.data.days[0]?.day ?? '';
  const to = v.data.days.at(-1)?.day ?? '';
  const anyEvent = buckets.some((b) => EVENT_KINDS.some((k) => b.counts[k] > 0));
  const templateChoices = [{ value: '', label: a.allTemplates }, ...v.templates.map((t) => ({ value: t.id, label: pick(t.content.name, ctx.locale) }))];
  const periodChoices = (['30', '90', '365'] as const).map((d) => ({ value: d, label: a.periods[d] }));
  return layout(
    ctx,
    `${a.title} · ${v.org.name}`,
    html`
${orgHeader(ctx, v.org, { standing: v.standing, current: '/analytics' })}
<h2>${a.title}</h2>
<p class="meta">${a.intro}</p>
<form method="get" action="/console/${v.org.slug}/analytics" class="filter-form">
  ${select({ name: 'template', label: a.template, value: v.templateId, choices: templateChoices })}
  ${select({ name: 'days', label: a.period, value: v.days, choices: periodChoices })}
  <button type="submit">${a.show}</button>
</form>
<section aria-labelledby="h-totals">
<h3 id="h-totals">${a.totals}</h3>
<p class="hint">${a.totalsHint}</p>
<dl class="stats">${EVENT_KINDS.map((k) => html`<div class="stat stat-${k}"><dt>${a.kinds[k]}</dt><dd>${fmtNumber(ctx, v.data.totals[k])}</dd></div>`)}
${v.localMails || v.mailMode === 'local' ? html`<div class="stat stat-local"><dt>${a.keptLocal}</dt><dd>${fmtNumber(ctx, v.localMails ?? 0)}</dd></div>` : ''}</dl>
${v.mailMode === 'local' ? html`<p class="alert alert-info">${a.localNote}</p>` : ''}
<p class="meta">${a.laterNote}</p>
</section>
<section aria-labelledby="h-chart">
<h3 id="h-chart">${a.chart}</h3>
${anyEvent ? '' : html`<p>${a.empty}</p>`}
<figure class="chart-figure">
${chartSvg(ctx, unit, buckets, from, to)}
<figcaption><ul class="chart-legend">${EVENT_KINDS.map((k) => html`<li><span class="chart-key chart-${k}" aria-hidden="true"></span>${a.kinds[k]}</li>`)}</ul></figcaption>
</figure>
<table class="chart-table">
<caption>${format(a.tableCaption, { unit: a.units[unit] })}</caption>
<thead><tr><th scope="col">${unit === 'week' ? a.week : a.day}</th>${EVENT_KINDS.map((k) => html`<th scope="col">${a.kinds[k]}</th>`)}</tr></thead>
<tbody>${buckets.map((b) => html`<tr><th scope="row"><time datetime="${b.start}">${fmtSeriesDay(ctx, b.start)}</time></th>${EVENT_KINDS.map((k) => html`<td>${fmtNumber(ctx, b.counts[k])}</td>`)}</tr>`)}</tbody>
</table>
</section>`,
  );
}
