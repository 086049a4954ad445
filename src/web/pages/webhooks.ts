import { format } from '../../i18n/t.js';
import { type Html, html } from '../../shared/html.js';
import { type PageContext, csrfField, errorSummary, field, layout, notice } from '../layout.js';
import type { FormState } from './auth.js';
import { orgHeader, fmtDate } from './console.js';
import type { Organization } from '../../domain/organizations/model.js';
import type { Standing } from '../../domain/shared/policies.js';
import { WEBHOOK_EVENT_TYPES, WEBHOOKS_PER_ORG, type Webhook, type WebhookDeliveryView, type WebhookEventType } from '../../domain/webhooks/model.js';

/** Delivery logs: to the second, in the organisation's time zone. */
const fmtTime = (ctx: PageContext, d: Date) => fmtDate(ctx, d, { seconds: true });

export interface WebhooksPageView {
  org: Organization;
  standing: Standing;
  webhooks: Webhook[];
  deliveries: WebhookDeliveryView[];
  /** A secret just created or rotated: shown in this response only. */
  secret?: { webhook: Webhook; value: string; rotated: boolean };
  notice?: string;
  state?: FormState;
}

export function webhooksPage(ctx: PageContext, v: WebhooksPageView): Html {
  const { m } = ctx;
  const w = m.webhooks;
  const e = v.state?.errors ?? {};
  const chosen = new Set<string>((v.state?.values?.['events'] ?? '').split(',').filter(Boolean));
  const eventLabel = (t: WebhookEventType) => w.eventLabels[t];
  const base = `/console/${v.org.slug}/webhooks`;
  return layout(
    ctx,
    `${w.title} · ${v.org.name}`,
    html`
${orgHeader(ctx, v.org, { standing: v.standing, current: '/webhooks' })}
${notice(v.notice)}
${
  v.secret
    ? html`<div class="alert alert-ok" role="status"><p>${v.secret.rotated ? w.rotated : w.created}</p>
<p>${v.secret.webhook.url}</p><p><code class="secret">${v.secret.value}</code></p></div>`
    : ''
}
${errorSummary(ctx, [...(v.state?.general ?? []), ...Object.values(e)])}
<p>${w.intro}</p>
<h2>${w.title}</h2>
${
  v.webhooks.length
    ? html`<table>
<thead><tr><th scope="col">${w.endpoint}</th><th scope="col">${w.events}</th><th scope="col">${m.common.created}</th><th scope="col">${m.common.status}</th><th scope="col">${m.common.actions}</th></tr></thead>
<tbody>${v.webhooks.map(
        (h) => html`<tr>
  <td><code>${h.url}</code></td>
  <td>${h.events.map((t) => html`<span class="tag" title="${eventLabel(t)}">${t}</span> `)}</td>
  <td>${fmtTime(ctx, h.createdAt)}</td>
  <td>${h.disabledAt ? w.disabled : w.active}</td>
  <td>
    <form method="post" action="${base}/${h.id}/rotate" class="inline">${csrfField(ctx)}<button type="submit" class="small secondary">${w.rotate}<span class="visually-hidden"> ${h.url}</span></button></form>
    <form method="post" action="${base}/${h.id}/delete" class="inline">${csrfField(ctx)}<button type="submit" class="small secondary">${w.delete}<span class="visually-hidden"> ${h.url}</span></button></form>
  </td>
</tr>`,
      )}</tbody>
</table>`
    : html`<p>${w.none}</p>`
}
<h2 id="h-new-webhook">${w.addTitle}</h2>
<p class="hint">${format(w.limit, { max: WEBHOOKS_PER_ORG })}</p>
<form method="post" action="${base}" aria-labelledby="h-new-webhook">
  ${csrfField(ctx)}
  ${field({ name: 'url', label: w.url, type: 'url', required: true, maxlength: 2048, value: v.state?.values?.['url'], error: e['url'] })}
  <fieldset${e['events'] ? html` class="has-error" aria-describedby="f-events-error"` : ''}><legend>${w.events}</legend>
    ${e['events'] ? html`<p class="error" id="f-events-error">${e['events']}</p>` : ''}
    ${WEBHOOK_EVENT_TYPES.map((t) => html`<label><input type="checkbox" name="events" value="${t}"${chosen.has(t) ? html` checked` : ''}> ${eventLabel(t)} <code>${t}</code></label>`)}
  </fieldset>
  <button type="submit">${w.add}</button>
</form>
<h2>${w.log}</h2>
<p class="hint">${w.logIntro}</p>
${
  v.deliveries.length
    ? html`<table>
<thead><tr><th scope="col">${w.time}</th><th scope="col">${w.event}</th><th scope="col">${w.endpoint}</th><th scope="col">${m.common.status}</th><th scope="col">${w.attempts}</th><th scope="col">${w.httpCode}</th><th scope="col">${w.error}</th><th scope="col">${m.common.actions}</th></tr></thead>
<tbody>${v.deliveries.map(
        (d) => html`<tr data-delivery="${d.id}" data-status="${d.status}">
  <td>${fmtTime(ctx, d.createdAt)}</td>
  <td><code>${d.eventType}</code></td>
  <td><code>${d.url}</code></td>
  <td><span class="tag${d.status === 'delivered' ? ' tag-ok' : ''}">${w.status[d.status]}</span>${d.status === 'pending' && d.nextAttemptAt && d.attempts > 0 ? html` <span class="hint">(${format(w.nextAttempt, { time: fmtTime(ctx, d.nextAttemptAt) })})</span>` : ''}</td>
  <td>${d.attempts}</td>
  <td>${d.lastStatusCode ?? ''}</td>
  <td>${d.lastError ?? ''}</td>
  <td>${d.status === 'dead' ? html`<form method="post" action="/console/${v.org.slug}/webhook-deliveries/${d.id}/redeliver" class="inline">${csrfField(ctx)}<button type="submit" class="small">${w.redeliver}<span class="visually-hidden"> ${d.eventType} ${fmtTime(ctx, d.createdAt)}</span></button></form>` : ''}</td>
</tr>`,
      )}</tbody>
</table>`
    : html`<p>${w.noDeliveries}</p>`
}`,
  );
}
