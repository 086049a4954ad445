import type { Locale } from '../domain/shared/model.js';
import { format, messages } from '../i18n/t.js';
import type { RenderedMail } from '../store/outbox.repository.js';
import { html } from '../shared/html.js';
import type { MailKind, MailParams, OutgoingMail } from '../domain/shared/mail.js';

/** Subjects go into a header: strip every control character so no value can add a header (X4). */
function headerSafe(value: string): string {
  return value
    .replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ')
    .trim()
    .slice(0, 250);
}

const LINKS: Partial<Record<MailKind, string>> = { 'password.reset': 'resetUrl', invitation: 'acceptUrl', 'credential.issued': 'link' };

/** Renders an e-mail as subject + text + HTML in the recipient's language. User values are escaped in HTML. */
export function renderMail(mail: OutgoingMail): RenderedMail {
  const m = messages(mail.locale as Locale);
  const params: Record<string, string | number> = { ...(mail.params as MailParams[MailKind]) } as Record<string, string | number>;
  if (mail.kind === 'invitation') params['roleLabel'] = m.roles[(mail.params as MailParams['invitation']).role];
  let subject: string;
  let body: string;
  if (mail.kind === 'credential.issued') {
    // The issuer's own texts (merge fields already replaced) or the default ones; the link is always there.
    const p = mail.params as MailParams['credential.issued'];
    const tpl = m.mail['credential.issued'];
    subject = headerSafe(p.customSubject || format(tpl.subject, params));
    body = p.customBody || format(p.inAccount ? tpl.bodyInAccount : tpl.body, params);
    if (!body.includes(p.link)) body = `${body}\n\n${p.link}`;
  } else {
    const tpl = m.mail[mail.kind];
    subject = headerSafe(format(tpl.subject, params));
    body = format(tpl.body, params);
  }
  // A credential e-mail answers no request of the recipient's: "if you did not ask for this" would not fit.
  const notice = mail.kind === 'credential.issued' ? m.mail.notForYou : m.mail.ignore;
  const text = `${body}\n\n${notice}\n\n-- \n${m.mail.footer}\n`;
  const linkKey = LINKS[mail.kind];
  const link = linkKey ? String(params[linkKey]) : undefined;
  const actionLabel = mail.kind === 'password.reset' || mail.kind === 'invitation' || mail.kind === 'credential.issued' ? m.mail.action[mail.kind] : undefined;
  const paragraphs = body.split('\n\n').map((p) => html`<p>${p.split('\n').map((line, i) => (i ? [html`<br>`, line] : line))}</p>`);
  const page = html`<!doctype html>
<html lang="${mail.locale}"><head><meta charset="utf-8"><title>${subject}</title></head>
<body style="font-family:system-ui,sans-serif;color:#1b1f24;max-width:600px;margin:auto;padding:16px">
${paragraphs}
${link && actionLabel ? html`<p><a href="${link}" style="display:inline-block;background:#1f4e8c;color:#fff;padding:10px 16px;border-radius:4px;text-decoration:none">${actionLabel}</a></p>` : ''}
<p style="color:#555;font-size:13px">${notice}</p>
<hr><p style="color:#555;font-size:12px">${m.mail.footer}</p>
</body></html>`;
  return { subject, text, html: page.value };
}
