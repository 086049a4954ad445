import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../domain/shared/errors.js';
import type { AppDeps } from '../../http/deps.js';
import { pageContext } from '../layout.js';
import { outboxMessagePage, outboxPage } from '../pages/admin.js';
import { htmlResponse, sendHtml, text } from './helpers.js';

/**
 * Platform administration. Signed-in people who are not platform admins get the same 404 as for a page that
 * does not exist; visitors who are not signed in get the sign-in page (401) like every signed-in area.
 */
export const adminRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  const hide = { hide: true };
  app.addHook('preHandler', async (request) => {
    if (!request.user?.isPlatformAdmin) throw new AppError('NOT_FOUND');
  });

  app.get(
    '/admin/outbox',
    { schema: { ...hide, querystring: z.object({ lang: z.enum(['fr', 'en']).optional() }), response: htmlResponse } },
    async (request, reply) => sendHtml(reply, outboxPage(pageContext(request), await deps.store.outbox.list(200), deps.mailMode)),
  );

  app.get(
    '/admin/outbox/:id',
    {
      schema: {
        ...hide,
        params: z.object({ id: text(64) }),
        querystring: z.object({ lang: z.enum(['fr', 'en']).optional(), view: z.enum(['html']).optional() }),
        response: htmlResponse,
      },
    },
    async (request, reply) => {
      const mail = await deps.store.outbox.findById(request.params.id);
      const body = mail ? await deps.store.outbox.readBody(mail.id) : undefined;
      if (!mail || !body) throw new AppError('NOT_FOUND');
      if (request.query.view === 'html') {
        // The HTML version as the recipient sees it, for the page's sandboxed iframe only: no script, no plugin, no
        // form, no request but images; a unique origin (sandbox); framed by this site only; links carry no referrer.
        return reply
          .code(200)
          .type('text/html; charset=utf-8')
          .header(
            'content-security-policy',
            "default-src 'none'; img-src https: data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox",
          )
          .header('x-frame-options', 'SAMEORIGIN')
          .header('referrer-policy', 'no-referrer')
          .header('cache-control', 'no-store')
          .send(body.html);
      }
      return sendHtml(reply, outboxMessagePage(pageContext(request), mail, body));
    },
  );
};
