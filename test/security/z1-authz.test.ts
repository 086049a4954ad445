/**
 * Z1: the route table is complete in test/authz-matrix.json, and an IDOR sweep over every route with an id.
 *
 * The route table comes from Fastify's `onRoute` hook (see support/route-capture.ts). For every route with a
 * resource id in its path, every *foreign* principal (org B's admin/staff/reviewer, learners and the platform
 * admin on org A's slug and ids; org B's admin on its own slug with org A's ids and the reverse; learner L2
 * and everyone else with L1's e-mail ids; non platform admins with a real outbox id) must get a 404 that is
 * identical (status, content-type, body) to the answer for a random nonexistent id of the same shape, and
 * the database must be byte-for-byte unchanged afterwards.
 *
 * API routes with ids: org B's API key with org A's ids and the reverse. Ids are looked up by their kind (the matrix's
 * `ids` vocabulary, see ID_KINDS in support/harness.ts), so every route that names a kind is swept.
 *
 * Public routes (everyone is allowed with the right link) get their own checks: the holder page `/c/:id` and its
 * download and verification with a missing, wrong or someone else's token, signed in as someone else or not; an image
 * of org A under org B's slug. Ids carried in bodies (a template of another organisation) are checked too.
 *
 * Anonymous callers are not in the sweep: they never reach an id lookup (401, see Z2).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.mock('fastify', async (importOriginal) => (await import('./support/route-capture.js')).wrapFastify(await importOriginal<object>()));

import type { TestApp } from '../support/app.js';
import {
  type Client,
  type Matrix,
  OUTCOMES,
  PRINCIPALS,
  type Req,
  type UserKey,
  type World,
  dbHash,
  diffDumps,
  dumpDb,
  fillPath,
  isApiPath,
  maskPath,
  pathParams,
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
  resultsUpload,
  rowFixForm,
  templateJson,
} from './support/bodies.js';
import { type CapturedRoute, routeKey } from './support/route-capture.js';

type Body = Omit<Req, 'method' | 'url'>;

/**
 * A valid body per state-changing route, so the request reaches the authorization check (and would succeed if the
 * caller were allowed: any body id is org A's). Routes without an entry send no body (DELETE).
 */
const BODIES: Record<string, (w: World) => Body> = {
  'POST /console/:slug/invitations': () => ({ form: { email: 'intruder@example.org', role: 'admin', locale: 'fr' } }),
  'POST /console/:slug/invitations/:id/revoke': () => ({ form: {} }),
  'POST /console/:slug/members/:userId/role': () => ({ form: { role: 'admin' } }),
  'POST /console/:slug/members/:userId/remove': () => ({ form: {} }),
  'POST /console/:slug/settings': () => ({ form: { name: 'Taken over', logoUrl: 'https://evil.example/logo.png', languages: 'en' } }),
  'POST /console/:slug/api-keys': () => ({ form: { label: 'intruder' } }),
  'POST /console/:slug/api-keys/:id/revoke': () => ({ form: {} }),
  'POST /account/emails/:emailId/primary': () => ({ form: {} }),
  'POST /account/emails/:emailId/remove': () => ({ form: {} }),
  // Issue 5: console.
  'POST /console/:slug/templates': () => ({ form: editorForm('Intrus') }),
  'POST /console/:slug/templates/preview': (w) => ({ form: { ...editorForm('Intrus'), templateId: w.res.A.template.id } }),
  'POST /console/:slug/templates/:id': () => ({ form: editorForm('Intrus') }),
  'POST /console/:slug/templates/:id/archive': () => ({ form: {} }),
  'POST /console/:slug/templates/:id/restore': () => ({ form: {} }),
  'POST /console/:slug/templates/:id/issue': () => ({ form: issueForm('intruder@example.org') }),
  'POST /console/:slug/templates/:id/rules': () => ({ form: { ...RULES_FORM, activities: 'intrus' } }),
  'POST /console/:slug/credentials/:id/resend': () => ({ form: {} }),
  'POST /console/:slug/credentials/:id/status': () => ({ form: { status: 'revoked', confirm: 'on', reason: 'intrus' } }),
  'POST /console/:slug/bulk': (w) => ({ multipart: bulkUpload(w.res.A.template.id) }),
  'POST /console/:slug/bulk/:jobId/mapping': () => ({ form: MAPPING_FORM }),
  'POST /console/:slug/bulk/:jobId/rows/:rowNo': () => ({ form: rowFixForm('intruder@example.org') }),
  'POST /console/:slug/bulk/:jobId/rows/:rowNo/exclude': () => ({ form: {} }),
  'POST /console/:slug/bulk/:jobId/rows/:rowNo/include': () => ({ form: {} }),
  'POST /console/:slug/bulk/:jobId/exclude-invalid': () => ({ form: {} }),
  'POST /console/:slug/bulk/:jobId/publish': () => ({ form: {} }),
  'POST /console/:slug/images': () => ({ multipart: imageUpload() }),
  'POST /console/:slug/results': (w) => ({ multipart: resultsUpload('intruder@example.org', w.t.clock.now()) }),
  'POST /console/:slug/webhooks': () => ({ form: { url: 'https://evil.example/hook', events: WEBHOOK_EVENTS } }),
  'POST /console/:slug/webhooks/:id/rotate': () => ({ form: {} }),
  'POST /console/:slug/webhooks/:id/delete': () => ({ form: {} }),
  'POST /console/:slug/webhook-deliveries/:id/redeliver': () => ({ form: {} }),
  // Issue 5: API (the key's organisation is the only one).
  'PUT /api/v1/templates/:id': () => ({ json: templateJson('Intrus') }),
  'POST /api/v1/templates/:id/archive': () => ({ json: {} }),
  'POST /api/v1/templates/:id/restore': () => ({ json: {} }),
  'POST /api/v1/credentials/:id/revoke': () => ({ json: { reason: 'intrus' } }),
  'POST /api/v1/credentials/:id/suspend': () => ({ json: { reason: 'intrus' } }),
  'POST /api/v1/credentials/:id/reactivate': () => ({ json: {} }),
  'POST /api/v1/credentials/:id/resend': () => ({ json: {} }),
};

type Who = UserKey | 'apiKeyA' | 'apiKeyB';

interface SweepCase {
  route: CapturedRoute;
  who: Who;
  /** What the foreign principal uses (real ids of someone else). */
  foreign: Record<string, string>;
  /** The same request with the foreign ids replaced by random ones of the same shape. */
  reference: Record<string, string>;
  note: string;
}

describe('Z1 authorization: route table and IDOR sweep', () => {
  let t: TestApp, w: World, routes: CapturedRoute[], matrix: Matrix;

  beforeAll(async () => {
    ({ t, w, routes, matrix } = await seedRouteWorld());
  });
  afterAll(async () => {
    await t?.close();
  });

  it("every route in Fastify's route table has a matrix entry, and every entry is a route", () => {
    const live = new Set(routes.map(routeKey));
    const listed = new Set(Object.keys(matrix.routes));
    const missing = [...live].filter((k) => !listed.has(k)).sort();
    const stale = [...listed].filter((k) => !live.has(k)).sort();
    expect({ missing, stale }, 'routes without a matrix entry / matrix entries without a route').toEqual({ missing: [], stale: [] });
    expect(live.size).toBeGreaterThan(50);
    // HEAD routes are registered by Fastify for every GET (exposeHeadRoutes): they are in the table too.
    expect(live.has('HEAD /console/:slug/members')).toBe(true);
  });

  it('every matrix entry is well-formed: all principals, known outcomes, ids naming the path parameters', () => {
    const problems: string[] = [];
    for (const [key, entry] of Object.entries(matrix.routes)) {
      const url = key.slice(key.indexOf(' ') + 1);
      for (const p of PRINCIPALS) {
        if (!(OUTCOMES as readonly string[]).includes(entry.expect?.[p])) problems.push(`${key}: ${p} → ${String(entry.expect?.[p])}`);
      }
      const extra = Object.keys(entry.expect ?? {}).filter((p) => !(PRINCIPALS as readonly string[]).includes(p));
      if (extra.length) problems.push(`${key}: unknown principals ${extra.join(',')}`);
      const params = pathParams(url).sort();
      if (JSON.stringify(Object.keys(entry.ids ?? {}).sort()) !== JSON.stringify(params))
        problems.push(`${key}: ids ${JSON.stringify(entry.ids)} vs params ${params.join(',')}`);
    }
    expect(problems).toEqual([]);
  });

  it('the seeded ids are live (positive controls: the sweep below is not vacuous)', async () => {
    const admin = await w.signIn('adminA');
    const members = await admin.send({ method: 'GET', url: `/console/${w.orgA.slug}/members` });
    expect(members.statusCode).toBe(200);
    expect(members.body).toContain(`/invitations/${w.invitationA}/revoke`);
    expect(members.body).toContain(`/members/${w.users.staffA.id}/remove`);
    const keys = await admin.send({ method: 'GET', url: `/console/${w.orgA.slug}/api-keys` });
    expect(keys.body).toContain(`/api-keys/${w.apiKeyA.id}/revoke`);
    const l1 = await w.signIn('l1');
    const account = await l1.send({ method: 'GET', url: '/account' });
    expect(account.body).toContain(`/account/emails/${w.emails.l1Second}/remove`);
    const pa = await w.signIn('pa');
    expect((await pa.send({ method: 'GET', url: `/admin/outbox/${w.mailId}` })).statusCode).toBe(200);
  });

  it('the seeded ids of issue 5 are live (positive controls)', async () => {
    const admin = await w.signIn('adminA');
    const base = `/console/${w.orgA.slug}`;
    const r = w.res.A;
    const get = async (client: Client, url: string) => {
      const res = await client.send({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      return res.body;
    };
    expect(await get(admin, `${base}/templates`)).toContain(r.template.id);
    expect(await get(admin, `${base}/bulk/${r.draftJob.id}`)).toContain(`/bulk/${r.draftJob.id}/rows/${r.draftJob.invalidRowNo}`);
    expect(await get(admin, `${base}/bulk`)).toContain(r.completedJob.id);
    expect(await get(admin, `${base}/credentials`)).toContain(r.award.id);
    const hooks = await get(admin, `${base}/webhooks`);
    expect(hooks).toContain(`/webhooks/${r.webhookId}/`);
    expect(hooks).toContain(`/webhook-deliveries/${r.deadDeliveryId}/redeliver`);
    expect(await get(admin, `${base}/images`)).toContain(r.imageId);
    const api = w.apiClient(w.apiKeyA.key);
    for (const url of [
      `/api/v1/templates/${r.template.id}`,
      `/api/v1/credentials/${r.award.id}`,
      `/api/v1/issuance-jobs/${r.draftJob.id}`,
      `/api/v1/webhooks/${r.webhookId}/deliveries`,
    ]) {
      await get(api, url);
    }
    expect((await api.send({ method: 'GET', url: '/api/v1/results/decisions' })).json()).toMatchObject({
      data: [{ decision: expect.any(String) }, { decision: expect.any(String) }],
    });
    await get(w.anonymous(), `/orgs/${w.orgA.slug}/images/${r.imageId}`);
    await get(w.anonymous(), `/c/${r.award.credentialId}?t=${r.award.token}`);
    // The holder (L1's verified address) needs no token.
    await get(await w.signIn('l1'), `/c/${r.award.credentialId}`);
  });

  function sweepCases(): SweepCase[] {
    const cases: SweepCase[] = [];
    for (const route of routes) {
      const key = routeKey(route);
      const idKinds = matrix.routes[key]?.ids ?? {};
      const ids = Object.keys(idKinds);
      if (!ids.length) continue;
      // Public documents and links (DID documents, status lists, images, the holder page): checked separately below.
      if (Object.values(matrix.routes[key]!.expect).every((o) => o === 'allow')) continue;
      const real = (o: 'A' | 'B', names: string[]) => Object.fromEntries(names.map((i) => [i, w.idOf(idKinds[i]!, o)]));
      const random = (names: string[]) => Object.fromEntries(names.map((i) => [i, w.randomIdOf(idKinds[i]!)]));
      if (ids.includes('slug')) {
        const inner = ids.filter((i) => i !== 'slug');
        // Outsiders of org A, with org A's slug and ids.
        for (const who of ['adminB', 'staffB', 'reviewerB', 'l1', 'l2', 'pa'] as const) {
          cases.push({ route, who, note: 'outsider, org A slug and ids', foreign: real('A', ids), reference: random(ids) });
        }
        if (inner.length) {
          // Cross-object: an admin of their own organisation, naming the other organisation's object.
          cases.push({
            route,
            who: 'adminB',
            note: 'org B admin, own slug, org A object',
            foreign: { slug: w.orgB.slug, ...real('A', inner) },
            reference: { slug: w.orgB.slug, ...random(inner) },
          });
          cases.push({
            route,
            who: 'adminA',
            note: 'org A admin, own slug, org B object',
            foreign: { slug: w.orgA.slug, ...real('B', inner) },
            reference: { slug: w.orgA.slug, ...random(inner) },
          });
        }
      } else if (ids.includes('emailId')) {
        for (const emailId of [w.emails.l1Primary, w.emails.l1Second]) {
          for (const who of ['l2', 'adminA', 'adminB', 'staffA', 'pa'] as const) {
            cases.push({ route, who, note: "someone else's e-mail id (L1)", foreign: { emailId }, reference: { emailId: w.randomId() } });
          }
        }
        for (const emailId of [w.emails.l2Primary, w.emails.l2Second]) {
          cases.push({ route, who: 'l1', note: "someone else's e-mail id (L2)", foreign: { emailId }, reference: { emailId: w.randomId() } });
        }
      } else if (key.includes('/admin/outbox/:id')) {
        for (const who of ['l1', 'adminA', 'staffA', 'reviewerA', 'adminB'] as const) {
          cases.push({ route, who, note: 'not a platform admin, real outbox id', foreign: { id: w.mailId }, reference: { id: w.randomId() } });
        }
      } else if (isApiPath(route.url)) {
        // An API key only ever sees its own organisation: org B's key with org A's ids, and the reverse.
        cases.push({ route, who: 'apiKeyB', note: 'org B API key, org A object', foreign: real('A', ids), reference: random(ids) });
        cases.push({ route, who: 'apiKeyA', note: 'org A API key, org B object', foreign: real('B', ids), reference: random(ids) });
      } else {
        throw new Error(`Z1 does not know how to sweep ${key} (ids ${ids.join(',')})`);
      }
    }
    return cases;
  }

  it('foreign principals get a 404 identical to a nonexistent id, and nothing is written', async () => {
    const cases = sweepCases();
    expect(cases.length).toBeGreaterThan(100);
    const clients = new Map<Who, Client>();
    const clientFor = async (who: Who) => {
      if (!clients.has(who)) {
        clients.set(who, who === 'apiKeyA' ? w.apiClient(w.apiKeyA.key) : who === 'apiKeyB' ? w.apiClient(w.apiKeyB.key) : await w.signIn(who));
      }
      return clients.get(who)!;
    };
    for (const who of new Set(cases.map((c) => c.who))) if (!who.startsWith('apiKey')) await (await clientFor(who)).csrf();

    const failures: string[] = [];
    const before = dumpDb(t);
    const beforeHash = dbHash(t);
    for (const c of cases) {
      const key = routeKey(c.route);
      const client = await clientFor(c.who);
      const body = BODIES[key];
      if (['POST', 'PUT', 'PATCH'].includes(c.route.method) && !body) throw new Error(`no Z1 body for ${key}`);
      const build = (params: Record<string, string>): Req => ({ method: c.route.method, url: fillPath(c.route.url, params), ...body?.(w) });
      const foreignReq = build(c.foreign);
      const referenceReq = build(c.reference);
      const a = await client.send(foreignReq);
      const b = await client.send(referenceReq);
      const label = `${key} as ${c.who} (${c.note}) ${foreignReq.url} vs ${referenceReq.url}`;
      if (a.statusCode !== 404) failures.push(`${label}: status ${a.statusCode}, expected 404`);
      if (a.statusCode !== b.statusCode) failures.push(`${label}: status ${a.statusCode} ≠ ${b.statusCode}`);
      if (a.headers['content-type'] !== b.headers['content-type'])
        failures.push(`${label}: content-type ${String(a.headers['content-type'])} ≠ ${String(b.headers['content-type'])}`);
      if (a.body !== b.body)
        failures.push(
          `${label}: bodies differ${maskPath(a.body, foreignReq.url) === maskPath(b.body, referenceReq.url) ? ' (only by the echoed request path)' : ''}`,
        );
      if (dbHash(t) !== beforeHash) {
        failures.push(`${label}: the database changed: ${diffDumps(before, dumpDb(t)).join('; ')}`);
        break;
      }
    }
    expect(failures).toEqual([]);
  });

  it("holder links: a missing, wrong or someone else's token, signed in as someone else or not, answers the 404 of an unknown credential, and writes nothing", async () => {
    const a = w.res.A.award;
    const tokens: Record<string, string | undefined> = {
      none: undefined,
      wrong: 'x'.repeat(43),
      "org B credential's token": w.res.B.award.token,
      truncated: a.token.slice(0, -1),
      altered: `${a.token.slice(0, -1)}${a.token.endsWith('A') ? 'B' : 'A'}`,
      'hash of the token': w.t.container.deps.secrets.hashToken(a.token),
    };
    const failures: string[] = [];
    const whos = ['anonymous', 'l2', 'adminA', 'adminB', 'pa'] as const;
    const clients = await Promise.all(whos.map((who) => (who === 'anonymous' ? w.anonymous() : w.signIn(who))));
    const before = dumpDb(t);
    const beforeHash = dbHash(t);
    for (const [i, who] of whos.entries()) {
      const client = clients[i]!;
      for (const suffix of ['', '/credential.json', '/verification']) {
        for (const [name, token] of Object.entries(tokens)) {
          for (const method of ['GET', 'HEAD']) {
            const q = token === undefined ? '' : `?t=${encodeURIComponent(token)}`;
            const foreign = `/c/${a.credentialId}${suffix}${q}`;
            const reference = `/c/${crypto.randomUUID()}${suffix}${q}`;
            const x = await client.send({ method, url: foreign });
            const y = await client.send({ method, url: reference });
            const label = `${method} /c/:id${suffix} as ${who}, ${name} token`;
            if (x.statusCode !== 404) failures.push(`${label}: status ${x.statusCode}, expected 404`);
            if (x.headers['content-type'] !== y.headers['content-type']) failures.push(`${label}: content-type differs`);
            if (maskPath(x.body, foreign) !== maskPath(y.body, reference)) failures.push(`${label}: bodies differ`);
            if (x.headers['cache-control'] !== 'no-store' || x.headers['referrer-policy'] !== 'no-referrer')
              failures.push(`${label}: cacheable or leaks a Referer`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(diffDumps(before, dumpDb(t))).toEqual([]);
    expect(dbHash(t)).toBe(beforeHash);
  });

  it("public images: an image of org A under org B's slug answers the 404 of an unknown image", async () => {
    const before = dbHash(t);
    for (const [slug, id] of [
      [w.orgB.slug, w.res.A.imageId],
      [w.orgA.slug, w.res.B.imageId],
    ] as const) {
      for (const method of ['GET', 'HEAD']) {
        const x = await w.anonymous().send({ method, url: `/orgs/${slug}/images/${id}` });
        const y = await w.anonymous().send({ method, url: `/orgs/${slug}/images/${crypto.randomUUID()}` });
        expect([x.statusCode, x.headers['content-type'], x.body]).toEqual([404, y.headers['content-type'], y.body]);
      }
    }
    expect(dbHash(t)).toBe(before);
  });

  it("ids in bodies: another organisation's template answers like an unknown one, and nothing is written", async () => {
    const adminB = await w.signIn('adminB');
    const keyB = w.apiClient(w.apiKeyB.key);
    const foreignTemplate = w.res.A.template.id;
    const cases: { label: string; client: Client; build: (templateId: string) => Req }[] = [
      {
        label: 'bulk upload',
        client: adminB,
        build: (templateId) => ({ method: 'POST', url: `/console/${w.orgB.slug}/bulk`, multipart: bulkUpload(templateId) }),
      },
      {
        label: 'preview of a saved template',
        client: adminB,
        build: (templateId) => ({ method: 'POST', url: `/console/${w.orgB.slug}/templates/preview`, form: { ...editorForm('Intrus'), templateId } }),
      },
      {
        label: 'API issue',
        client: keyB,
        build: (templateId) => ({ method: 'POST', url: '/api/v1/credentials', json: { templateId, recipients: [recipientJson('intruder@example.org')] } }),
      },
      {
        label: 'API job',
        client: keyB,
        build: (templateId) => ({ method: 'POST', url: '/api/v1/issuance-jobs', json: { templateId, recipients: [recipientJson('intruder@example.org')] } }),
      },
      {
        label: 'API analytics filter',
        client: adminB,
        build: (templateId) => ({ method: 'GET', url: `/console/${w.orgB.slug}/analytics?template=${templateId}` }),
      },
    ];
    await adminB.csrf();
    const before = dumpDb(t);
    const failures: string[] = [];
    for (const c of cases) {
      const x = await c.client.send(c.build(foreignTemplate));
      const y = await c.client.send(c.build(w.randomId()));
      if (x.statusCode !== 404) failures.push(`${c.label}: status ${x.statusCode}, expected 404`);
      if (x.statusCode !== y.statusCode || x.headers['content-type'] !== y.headers['content-type'] || x.body !== y.body)
        failures.push(`${c.label}: differs from an unknown template`);
    }
    // The credentials list filter names a template: a foreign one shows nothing of org A.
    const list = await adminB.send({ method: 'GET', url: `/console/${w.orgB.slug}/credentials?template=${foreignTemplate}` });
    expect(list.body).not.toContain(w.res.A.award.id);
    expect(failures).toEqual([]);
    expect(diffDumps(before, dumpDb(t))).toEqual([]);
  });

  it('an API key sees and acts only on its own organisation', async () => {
    const before = dbHash(t);
    const b = w.apiClient(w.apiKeyB.key);
    const org = await b.send({ method: 'GET', url: '/api/v1/organization' });
    expect(org.json()).toMatchObject({ id: w.orgB.id, slug: 'org-b' });
    const members = (await b.send({ method: 'GET', url: '/api/v1/organization/members' })).json() as { data: { userId: string }[] };
    const ids = new Set(members.data.map((m) => m.userId));
    expect(ids).toEqual(new Set([w.users.adminB.id, w.users.staffB.id, w.users.reviewerB.id]));
    // A query string naming org A changes nothing.
    const probe = await b.send({ method: 'GET', url: `/api/v1/organization/members?orgId=${w.orgA.id}&slug=org-a` });
    expect(probe.statusCode === 200 ? (probe.json() as { data: { userId: string }[] }).data.every((m) => ids.has(m.userId)) : probe.statusCode === 400).toBe(
      true,
    );
    expect(dbHash(t)).toBe(before);
  });

  it("a learner cannot complete another learner's add-e-mail flow (answer identical to an unknown flow, no write)", async () => {
    const flow = await w.newAddEmailFlow('l1', 'l1.third@example.org');
    const l2 = await w.signIn('l2');
    await l2.csrf();
    const before = dumpDb(t);
    const unknown = crypto.randomUUID();
    const a = await l2.send({ method: 'POST', url: '/account/emails/verify', form: { flow: flow.flow, code: flow.code } });
    const b = await l2.send({ method: 'POST', url: '/account/emails/verify', form: { flow: unknown, code: flow.code } });
    expect(a.statusCode).toBeGreaterThanOrEqual(400);
    // The re-rendered form carries the flow id the caller typed (a hidden field): mask that echo only.
    expect([a.statusCode, a.headers['content-type'], a.body.split(flow.flow).join('{flow}')]).toEqual([
      b.statusCode,
      b.headers['content-type'],
      b.body.split(unknown).join('{flow}'),
    ]);
    expect(diffDumps(before, dumpDb(t))).toEqual([]);
  });
});
