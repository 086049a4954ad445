/**
 * The holder link, public: `/c/<id>?t=<token>` opens a credential without an account (a signed-in holder needs no
 * token). An unknown id, a missing or wrong token all answer the same 404. The page presents the stored signed document
 * (src/http/presenters/credential.ts), with the status recorded in the database (no RDFC on a page view);
 * `/verification` runs the verifier when the holder asks for it. The token is in the URL: responses are never cached
 * and never leak it as a Referer.
 *
 * Also "Mon porte-document" (`/account/credentials`, signed-in group): the credentials held by the account.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listHeldCredentials, openHolderLink, recordCredentialEvent } from '../../domain/credentials/manage-credentials.js';
import { listPendingForEmail } from '../../domain/issuance/issue-from-results.js';
import type { AppDeps } from '../../http/deps.js';
import { localizeVerification } from '../../i18n/verification.js';
import { pageContext } from '../layout.js';
import { holderPage, holderVerificationPage, walletPage } from '../pages/holder.js';
import { credentialView, sendCredentialFile } from '../../http/presenters/credential.js';
import { htmlResponse, sendHtml, text, userActor } from './helpers.js';

const lang = { lang: z.enum(['fr', 'en']).optional() };

export const holderRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  const hide = { hide: true };
  const params = z.object({ id: text(100) });
  const querystring = z.object({ t: text(200).optional(), ...lang });

  // Set first, so error pages (the 404 of a wrong token) carry them too.
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    reply.header('referrer-policy', 'no-referrer');
  });

  /** `count`: this view is an "opened" in the analytics (the card page on GET; not its download or verification). */
  const open = (request: { params: { id: string }; query: { t?: string }; user?: { id: string } | null }, count = false) =>
    openHolderLink(deps, { id: request.params.id, token: request.query.t || undefined, userId: request.user?.id, count });

  app.get('/c/:id', { schema: { ...hide, params, querystring, response: htmlResponse } }, async (request, reply) => {
    const { award, credential, org } = await open(request, request.method === 'GET');
    // The page presents the stored signed document (never the template, which may have changed since).
    return sendHtml(
      reply,
      holderPage(pageContext(request, { timeZone: org.timeZone }), {
        award,
        org,
        view: credentialView(credential),
        token: request.query.t || undefined,
        now: deps.clock.now(),
        isHolder: !!request.user && request.user.id === award.holderUserId,
      }),
    );
  });

  app.get(
    '/c/:id/credential.json',
    {
      schema: { ...hide, params, querystring, response: { ...htmlResponse, 200: z.string().describe('The signed credential (JSON)') } },
    },
    async (request, reply) => {
      const { award, document } = await open(request);
      return sendCredentialFile(reply, award, document);
    },
  );

  app.get('/c/:id/verification', { schema: { ...hide, params, querystring, response: htmlResponse } }, async (request, reply) => {
    const { award, credential, document, org } = await open(request);
    let input: unknown = document;
    try {
      input = JSON.parse(document);
    } catch {
      // A compact JWT is verified as the string it is.
    }
    const result = localizeVerification(await deps.verifier.verifyCredential(input), request.locale, { timeZone: org.timeZone });
    // A count, never who verified (no per-verifier data).
    if (request.method === 'GET') await recordCredentialEvent(deps, award, 'verified');
    return sendHtml(
      reply,
      holderVerificationPage(pageContext(request, { timeZone: org.timeZone }), {
        award,
        view: credentialView(credential),
        result,
        token: request.query.t || undefined,
      }),
    );
  });
};

/** "Mon porte-document": registered in the signed-in group. */
export const walletRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  app.get('/account/credentials', { schema: { hide: true, querystring: z.object(lang), response: htmlResponse } }, async (request, reply) => {
    const held = await listHeldCredentials(deps, userActor(request));
    // Each credential as signed.
    const items = held.map(({ award, credential }) => ({ award, view: credentialView(credential) }));
    const orgNames = new Map<string, string>();
    // Every organisation's time zone (its days), and its name for a document without an issuer name.
    const orgZones = new Map<string, string>();
    for (const orgId of new Set(items.map((i) => i.award.orgId))) {
      const org = await deps.store.organizations.findById(orgId);
      if (org) orgNames.set(orgId, org.name);
      if (org) orgZones.set(orgId, org.timeZone);
    }
    // Delayed automatic issuances addressed to the account's verified e-mails: "pending, expected around HH:MM".
    const emails = (await deps.store.users.listEmails(userActor(request).userId)).filter((e) => e.verifiedAt).map((e) => e.email);
    const pending = await listPendingForEmail(deps, emails);
    return sendHtml(reply, walletPage(pageContext(request), { items, orgNames, orgZones, pending }));
  });
};
