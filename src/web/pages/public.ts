import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppError } from '../../domain/shared/errors.js';
import { STATUS, localizedMessage } from '../../http/plugins/errors.js';
import { html } from '../../shared/html.js';
import { type PageContext, layout, pageContext } from '../layout.js';

export function homePage(ctx: PageContext) {
  const { m } = ctx;
  return layout(
    ctx,
    m.home.title,
    html`
<h1>${m.home.title}</h1>
<p class="lead">${m.home.lead}</p>
<div class="cards">
  <section class="card"><h2>${m.home.issuers}</h2><p>${m.home.issuersText}</p></section>
  <section class="card"><h2>${m.home.holders}</h2><p>${m.home.holdersText}</p></section>
  <section class="card"><h2>${m.home.verifiers}</h2><p>${m.home.verifiersText}</p></section>
</div>
${ctx.user ? '' : html`<p class="actions"><a class="button" href="/signup">${m.home.cta}</a> <a href="/signin">${m.home.ctaSignIn}</a></p>`}`,
  );
}

/** The HTML error page. 4xx bodies carry no request id, so a foreign id and a missing one look the same. */
export function renderErrorPage(request: FastifyRequest, reply: FastifyReply, appError: AppError) {
  const ctx = pageContext(request, { isErrorPage: true });
  const status = STATUS[appError.code];
  const message = localizedMessage(appError, ctx.locale, request.id);
  if (appError.code === 'AUTH_THROTTLED' && appError.params['retryAfter']) reply.header('retry-after', String(appError.params['retryAfter']));
  const page = layout(
    ctx,
    ctx.m.errorPage.title,
    html`
<h1>${ctx.m.errorPage.title} ${status}</h1>
<p class="alert alert-error" role="alert">${message}</p>
<p><a href="/">${ctx.m.errorPage.home}</a></p>`,
  );
  return reply.code(status).type('text/html; charset=utf-8').send(page.value);
}
