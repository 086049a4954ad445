import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../domain/shared/errors.js';
import { isLocale } from '../../domain/shared/model.js';
import type { AppDeps } from '../../http/deps.js';
import { clearSessionCookie, cookieNames, setSessionCookie } from '../../http/plugins/context.js';
import { localizedMessage } from '../../http/plugins/errors.js';
import { forgotPage, resetInvalidPage, resetPage, signInPage, signUpPage, verifyCodePage } from '../pages/auth.js';
import { homePage } from '../pages/public.js';
import { pageContext } from '../layout.js';
import { csrf, formState, htmlResponse, redirectResponse, safeNext, sendHtml, text, statusOf } from './helpers.js';
import { resendSignUpCode, startSignUp, verifySignUp } from '../../domain/accounts/sign-up.js';
import { createSession, endSession, signIn } from '../../domain/accounts/sign-in.js';
import { isResetTokenValid, requestPasswordReset, resetPassword } from '../../domain/accounts/reset-password.js';

/** Public pages: home, sign-up, sign-in, password reset. They work without JavaScript. */
export const authRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  const hide = { hide: true };
  const lang = { lang: z.enum(['fr', 'en']).optional() };

  app.get('/', { schema: { ...hide, querystring: z.object(lang), response: htmlResponse } }, async (request, reply) =>
    sendHtml(reply, homePage(pageContext(request))),
  );

  app.get('/signup', { schema: { ...hide, querystring: z.object(lang), response: htmlResponse } }, async (request, reply) =>
    sendHtml(reply, signUpPage(pageContext(request))),
  );

  app.post(
    '/signup',
    {
      schema: {
        ...hide,
        body: z.object({ ...csrf, displayName: text(500), email: text(500), password: text(1024), locale: text(5).optional() }),
        response: redirectResponse,
      },
    },
    async (request, reply) => {
      const { displayName, email, password } = request.body;
      const locale = isLocale(request.body.locale) ? request.body.locale : request.locale;
      try {
        const { flowId } = await startSignUp(deps, { email, displayName, password, locale });
        return reply.redirect(`/signup/verify?flow=${encodeURIComponent(flowId)}`, 303);
      } catch (e) {
        return sendHtml(reply, signUpPage(pageContext(request), formState(request, e, { displayName, email, locale })), statusOf(e));
      }
    },
  );

  app.get(
    '/signup/verify',
    {
      schema: { ...hide, querystring: z.object({ flow: text(64), resent: z.literal('1').optional(), ...lang }), response: htmlResponse },
    },
    async (request, reply) => {
      const m = pageContext(request).m;
      return sendHtml(reply, verifyCodePage(pageContext(request), request.query.flow, { notice: request.query.resent ? m.verify.resent : undefined }));
    },
  );

  app.post(
    '/signup/verify',
    {
      schema: { ...hide, body: z.object({ ...csrf, flow: text(64), code: text(20) }), response: redirectResponse },
    },
    async (request, reply) => {
      try {
        const user = await verifySignUp(deps, { flowId: request.body.flow, code: request.body.code, ip: request.ip });
        const { token } = await createSession(deps, user.id);
        setSessionCookie(reply, deps, token);
        return reply.redirect('/account', 303);
      } catch (e) {
        const status = e instanceof AppError && e.code === 'CODE_THROTTLED' ? 429 : 400;
        return sendHtml(reply, verifyCodePage(pageContext(request), request.body.flow, formState(request, e)), status);
      }
    },
  );

  app.post(
    '/signup/resend',
    {
      schema: { ...hide, body: z.object({ ...csrf, flow: text(64) }), response: redirectResponse },
    },
    async (request, reply) => {
      const { flowId } = await resendSignUpCode(deps, request.body.flow);
      return reply.redirect(`/signup/verify?flow=${encodeURIComponent(flowId)}&resent=1`, 303);
    },
  );

  app.get(
    '/signin',
    {
      schema: { ...hide, querystring: z.object({ next: text(500).optional(), ...lang }), response: htmlResponse },
    },
    async (request, reply) => sendHtml(reply, signInPage(pageContext(request), {}, safeNext(request.query.next, ''))),
  );

  app.post(
    '/signin',
    {
      schema: { ...hide, body: z.object({ ...csrf, email: text(1000), password: text(1024), next: text(500).optional() }), response: redirectResponse },
    },
    async (request, reply) => {
      try {
        const user = await signIn(deps, { email: request.body.email, password: request.body.password, ip: request.ip });
        // Session fixation: a new id at every sign-in, the previous session (if any) ends.
        const old = request.cookies[cookieNames(deps.config.isSecure).session];
        if (old) await endSession(deps, old);
        const { token } = await createSession(deps, user.id);
        setSessionCookie(reply, deps, token);
        request.log.info({ userId: user.id }, 'signed in');
        return reply.redirect(safeNext(request.body.next, '/console'), 303);
      } catch (e) {
        if (!(e instanceof AppError)) throw e;
        request.log.warn({ code: e.code }, 'sign-in refused');
        if (e.code === 'AUTH_THROTTLED') reply.header('retry-after', String(e.params['retryAfter']));
        const status = e.code === 'AUTH_THROTTLED' ? 429 : 401;
        // The address typed is not echoed: answers for known and unknown accounts are byte-identical (A4).
        return sendHtml(reply, signInPage(pageContext(request), { general: [localizedMessage(e, request.locale)] }, safeNext(request.body.next, '')), status);
      }
    },
  );

  app.post('/signout', { schema: { ...hide, body: z.object(csrf), response: redirectResponse } }, async (request, reply) => {
    const token = request.cookies[cookieNames(deps.config.isSecure).session];
    if (token) await endSession(deps, token);
    clearSessionCookie(reply, deps);
    return reply.redirect('/', 303);
  });

  app.get('/password/forgot', { schema: { ...hide, querystring: z.object(lang), response: htmlResponse } }, async (request, reply) =>
    sendHtml(reply, forgotPage(pageContext(request))),
  );

  app.post(
    '/password/forgot',
    {
      schema: { ...hide, body: z.object({ ...csrf, email: text(1000) }), response: htmlResponse },
    },
    async (request, reply) => {
      await requestPasswordReset(deps, { email: request.body.email, ip: request.ip });
      const ctx = pageContext(request);
      return sendHtml(reply, forgotPage(ctx, { notice: ctx.m.forgot.sent }));
    },
  );

  app.get(
    '/password/reset',
    {
      schema: { ...hide, querystring: z.object({ token: text(200).optional(), ...lang }), response: htmlResponse },
    },
    async (request, reply) => {
      reply.header('referrer-policy', 'strict-origin'); // not no-referrer: Chromium would then send `Origin: null` and the form POST fails the CSRF origin check
      const token = request.query.token ?? '';
      if (!(await isResetTokenValid(deps, token))) return sendHtml(reply, resetInvalidPage(pageContext(request)), 410);
      return sendHtml(reply, resetPage(pageContext(request), token));
    },
  );

  app.post(
    '/password/reset',
    {
      schema: { ...hide, body: z.object({ ...csrf, token: text(200), password: text(1024) }), response: htmlResponse },
    },
    async (request, reply) => {
      reply.header('referrer-policy', 'strict-origin'); // not no-referrer: Chromium would then send `Origin: null` and the form POST fails the CSRF origin check
      try {
        await resetPassword(deps, { token: request.body.token, password: request.body.password, ip: request.ip });
        const token = request.cookies[cookieNames(deps.config.isSecure).session];
        if (token) clearSessionCookie(reply, deps);
        const ctx = pageContext(request);
        return sendHtml(reply, signInPage(ctx, { notice: ctx.m.reset.done }));
      } catch (e) {
        if (e instanceof AppError && e.code === 'TOKEN_INVALID') return sendHtml(reply, resetInvalidPage(pageContext(request)), 410);
        return sendHtml(reply, resetPage(pageContext(request), request.body.token, formState(request, e)), statusOf(e));
      }
    },
  );
};
