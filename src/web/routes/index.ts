import type { FastifyInstance } from 'fastify';
import { AppError } from '../../domain/errors.js';
import type { AppDeps } from '../../http/deps.js';
import { accountRoutes } from './account.routes.js';
import { adminRoutes } from './admin.routes.js';
import { authRoutes } from './auth.routes.js';
import { consoleRoutes } from './console.routes.js';
import { invitationRoutes } from './invitations.routes.js';
import { pageContext } from '../layout.js';
import { signInPage } from '../pages/auth.js';
import { safeNext, sendHtml } from './helpers.js';

/** Web pages in encapsulated groups: public, signed-in (redirect to sign-in), platform admin. */
export async function registerWebRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  await app.register(async (pub) => {
    await pub.register(authRoutes, { deps });
    await pub.register(invitationRoutes, { deps });
  });

  await app.register(async (signedIn) => {
    // Not signed in (or the session ended): 401 with the sign-in form, which brings the visitor back here.
    signedIn.addHook('preHandler', async (request, reply) => {
      if (request.user) return;
      if (request.method !== 'GET') throw new AppError('AUTH_REQUIRED');
      const ctx = pageContext(request);
      return sendHtml(reply, signInPage(ctx, { general: [ctx.m.errors.AUTH_REQUIRED] }, safeNext(request.url, '')), 401);
    });
    await signedIn.register(accountRoutes, { deps });
    await signedIn.register(consoleRoutes, { deps });
    await signedIn.register(adminRoutes, { deps });
  });
}
