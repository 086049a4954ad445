import { type Html, html } from '../../shared/html.js';
import { type PageContext, layout } from '../layout.js';
import type { OutboxMail } from '../../domain/shared/mail.js';

const fmt = (d: Date) => d.toISOString().replace('T', ' ').slice(0, 19) + ' UTC';

export function outboxPage(ctx: PageContext, mails: OutboxMail[], mode: 'smtp' | 'local'): Html {
  const { m } = ctx;
  return layout(
    ctx,
    m.outbox.title,
    html`
<h1>${m.outbox.title}</h1>
${mode === 'local' ? html`<p class="alert alert-info">${m.outbox.intro}</p>` : ''}
<table>
<thead><tr><th scope="col">${m.common.date}</th><th scope="col">${m.outbox.to}</th><th scope="col">${m.outbox.subject}</th><th scope="col">${m.common.status}</th><th scope="col">${m.outbox.attempts}</th></tr></thead>
<tbody>${mails.map(
      (mail) => html`<tr><td>${fmt(mail.createdAt)}</td><td>${mail.to}</td>
<td><a href="/admin/outbox/${mail.id}">${mail.subject}</a></td><td>${m.outbox.status[mail.status]}${mail.lastError ? html`<br><small>${mail.lastError}</small>` : ''}</td><td>${mail.attempts}</td></tr>`,
    )}</tbody>
</table>`,
  );
}

/**
 * One message: the HTML version as the recipient sees it, in a sandboxed iframe (no script; served by
 * `?view=html` with its own strict CSP, never inlined in this page), then the text version.
 */
export function outboxMessagePage(ctx: PageContext, mail: OutboxMail, body: { subject: string; text: string; html: string }): Html {
  const { m } = ctx;
  const links = [...body.text.matchAll(/https?:\/\/\S+/g)].map((x) => x[0]);
  return layout(
    ctx,
    body.subject,
    html`
<p class="breadcrumb"><a href="/admin/outbox">${m.outbox.title}</a></p>
<h1>${body.subject}</h1>
<dl class="facts"><dt>${m.outbox.to}</dt><dd>${mail.to}</dd><dt>${m.common.status}</dt><dd>${m.outbox.status[mail.status]}</dd><dt>${m.common.date}</dt><dd>${fmt(mail.createdAt)}</dd></dl>
<h2 id="h-html">${m.outbox.htmlVersion}</h2>
<iframe class="mail-html" sandbox src="/admin/outbox/${mail.id}?view=html" title="${m.outbox.htmlVersion} — ${body.subject}" referrerpolicy="no-referrer" loading="lazy"></iframe>
<h2>${m.outbox.textVersion}</h2>
<pre class="mail">${body.text}</pre>
${links.length ? html`<ul class="list">${links.map((l) => html`<li><a href="${l}" rel="noreferrer">${l}</a></li>`)}</ul>` : ''}`,
  );
}
