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
 * Anonymous callers are not in the sweep: they never reach an id lookup (401, see Z2).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.mock('fastify', async (importOriginal) => (await import('./support/route-capture.js')).wrapFastify(await importOriginal<object>()));

import { createTestApp, type TestApp } from '../support/app.js';
import {
  type Client, type Matrix, OUTCOMES, PRINCIPALS, type Req, type UserKey, type World, dbHash, diffDumps, dumpDb, fillPath,
  loadMatrix, maskPath, pathParams, seedWorld,
} from './support/harness.js';
import { type CapturedRoute, routeKey, routeTable } from './support/route-capture.js';

/** A valid body per state-changing route with ids, so the request reaches the authorization check. */
const BODIES: Record<string, Record<string, string | string[]>> = {
  'POST /console/:slug/invitations': { email: 'intruder@example.org', role: 'admin', locale: 'fr' },
  'POST /console/:slug/invitations/:id/revoke': {},
  'POST /console/:slug/members/:userId/role': { role: 'admin' },
  'POST /console/:slug/members/:userId/remove': {},
  'POST /console/:slug/settings': { name: 'Taken over', logoUrl: 'https://evil.example/logo.png', languages: 'en' },
  'POST /console/:slug/api-keys': { label: 'intruder' },
  'POST /console/:slug/api-keys/:id/revoke': {},
  'POST /account/emails/:emailId/primary': {},
  'POST /account/emails/:emailId/remove': {},
};

interface SweepCase {
  route: CapturedRoute;
  who: UserKey;
  /** What the foreign principal uses (real ids of someone else). */
  foreign: Record<string, string>;
  /** The same request with the foreign ids replaced by random ones of the same shape. */
  reference: Record<string, string>;
  note: string;
}

describe('Z1 authorization: route table and IDOR sweep', () => {
  let t: TestApp;
  let w: World;
  let routes: CapturedRoute[];
  let matrix: Matrix;

  beforeAll(async () => {
    t = await createTestApp();
    w = await seedWorld(t);
    routes = routeTable(t.app);
    matrix = loadMatrix();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('every route in Fastify\'s route table has a matrix entry, and every entry is a route', () => {
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
      if (JSON.stringify(Object.keys(entry.ids ?? {}).sort()) !== JSON.stringify(params)) problems.push(`${key}: ids ${JSON.stringify(entry.ids)} vs params ${params.join(',')}`);
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

  function sweepCases(): SweepCase[] {
    const cases: SweepCase[] = [];
    const slugLen = w.orgA.slug.length;
    const orgAIds: Record<string, Record<string, string>> = {
      'POST /console/:slug/invitations/:id/revoke': { id: w.invitationA },
      'POST /console/:slug/api-keys/:id/revoke': { id: w.apiKeyA.id },
      'POST /console/:slug/members/:userId/role': { userId: w.users.staffA.id },
      'POST /console/:slug/members/:userId/remove': { userId: w.users.staffA.id },
    };
    const orgBIds: Record<string, Record<string, string>> = {
      'POST /console/:slug/invitations/:id/revoke': { id: w.invitationB },
      'POST /console/:slug/api-keys/:id/revoke': { id: w.apiKeyB.id },
      'POST /console/:slug/members/:userId/role': { userId: w.users.staffB.id },
      'POST /console/:slug/members/:userId/remove': { userId: w.users.staffB.id },
    };
    for (const route of routes) {
      const key = routeKey(route);
      const ids = Object.keys(matrix.routes[key]?.ids ?? {});
      if (!ids.length) continue;
      // Public documents (DID documents, issuer profiles, status lists): everyone may read them, nothing to hide.
      if (Object.values(matrix.routes[key]!.expect).every((o) => o === 'allow')) continue;
      const randomFor = (name: string) => (name === 'slug' ? w.randomSlug(slugLen) : w.randomId());
      if (ids.includes('slug')) {
        const inner = ids.filter((i) => i !== 'slug');
        const aIds = orgAIds[key] ?? {};
        const bIds = orgBIds[key] ?? {};
        if (inner.some((i) => !(i in aIds))) throw new Error(`no org A resource id for ${key}`);
        // Outsiders of org A, with org A's slug and ids.
        for (const who of ['adminB', 'staffB', 'reviewerB', 'l1', 'l2', 'pa'] as const) {
          cases.push({
            route, who, note: 'outsider, org A slug and ids',
            foreign: { slug: w.orgA.slug, ...aIds },
            reference: Object.fromEntries(ids.map((i) => [i, randomFor(i)])),
          });
        }
        if (inner.length) {
          // Cross-object: an admin of their own organisation, naming the other organisation's object.
          cases.push({
            route, who: 'adminB', note: 'org B admin, own slug, org A object',
            foreign: { slug: w.orgB.slug, ...aIds }, reference: { slug: w.orgB.slug, ...Object.fromEntries(inner.map((i) => [i, randomFor(i)])) },
          });
          cases.push({
            route, who: 'adminA', note: 'org A admin, own slug, org B object',
            foreign: { slug: w.orgA.slug, ...bIds }, reference: { slug: w.orgA.slug, ...Object.fromEntries(inner.map((i) => [i, randomFor(i)])) },
          });
        }
      } else if (ids.includes('emailId')) {
        for (const emailId of [w.emails.l1Primary, w.emails.l1Second]) {
          for (const who of ['l2', 'adminA', 'adminB', 'staffA', 'pa'] as const) {
            cases.push({ route, who, note: 'someone else\'s e-mail id (L1)', foreign: { emailId }, reference: { emailId: w.randomId() } });
          }
        }
        for (const emailId of [w.emails.l2Primary, w.emails.l2Second]) {
          cases.push({ route, who: 'l1', note: 'someone else\'s e-mail id (L2)', foreign: { emailId }, reference: { emailId: w.randomId() } });
        }
      } else if (key.includes('/admin/outbox/:id')) {
        for (const who of ['l1', 'adminA', 'staffA', 'reviewerA', 'adminB'] as const) {
          cases.push({ route, who, note: 'not a platform admin, real outbox id', foreign: { id: w.mailId }, reference: { id: w.randomId() } });
        }
      } else {
        throw new Error(`Z1 does not know how to sweep ${key} (ids ${ids.join(',')})`);
      }
    }
    return cases;
  }

  it('foreign principals get a 404 identical to a nonexistent id, and nothing is written', async () => {
    const cases = sweepCases();
    expect(cases.length).toBeGreaterThan(100);
    const clients = new Map<UserKey, Client>();
    const clientFor = async (who: UserKey) => {
      if (!clients.has(who)) clients.set(who, await w.signIn(who));
      return clients.get(who)!;
    };
    for (const who of new Set(cases.map((c) => c.who))) await (await clientFor(who)).csrf();

    const failures: string[] = [];
    const before = dumpDb(t);
    const beforeHash = dbHash(t);
    for (const c of cases) {
      const key = routeKey(c.route);
      const client = await clientFor(c.who);
      const body = BODIES[key];
      if (c.route.method === 'POST' && !body) throw new Error(`no Z1 body for ${key}`);
      const build = (params: Record<string, string>): Req => ({
        method: c.route.method, url: fillPath(c.route.url, params), ...(c.route.method === 'POST' ? { form: body } : {}),
      });
      const foreignReq = build(c.foreign);
      const referenceReq = build(c.reference);
      const a = await client.send(foreignReq);
      const b = await client.send(referenceReq);
      const label = `${key} as ${c.who} (${c.note}) ${foreignReq.url} vs ${referenceReq.url}`;
      if (a.statusCode !== 404) failures.push(`${label}: status ${a.statusCode}, expected 404`);
      if (a.statusCode !== b.statusCode) failures.push(`${label}: status ${a.statusCode} ≠ ${b.statusCode}`);
      if (a.headers['content-type'] !== b.headers['content-type']) failures.push(`${label}: content-type ${String(a.headers['content-type'])} ≠ ${String(b.headers['content-type'])}`);
      if (a.body !== b.body) failures.push(`${label}: bodies differ${maskPath(a.body, foreignReq.url) === maskPath(b.body, referenceReq.url) ? ' (only by the echoed request path)' : ''}`);
      if (dbHash(t) !== beforeHash) {
        failures.push(`${label}: the database changed: ${diffDumps(before, dumpDb(t)).join('; ')}`);
        break;
      }
    }
    expect(failures).toEqual([]);
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
    expect(probe.statusCode === 200 ? (probe.json() as { data: { userId: string }[] }).data.every((m) => ids.has(m.userId)) : probe.statusCode === 400).toBe(true);
    expect(dbHash(t)).toBe(before);
  });

  it('a learner cannot complete another learner\'s add-e-mail flow (answer identical to an unknown flow, no write)', async () => {
    const flow = await w.newAddEmailFlow('l1', 'l1.third@example.org');
    const l2 = await w.signIn('l2');
    await l2.csrf();
    const before = dumpDb(t);
    const unknown = crypto.randomUUID();
    const a = await l2.send({ method: 'POST', url: '/account/emails/verify', form: { flow: flow.flow, code: flow.code } });
    const b = await l2.send({ method: 'POST', url: '/account/emails/verify', form: { flow: unknown, code: flow.code } });
    expect(a.statusCode).toBeGreaterThanOrEqual(400);
    // The re-rendered form carries the flow id the caller typed (a hidden field): mask that echo only.
    expect([a.statusCode, a.headers['content-type'], a.body.split(flow.flow).join('{flow}')])
      .toEqual([b.statusCode, b.headers['content-type'], b.body.split(unknown).join('{flow}')]);
    expect(diffDumps(before, dumpDb(t))).toEqual([]);
  });
});
