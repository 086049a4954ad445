/**
 * Z2: function-level access. Every cell of test/authz-matrix.json (route × principal) is exercised with a request
 * that is valid for that principal (org A's real ids, valid bodies, fresh prerequisites such as an invitation to
 * revoke), and the outcome class must match the matrix: 0 mismatches. A refused cell must also write nothing.
 *
 * Each cell runs on a fresh session of the principal (some allowed cells end sessions or change passwords).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.mock('fastify', async (importOriginal) => (await import('./support/route-capture.js')).wrapFastify(await importOriginal<object>()));

import type { TestApp } from '../support/app.js';
import {
  type Client,
  type Matrix,
  PRINCIPALS,
  type Principal,
  type Req,
  TEST_PASSWORD,
  type World,
  dbHash,
  diffDumps,
  dumpDb,
  VC_API_CREDENTIAL,
  fillPath,
  issueOrgACredential,
  outcomeOf,
  seedRouteWorld,
} from './support/harness.js';
import {
  MAPPING_FORM,
  RULES_FORM,
  WEBHOOK_EVENTS,
  bulkUpload,
  editorForm,
  imageUpload,
  issueForm,
  recipientJson,
  resultsJson,
  resultsUpload,
  rowFixForm,
  templateJson,
  webhookUrl,
} from './support/bodies.js';
import { type CapturedRoute, routeKey } from './support/route-capture.js';
import { solidPng } from '../images/fixtures.js';

type Build = (w: World, p: Principal) => Promise<Omit<Req, 'method'>>;

/** The user behind a principal, or L1 for principals without one (their cells are refused before any lookup). */
const ownUser = (w: World, p: Principal) => w.userOf(p) ?? 'l1';

/** GET/HEAD pages and documents: the URL to request. */
const PAGES: Record<string, Build> = {
  '/': async () => ({ url: '/' }),
  '/health': async () => ({ url: '/health' }),
  '/docs': async () => ({ url: '/docs' }),
  '/docs/json': async () => ({ url: '/docs/json' }),
  '/docs/yaml': async () => ({ url: '/docs/yaml' }),
  '/docs/static/index.html': async () => ({ url: '/docs/static/index.html' }),
  '/docs/static/swagger-initializer.js': async () => ({ url: '/docs/static/swagger-initializer.js' }),
  '/docs/static/*': async () => ({ url: '/docs/static/index.css' }),
  '/assets/*': async () => ({ url: '/assets/app.css' }),
  '/signup': async () => ({ url: '/signup' }),
  '/signup/verify': async () => ({ url: `/signup/verify?flow=${crypto.randomUUID()}` }),
  '/signin': async () => ({ url: '/signin' }),
  '/password/forgot': async () => ({ url: '/password/forgot' }),
  '/password/reset': async (w) => ({ url: `/password/reset?token=${await w.newResetToken('resetUser')}` }),
  '/invitations/accept': async (w) => ({ url: `/invitations/accept?token=${(await w.newInvitation(await w.newOrg(), w.uniqueEmail('inv'))).token}` }),
  '/api/v1/organization': async () => ({ url: '/api/v1/organization' }),
  '/api/v1/organization/members': async () => ({ url: '/api/v1/organization/members' }),
  '/account': async () => ({ url: '/account' }),
  '/console': async () => ({ url: '/console' }),
  '/console/:slug': async (w) => ({ url: `/console/${w.orgA.slug}` }),
  '/console/:slug/members': async (w) => ({ url: `/console/${w.orgA.slug}/members` }),
  '/console/:slug/settings': async (w) => ({ url: `/console/${w.orgA.slug}/settings` }),
  '/console/:slug/api-keys': async (w) => ({ url: `/console/${w.orgA.slug}/api-keys` }),
  '/console/:slug/audit': async (w) => ({ url: `/console/${w.orgA.slug}/audit` }),
  '/admin/outbox': async () => ({ url: '/admin/outbox' }),
  '/admin/outbox/:id': async (w) => ({ url: `/admin/outbox/${w.mailId}` }),
  '/orgs/:slug/did.json': async (w) => ({ url: `/orgs/${w.orgA.slug}/did.json` }),
  '/orgs/:slug/profile': async (w) => ({ url: `/orgs/${w.orgA.slug}/profile` }),
  '/orgs/:slug/status/:listId': async (w) => ({ url: (await issueOrgACredential(w)).statusListPath }),
  // Issue 5. The holder link carries its token; the progress stream is read on a completed job (it ends at once).
  '/c/:id': async (w) => ({ url: `/c/${w.res.A.award.credentialId}?t=${w.res.A.award.token}` }),
  '/c/:id/credential.json': async (w) => ({ url: `/c/${w.res.A.award.credentialId}/credential.json?t=${w.res.A.award.token}` }),
  '/c/:id/verification': async (w) => ({ url: `/c/${w.res.A.award.credentialId}/verification?t=${w.res.A.award.token}` }),
  '/console/:slug/bulk/:jobId/events': async (w) => ({ url: `/console/${w.orgA.slug}/bulk/${w.res.A.completedJob.id}/events` }),
  '/console/:slug/bulk/:jobId/results.csv': async (w) => ({ url: `/console/${w.orgA.slug}/bulk/${w.res.A.completedJob.id}/results.csv` }),
};
// Issue 5 pages and API reads with org A's seeded ids (the draft job, the template, the credential held by L1…).
for (const url of [
  '/account/credentials',
  '/api/v1/credentials',
  '/api/v1/credentials/:id',
  '/api/v1/issuance-jobs/:id',
  '/api/v1/issuance-jobs/:id/rows',
  '/api/v1/results/decisions',
  '/api/v1/templates',
  '/api/v1/templates/:id',
  '/api/v1/webhooks',
  '/api/v1/webhooks/:id/deliveries',
  '/console/:slug/analytics',
  '/console/:slug/bulk',
  '/console/:slug/bulk/:jobId',
  '/console/:slug/credentials',
  '/console/:slug/credentials.csv',
  '/console/:slug/credentials/:id',
  '/console/:slug/credentials/:id/credential.json',
  '/console/:slug/images',
  '/console/:slug/results',
  '/console/:slug/templates',
  '/console/:slug/templates/:id',
  '/console/:slug/templates/:id/issue',
  '/console/:slug/templates/:id/rules',
  '/console/:slug/templates/new',
  '/console/:slug/webhooks',
  '/orgs/:slug/images/:id',
])
  PAGES[url] = async (w) => ({ url: fillPath(url, w.paramsFor(url)) });

/** State-changing routes: a request that succeeds when the principal is allowed. */
const WRITES: Record<string, Build> = {
  'POST /signup': async (w) => ({
    url: '/signup',
    form: { displayName: 'New Person', email: w.uniqueEmail('signup'), password: 'un mot de passe solide', locale: 'fr' },
  }),
  'POST /signup/verify': async (w) => {
    const { flow, code } = await w.newSignupFlow(w.uniqueEmail('verify'));
    return { url: '/signup/verify', form: { flow, code } };
  },
  'POST /signup/resend': async () => ({ url: '/signup/resend', form: { flow: crypto.randomUUID() } }),
  'POST /signin': async (w) => ({ url: '/signin', form: { email: w.address.signInUser, password: TEST_PASSWORD } }),
  'POST /signout': async () => ({ url: '/signout', form: {} }),
  'POST /password/forgot': async (w) => ({ url: '/password/forgot', form: { email: w.uniqueEmail('forgot') } }),
  'POST /password/reset': async (w) => ({ url: '/password/reset', form: { token: await w.newResetToken('resetUser'), password: TEST_PASSWORD } }),
  'POST /invitations/accept': async (w, p): Promise<Omit<Req, 'method'>> => {
    const user = w.userOf(p);
    const org = await w.newOrg();
    if (!user) {
      const { token } = await w.newInvitation(org, w.uniqueEmail('newcomer'));
      return { url: '/invitations/accept', form: { token, displayName: 'Newcomer', password: 'un mot de passe solide' } };
    }
    const { token } = await w.newInvitation(org, w.address[user]);
    return { url: '/invitations/accept', form: { token } };
  },
  'POST /account/profile': async (w, p) => ({ url: '/account/profile', form: { displayName: `User ${ownUser(w, p)}`, locale: 'fr' } }),
  'POST /account/emails': async (w) => ({ url: '/account/emails', form: { email: w.uniqueEmail('add'), password: TEST_PASSWORD } }),
  'POST /account/emails/verify': async (w, p) => {
    const { flow, code } = await w.newAddEmailFlow(ownUser(w, p), w.uniqueEmail('added'));
    return { url: '/account/emails/verify', form: { flow, code } };
  },
  'POST /account/emails/:emailId/primary': async (w, p) => ({ url: `/account/emails/${await w.primaryEmailId(ownUser(w, p))}/primary`, form: {} }),
  'POST /account/emails/:emailId/remove': async (w, p) => ({ url: `/account/emails/${await w.newSecondEmail(ownUser(w, p))}/remove`, form: {} }),
  'POST /account/password': async () => ({ url: '/account/password', form: { currentPassword: TEST_PASSWORD, newPassword: TEST_PASSWORD } }),
  'POST /console/:slug/invitations': async (w) => ({
    url: `/console/${w.orgA.slug}/invitations`,
    form: { email: w.uniqueEmail('invite'), role: 'staff', locale: 'fr' },
  }),
  'POST /console/:slug/invitations/:id/revoke': async (w) => {
    const { id } = await w.newInvitation(w.orgA, w.uniqueEmail('revoke'));
    return { url: fillPath('/console/:slug/invitations/:id/revoke', { slug: w.orgA.slug, id }), form: {} };
  },
  'POST /console/:slug/members/:userId/role': async (w) => {
    await w.ensureMember(w.orgA, 'targetA', 'staff');
    return { url: `/console/${w.orgA.slug}/members/${w.users.targetA.id}/role`, form: { role: 'reviewer' } };
  },
  'POST /console/:slug/members/:userId/remove': async (w) => {
    await w.ensureMember(w.orgA, 'targetA', 'staff');
    return { url: `/console/${w.orgA.slug}/members/${w.users.targetA.id}/remove`, form: {} };
  },
  'POST /console/:slug/settings': async (w) => ({
    url: `/console/${w.orgA.slug}/settings`,
    form: { name: 'Org A', logoUrl: 'https://example.org/logo.png', languages: ['fr', 'en'] },
  }),
  'POST /console/:slug/api-keys': async (w) => ({ url: `/console/${w.orgA.slug}/api-keys`, form: { label: 'Z2 key' } }),
  'POST /console/:slug/api-keys/:id/revoke': async (w) => {
    const { id } = await w.newApiKey(w.orgA);
    return { url: fillPath('/console/:slug/api-keys/:id/revoke', { slug: w.orgA.slug, id }), form: {} };
  },
  'POST /api/v1/organization/invitations': async (w) => ({ url: '/api/v1/organization/invitations', json: { email: w.uniqueEmail('api'), role: 'staff' } }),
  'POST /credentials/issue': async () => ({ url: '/credentials/issue', json: { credential: VC_API_CREDENTIAL, options: {} } }),
  // Public verification: everyone gets 200 for a credential issued by org A (own DID and status list, no network).
  'POST /credentials/verify': async (w) => ({ url: '/credentials/verify', json: { verifiableCredential: (await issueOrgACredential(w)).document } }),
  'POST /presentations/verify': async (w) => ({
    url: '/presentations/verify',
    json: {
      verifiablePresentation: {
        '@context': ['https://www.w3.org/ns/credentials/v2'],
        type: ['VerifiablePresentation'],
        verifiableCredential: [(await issueOrgACredential(w)).document],
      },
    },
  }),
  'POST /credentials/status': async (w) => ({
    url: '/credentials/status',
    json: { credentialId: (await issueOrgACredential(w)).id, credentialStatus: [{ type: 'BitstringStatusListEntry', status: 'suspended' }] },
  }),
  // ---- Issue 5: throwaway resources wherever a success would use them up (archive, revoke, resend, delete…). ----
  'POST /console/:slug/templates': async (w) => ({ url: `/console/${w.orgA.slug}/templates`, form: editorForm() }),
  'POST /console/:slug/templates/preview': async (w) => ({ url: `/console/${w.orgA.slug}/templates/preview`, form: editorForm() }),
  'POST /console/:slug/templates/:id': async (w) => ({ url: `/console/${w.orgA.slug}/templates/${(await w.newTemplate('A')).id}`, form: editorForm() }),
  'POST /console/:slug/templates/:id/archive': async (w) => ({ url: `/console/${w.orgA.slug}/templates/${(await w.newTemplate('A')).id}/archive`, form: {} }),
  'POST /console/:slug/templates/:id/restore': async (w) => ({
    url: `/console/${w.orgA.slug}/templates/${(await w.newTemplate('A', { archived: true })).id}/restore`,
    form: {},
  }),
  'POST /console/:slug/templates/:id/issue': async (w) => ({
    url: `/console/${w.orgA.slug}/templates/${w.res.A.template.id}/issue`,
    form: issueForm(w.uniqueEmail('z2-issue')),
  }),
  'POST /console/:slug/templates/:id/rules': async (w) => ({ url: `/console/${w.orgA.slug}/templates/${w.res.A.template.id}/rules`, form: RULES_FORM }),
  'POST /console/:slug/credentials/:id/resend': async (w) => ({ url: `/console/${w.orgA.slug}/credentials/${(await w.newAward('A')).id}/resend`, form: {} }),
  'POST /console/:slug/credentials/:id/status': async (w) => ({
    url: `/console/${w.orgA.slug}/credentials/${(await w.newAward('A')).id}/status`,
    form: { status: 'suspended', reason: 'Z2' },
  }),
  'POST /console/:slug/bulk': async (w) => ({ url: `/console/${w.orgA.slug}/bulk`, multipart: bulkUpload(w.res.A.template.id) }),
  'POST /console/:slug/bulk/:jobId/mapping': async (w) => ({
    url: `/console/${w.orgA.slug}/bulk/${(await w.newDraftJob('A', { invalid: true })).id}/mapping`,
    form: MAPPING_FORM,
  }),
  'POST /console/:slug/bulk/:jobId/rows/:rowNo': async (w) => {
    const job = await w.newDraftJob('A', { invalid: true });
    return { url: `/console/${w.orgA.slug}/bulk/${job.id}/rows/${job.invalidRowNo}`, form: rowFixForm(w.uniqueEmail('z2-fix')) };
  },
  'POST /console/:slug/bulk/:jobId/rows/:rowNo/exclude': async (w) => {
    const job = await w.newDraftJob('A', { invalid: true });
    return { url: `/console/${w.orgA.slug}/bulk/${job.id}/rows/${job.invalidRowNo}/exclude`, form: {} };
  },
  'POST /console/:slug/bulk/:jobId/rows/:rowNo/include': async (w) => {
    const job = await w.newDraftJob('A', { invalid: true });
    return { url: `/console/${w.orgA.slug}/bulk/${job.id}/rows/${job.validRowNo}/include`, form: {} };
  },
  'POST /console/:slug/bulk/:jobId/exclude-invalid': async (w) => ({
    url: `/console/${w.orgA.slug}/bulk/${(await w.newDraftJob('A', { invalid: true })).id}/exclude-invalid`,
    form: {},
  }),
  'POST /console/:slug/bulk/:jobId/publish': async (w) => ({ url: `/console/${w.orgA.slug}/bulk/${(await w.newDraftJob('A')).id}/publish`, form: {} }),
  'POST /console/:slug/images': async (w) => ({ url: `/console/${w.orgA.slug}/images`, multipart: imageUpload() }),
  'POST /console/:slug/results': async (w) => ({
    url: `/console/${w.orgA.slug}/results`,
    multipart: resultsUpload(w.uniqueEmail('z2-results'), w.t.clock.now()),
  }),
  'POST /console/:slug/webhooks': async (w) => {
    await w.pruneWebhooks('A');
    return { url: `/console/${w.orgA.slug}/webhooks`, form: { url: webhookUrl(), events: WEBHOOK_EVENTS } };
  },
  'POST /console/:slug/webhooks/:id/rotate': async (w) => ({ url: `/console/${w.orgA.slug}/webhooks/${w.res.A.webhookId}/rotate`, form: {} }),
  'POST /console/:slug/webhooks/:id/delete': async (w) => ({ url: `/console/${w.orgA.slug}/webhooks/${await w.newWebhook('A')}/delete`, form: {} }),
  'POST /console/:slug/webhook-deliveries/:id/redeliver': async (w) => ({
    url: `/console/${w.orgA.slug}/webhook-deliveries/${await w.newDeadDelivery('A')}/redeliver`,
    form: {},
  }),
  'POST /api/v1/templates': async () => ({ url: '/api/v1/templates', json: templateJson() }),
  'PUT /api/v1/templates/:id': async (w) => ({ url: `/api/v1/templates/${(await w.newTemplate('A')).id}`, json: templateJson() }),
  'POST /api/v1/templates/:id/archive': async (w) => ({ url: `/api/v1/templates/${(await w.newTemplate('A')).id}/archive`, json: {} }),
  'POST /api/v1/templates/:id/restore': async (w) => ({ url: `/api/v1/templates/${(await w.newTemplate('A', { archived: true })).id}/restore`, json: {} }),
  'POST /api/v1/credentials': async (w) => ({
    url: '/api/v1/credentials',
    json: { templateId: w.res.A.template.id, recipients: [recipientJson(w.uniqueEmail('z2-api'))] },
  }),
  'POST /api/v1/credentials/:id/revoke': async (w) => ({ url: `/api/v1/credentials/${(await w.newAward('A')).id}/revoke`, json: { reason: 'Z2' } }),
  'POST /api/v1/credentials/:id/suspend': async (w) => ({ url: `/api/v1/credentials/${(await w.newAward('A')).id}/suspend`, json: { reason: 'Z2' } }),
  'POST /api/v1/credentials/:id/reactivate': async (w) => ({
    url: `/api/v1/credentials/${(await w.newAward('A', { status: 'suspended' })).id}/reactivate`,
    json: {},
  }),
  'POST /api/v1/credentials/:id/resend': async (w) => ({ url: `/api/v1/credentials/${(await w.newAward('A')).id}/resend`, json: {} }),
  'POST /api/v1/issuance-jobs': async (w) => ({
    url: '/api/v1/issuance-jobs',
    json: { templateId: w.res.A.template.id, recipients: [recipientJson(w.uniqueEmail('z2-job'))] },
  }),
  'POST /api/v1/results': async (w) => ({ url: '/api/v1/results', json: resultsJson(w.uniqueEmail('z2-res'), w.t.clock.now()) }),
  'POST /api/v1/images': async () => ({ url: '/api/v1/images', payload: solidPng(8, 8, `#${crypto.randomUUID().slice(0, 6)}`), contentType: 'image/png' }),
  'POST /api/v1/webhooks': async (w) => {
    await w.pruneWebhooks('A');
    return { url: '/api/v1/webhooks', json: { url: webhookUrl(), events: WEBHOOK_EVENTS } };
  },
  'DELETE /api/v1/webhooks/:id': async (w) => ({ url: `/api/v1/webhooks/${await w.newWebhook('A')}` }),
};

function builderFor(route: CapturedRoute): Build | undefined {
  if (route.method === 'GET' || route.method === 'HEAD') return PAGES[route.url];
  return WRITES[routeKey(route)];
}

describe('Z2 function-level access: the role × route matrix', () => {
  let t: TestApp, w: World, routes: CapturedRoute[], matrix: Matrix;

  beforeAll(async () => {
    ({ t, w, routes, matrix } = await seedRouteWorld());
    routes.sort((a, b) => routeKey(a).localeCompare(routeKey(b)));
  });
  afterAll(async () => {
    await t?.close();
  });

  it('every route has a Z2 request builder', () => {
    expect(routes.filter((r) => !builderFor(r)).map(routeKey)).toEqual([]);
  });

  it('every cell matches the matrix (0 mismatches), and refused cells write nothing', async () => {
    const mismatches: string[] = [];
    let cells = 0;
    for (const route of routes) {
      const key = routeKey(route);
      const entry = matrix.routes[key];
      if (!entry) {
        mismatches.push(`${key}: no matrix entry`);
        continue;
      }
      const build = builderFor(route)!;
      for (const p of PRINCIPALS) {
        const expected = entry.expect[p];
        const client: Client = await w.principal(p);
        const req = { method: route.method, ...(await build(w, p)) };
        if (req.form !== undefined || req.json !== undefined || req.multipart !== undefined) await client.csrf();
        const before = expected === 'allow' ? undefined : dumpDb(t);
        const beforeHash = expected === 'allow' ? undefined : dbHash(t);
        const res = await client.send(req);
        const got = outcomeOf(res);
        cells += 1;
        if (got !== expected) mismatches.push(`${key} as ${p}: expected ${expected}, got ${got} (${req.url})`);
        if (before && dbHash(t) !== beforeHash) mismatches.push(`${key} as ${p}: refused (${got}) but wrote: ${diffDumps(before, dumpDb(t)).join('; ')}`);
      }
    }
    expect(cells).toBe(Object.keys(matrix.routes).length * PRINCIPALS.length);
    expect(mismatches).toEqual([]);
  });
});
