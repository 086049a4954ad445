import type { FastifyRequest } from 'fastify';
import type { Locale } from '../domain/shared/model.js';
import { type Messages } from '../i18n/fr.js';
import { UTC } from '../i18n/dates.js';
import { messages } from '../i18n/t.js';
import { type Html, html } from '../shared/html.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The time zone of the organisation whose console page this is (set once it is known), else undefined. */
    timeZone?: string;
  }
}

export interface PageContext {
  locale: Locale;
  /** Times on this page: the organisation's time zone on its pages, UTC elsewhere. */
  timeZone: string;
  m: Messages;
  csrf: string;
  user: { displayName: string; isPlatformAdmin: boolean } | null;
  path: string;
  /** Query string of the current page without `lang` (so switching language keeps the page's parameters). */
  query: string;
}

export function pageContext(request: FastifyRequest, options: { isErrorPage?: boolean; timeZone?: string } = {}): PageContext {
  const [rawPath = '/', rawQuery = ''] = request.url.split('?');
  const params = new URLSearchParams(rawQuery);
  params.delete('lang');
  // Error pages link to "?lang=…" (the browser keeps the path): their bytes never echo the requested URL,
  // so a page that exists but is hidden and one that does not exist answer identically.
  const path = options.isErrorPage ? '' : rawPath;
  const query = options.isErrorPage ? '' : params.toString();
  return {
    query,
    locale: request.locale,
    timeZone: options.timeZone ?? request.timeZone ?? UTC,
    m: messages(request.locale),
    csrf: request.csrfToken(),
    user: request.user ? { displayName: request.user.displayName, isPlatformAdmin: request.user.isPlatformAdmin } : null,
    path,
  };
}

export function csrfField(ctx: PageContext): Html {
  return html`<input type="hidden" name="_csrf" value="${ctx.csrf}">`;
}

/** Error summary (role=alert) listing localised messages. */
export function errorSummary(ctx: PageContext, errors: string[]): Html {
  if (!errors.length) return html``;
  return html`<div class="alert alert-error" role="alert" tabindex="-1" id="errors"><h2>${ctx.m.common.errorTitle}</h2><ul>${errors.map((e) => html`<li>${e}</li>`)}</ul></div>`;
}

export function notice(text: string | undefined): Html {
  return text ? html`<div class="alert alert-ok" role="status">${text}</div>` : html``;
}

export function layout(ctx: PageContext, title: string, body: Html): Html {
  const { m } = ctx;
  const other: Locale = ctx.locale === 'fr' ? 'en' : 'fr';
  return html`<!doctype html>
<html lang="${ctx.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Sceau</title>
<link rel="stylesheet" href="/assets/app.css">
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
</head>
<body>
<a class="skip" href="#main">${m.nav.skip}</a>
<header class="site">
  <a class="brand" href="/">Sceau</a>
  <nav aria-label="${m.nav.main}">
    <ul>
      ${
        ctx.user
          ? html`<li><a href="/console">${m.nav.organizations}</a></li>
               <li><a href="/account">${m.nav.account}</a></li>
               ${ctx.user.isPlatformAdmin ? html`<li><a href="/admin/outbox">${m.nav.outbox}</a></li>` : ''}
               <li><form method="post" action="/signout" class="inline">${csrfField(ctx)}<button type="submit" class="link">${m.nav.signOut}</button></form></li>`
          : html`<li><a href="/signin">${m.nav.signIn}</a></li><li><a href="/signup">${m.nav.signUp}</a></li>`
      }
      <li><a href="${ctx.path}?${ctx.query ? `${ctx.query}&` : ''}lang=${other}" lang="${other}" hreflang="${other}">${m.meta.other}</a></li>
    </ul>
  </nav>
</header>
<main id="main" tabindex="-1">
${body}
</main>
<footer class="site"><p>Sceau — Open Badges 3.0 · W3C Verifiable Credentials 2.0</p></footer>
</body>
</html>`;
}

/** A labelled input with its error. */
export function field(options: {
  name: string;
  label: string;
  type?: string;
  value?: string;
  autocomplete?: string;
  required?: boolean;
  hint?: string;
  error?: string;
  inputmode?: string;
  maxlength?: number;
  pattern?: string;
}): Html {
  const id = `f-${options.name}`;
  const describedBy = [options.hint ? `${id}-hint` : '', options.error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return html`<div class="field${options.error ? ' has-error' : ''}">
  <label for="${id}">${options.label}</label>
  ${options.hint ? html`<p class="hint" id="${id}-hint">${options.hint}</p>` : ''}
  ${options.error ? html`<p class="error" id="${id}-error">${options.error}</p>` : ''}
  <input id="${id}" name="${options.name}" type="${options.type ?? 'text'}" value="${options.value ?? ''}"
    ${options.autocomplete ? html`autocomplete="${options.autocomplete}"` : ''} ${options.required ? html`required` : ''}
    ${options.inputmode ? html`inputmode="${options.inputmode}"` : ''} ${options.maxlength ? html`maxlength="${options.maxlength}"` : ''}
    ${options.pattern ? html`pattern="${options.pattern}"` : ''}
    ${describedBy ? html`aria-describedby="${describedBy}"` : ''} ${options.error ? html`aria-invalid="true"` : ''}>
</div>`;
}

export function select(options: { name: string; label: string; value: string; choices: { value: string; label: string }[] }): Html {
  const id = `f-${options.name}`;
  return html`<div class="field"><label for="${id}">${options.label}</label>
<select id="${id}" name="${options.name}">${options.choices.map((c) => html`<option value="${c.value}"${c.value === options.value ? html` selected` : ''}>${c.label}</option>`)}</select></div>`;
}
