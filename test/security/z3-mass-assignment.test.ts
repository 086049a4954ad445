/**
 * Z3: mass assignment (BOPLA). Every write route of the route table gets a valid request carrying extra fields
 * (orgId, role, status, issuedAt, ownerId, revoked, isPlatformAdmin, userId and snake_case twins), as a form and
 * as JSON (web routes) or JSON (API). Pass when the request is rejected (4xx, and then nothing is written) or the
 * extras are ignored: every change to the authorization-relevant tables is one the route is allowed to make,
 * with the values the route decides (the key's organisation, the invitation's role, the caller's own user…).
 *
 * Ignored tables: audit_events, mail_outbox, jobs, throttles (journal and delivery plumbing).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.mock('fastify', async (importOriginal) => (await import('./support/route-capture.js')).wrapFastify(await importOriginal<object>()));

import { createTestApp, type TestApp } from '../support/app.js';
import {
  type Principal, type Req, TEST_PASSWORD, type UserKey, VC_API_CREDENTIAL, type World, fillPath, isApiPath, issueOrgACredential, outcomeOf, seedWorld, settle,
  sqliteOf,
} from './support/harness.js';
import { routeKey, routeTable } from './support/route-capture.js';

// ---- Projection of the authorization-relevant tables ---------------------------------------------------

type Row = Record<string, unknown>;
const KEYS: Record<string, (r: Row) => string> = {
  users: (r) => String(r['id']),
  user_emails: (r) => String(r['id']),
  memberships: (r) => `${String(r['org_id'])}|${String(r['user_id'])}`,
  organizations: (r) => String(r['id']),
  invitations: (r) => String(r['id']),
  api_keys: (r) => String(r['id']),
  sessions: (r) => String(r['id_hash']),
  email_codes: (r) => String(r['id']),
  password_resets: (r) => String(r['token_hash']),
};
type Projection = Record<string, Map<string, Row>>;

function project(t: TestApp): Projection {
  const sqlite = sqliteOf(t);
  const out: Projection = {};
  for (const [table, key] of Object.entries(KEYS)) {
    out[table] = new Map((sqlite.prepare(`select * from "${table}"`).all() as Row[]).map((r) => [key(r), r]));
  }
  return out;
}

interface Change { table: string; kind: 'added' | 'removed' | 'changed'; row: Row; before?: Row; columns: string[] }

function changes(a: Projection, b: Projection): Change[] {
  const out: Change[] = [];
  for (const table of Object.keys(KEYS)) {
    const x = a[table]!;
    const y = b[table]!;
    for (const [k, row] of y) {
      const old = x.get(k);
      if (!old) out.push({ table, kind: 'added', row, columns: Object.keys(row) });
      else {
        const columns = Object.keys(row).filter((c) => row[c] !== old[c]);
        if (columns.length) out.push({ table, kind: 'changed', row, before: old, columns });
      }
    }
    for (const [k, row] of x) if (!y.has(k)) out.push({ table, kind: 'removed', row, columns: [] });
  }
  return out;
}

/** One change the route may make: which rows, which columns, and what the new values must be. */
interface Allowed {
  table: string;
  kind: Change['kind'];
  /** For `changed`: the only columns that may differ. */
  columns?: string[];
  where?: (row: Row) => boolean;
  /** A problem description, or undefined when the row is right. */
  check?: (row: Row) => string | undefined;
}

const eq = (col: string, value: unknown) => (row: Row) => (row[col] === value ? undefined : `${col} = ${JSON.stringify(row[col])}, expected ${JSON.stringify(value)}`);
const all = (...checks: ((row: Row) => string | undefined)[]) => (row: Row) => checks.map((c) => c(row)).find(Boolean);
const payloadKeys = (allowed: string[]) => (row: Row) => {
  const keys = row['payload'] ? Object.keys(JSON.parse(String(row['payload'])) as object) : [];
  const extra = keys.filter((k) => !allowed.includes(k));
  return extra.length ? `payload carries ${extra.join(',')}` : undefined;
};

// ---- Cases ---------------------------------------------------------------------------------------------

interface Case {
  principal: Principal;
  /** Body fields the route accepts: the extras never override them. */
  legit?: string[];
  build(w: World): Promise<Omit<Req, 'method'>>;
  allowed(w: World, ctx: { sessionUser?: string }): Allowed[];
}

const own = (w: World, k: UserKey) => w.users[k].id;

const CASES: Record<string, Case> = {
  'POST /signup': {
    principal: 'anonymous',
    build: async (w) => ({ url: '/signup', form: { displayName: 'Mass Assign', email: w.uniqueEmail('ma-signup'), password: 'un mot de passe solide', locale: 'fr' } }),
    allowed: () => [
      { table: 'email_codes', kind: 'added', check: all(eq('user_id', null), eq('purpose', 'signup'), payloadKeys(['displayName', 'passwordHash', 'locale'])) },
    ],
  },
  'POST /signup/verify': {
    principal: 'anonymous',
    build: async (w) => ({ url: '/signup/verify', form: await w.newSignupFlow(w.uniqueEmail('ma-verify')) }),
    allowed: () => {
      let newUser: unknown;
      return [
        { table: 'email_codes', kind: 'changed', columns: ['consumed_at'] },
        { table: 'users', kind: 'added', check: (r) => ((newUser = r['id']), eq('is_platform_admin', 0)(r)) },
        { table: 'user_emails', kind: 'added', check: all(eq('is_primary', 1), (r) => (r['user_id'] === newUser ? undefined : 'e-mail of another user')) },
        { table: 'sessions', kind: 'added', check: (r) => (r['user_id'] === newUser ? undefined : `session for ${String(r['user_id'])}`) },
      ];
    },
  },
  'POST /signup/resend': {
    principal: 'anonymous',
    build: async (w) => ({ url: '/signup/resend', form: { flow: (await w.newSignupFlow(w.uniqueEmail('ma-resend'))).flow } }),
    allowed: () => [
      { table: 'email_codes', kind: 'changed', columns: ['consumed_at'] },
      { table: 'email_codes', kind: 'added', check: all(eq('user_id', null), payloadKeys(['displayName', 'passwordHash', 'locale'])) },
    ],
  },
  'POST /signin': {
    principal: 'anonymous',
    build: async (w) => ({ url: '/signin', form: { email: w.address.signInUser, password: TEST_PASSWORD } }),
    allowed: (w) => [{ table: 'sessions', kind: 'added', check: eq('user_id', own(w, 'signInUser')) }],
  },
  'POST /signout': {
    principal: 'learner',
    build: async () => ({ url: '/signout', form: {} }),
    allowed: (w) => [{ table: 'sessions', kind: 'removed', where: (r) => r['user_id'] === own(w, 'l1') }],
  },
  'POST /password/forgot': {
    principal: 'anonymous',
    build: async (w) => ({ url: '/password/forgot', form: { email: w.address.resetUser } }),
    allowed: (w) => [
      { table: 'password_resets', kind: 'added', check: eq('user_id', own(w, 'resetUser')) },
      { table: 'password_resets', kind: 'changed', columns: ['used_at'], where: (r) => r['user_id'] === own(w, 'resetUser') },
    ],
  },
  'POST /password/reset': {
    principal: 'anonymous',
    build: async (w) => ({ url: '/password/reset', form: { token: await w.newResetToken('resetUser'), password: TEST_PASSWORD } }),
    allowed: (w) => [
      { table: 'users', kind: 'changed', columns: ['password_hash'], where: (r) => r['id'] === own(w, 'resetUser') },
      { table: 'password_resets', kind: 'changed', columns: ['used_at'], where: (r) => r['user_id'] === own(w, 'resetUser') },
      { table: 'sessions', kind: 'removed', where: (r) => r['user_id'] === own(w, 'resetUser') },
    ],
  },
  'POST /invitations/accept': {
    principal: 'anonymous',
    build: async (w) => {
      const { token } = await w.newInvitation(w.orgA, w.uniqueEmail('ma-accept'), 'reviewer');
      return { url: '/invitations/accept', form: { token, displayName: 'Invited Person', password: 'un mot de passe solide' } };
    },
    allowed: (w) => {
      let newUser: unknown;
      return [
        { table: 'invitations', kind: 'changed', columns: ['accepted_at'] },
        { table: 'users', kind: 'added', check: (r) => ((newUser = r['id']), eq('is_platform_admin', 0)(r)) },
        { table: 'user_emails', kind: 'added', check: (r) => (r['user_id'] === newUser ? undefined : 'e-mail of another user') },
        { table: 'sessions', kind: 'added', check: (r) => (r['user_id'] === newUser ? undefined : 'session of another user') },
        // The invitation decides the organisation and the role, never the body.
        { table: 'memberships', kind: 'added', check: all(eq('org_id', w.orgA.id), eq('role', 'reviewer'), (r) => (r['user_id'] === newUser ? undefined : 'membership of another user')) },
      ];
    },
  },
  'POST /account/profile': {
    principal: 'learner',
    build: async (w) => ({ url: '/account/profile', form: { displayName: `Learner ${w.uniqueEmail('n').split('@')[0]}`, locale: 'en' } }),
    allowed: (w) => [{ table: 'users', kind: 'changed', columns: ['display_name', 'locale'], where: (r) => r['id'] === own(w, 'l1') }],
  },
  'POST /account/emails': {
    principal: 'learner',
    build: async (w) => ({ url: '/account/emails', form: { email: w.uniqueEmail('ma-add'), password: TEST_PASSWORD } }),
    allowed: (w) => [{ table: 'email_codes', kind: 'added', check: all(eq('user_id', own(w, 'l1')), eq('purpose', 'add_email'), eq('payload', null)) }],
  },
  'POST /account/emails/verify': {
    principal: 'learner',
    build: async (w) => ({ url: '/account/emails/verify', form: await w.newAddEmailFlow('l1', w.uniqueEmail('ma-added')) }),
    allowed: (w) => [
      { table: 'email_codes', kind: 'changed', columns: ['consumed_at'] },
      { table: 'user_emails', kind: 'added', check: all(eq('user_id', own(w, 'l1')), eq('is_primary', 0)) },
    ],
  },
  'POST /account/emails/:emailId/primary': {
    principal: 'learner',
    build: async (w) => {
      const current = await w.primaryEmailId('l1');
      return { url: `/account/emails/${current === w.emails.l1Second ? w.emails.l1Primary : w.emails.l1Second}/primary`, form: {} };
    },
    allowed: (w) => [{ table: 'user_emails', kind: 'changed', columns: ['is_primary'], where: (r) => r['user_id'] === own(w, 'l1') }],
  },
  'POST /account/emails/:emailId/remove': {
    principal: 'learner',
    build: async (w) => ({ url: `/account/emails/${await w.newSecondEmail('l1')}/remove`, form: {} }),
    allowed: (w) => [{ table: 'user_emails', kind: 'removed', where: (r) => r['user_id'] === own(w, 'l1') }],
  },
  'POST /account/password': {
    principal: 'learner',
    build: async () => ({ url: '/account/password', form: { currentPassword: TEST_PASSWORD, newPassword: TEST_PASSWORD } }),
    allowed: (w) => [
      { table: 'users', kind: 'changed', columns: ['password_hash'], where: (r) => r['id'] === own(w, 'l1') },
      { table: 'sessions', kind: 'removed', where: (r) => r['user_id'] === own(w, 'l1') },
      { table: 'password_resets', kind: 'changed', columns: ['used_at'], where: (r) => r['user_id'] === own(w, 'l1') },
    ],
  },
  'POST /console/:slug/invitations': {
    principal: 'admin',
    legit: ['role'],
    build: async (w) => ({ url: `/console/${w.orgA.slug}/invitations`, form: { email: w.uniqueEmail('ma-invite'), role: 'staff', locale: 'fr' } }),
    allowed: (w) => [{
      table: 'invitations', kind: 'added',
      check: all(eq('org_id', w.orgA.id), eq('role', 'staff'), eq('invited_by', own(w, 'adminA')), eq('accepted_at', null), eq('revoked_at', null),
        (r) => (Date.parse(String(r['expires_at'])) - w.t.clock.now().getTime() === 14 * 86_400_000 ? undefined : `expires_at ${String(r['expires_at'])}`)),
    }],
  },
  'POST /console/:slug/invitations/:id/revoke': {
    principal: 'admin',
    build: async (w) => ({ url: fillPath('/console/:slug/invitations/:id/revoke', { slug: w.orgA.slug, id: (await w.newInvitation(w.orgA, w.uniqueEmail('ma-revoke'))).id }), form: {} }),
    allowed: (w) => [{ table: 'invitations', kind: 'changed', columns: ['revoked_at'], where: (r) => r['org_id'] === w.orgA.id && String(r['email']).startsWith('ma-revoke') }],
  },
  'POST /console/:slug/members/:userId/role': {
    principal: 'admin',
    legit: ['role'],
    build: async (w) => {
      await w.ensureMember(w.orgA, 'targetA', 'staff');
      return { url: `/console/${w.orgA.slug}/members/${w.users.targetA.id}/role`, form: { role: 'reviewer' } };
    },
    allowed: (w) => [{ table: 'memberships', kind: 'changed', columns: ['role'], where: (r) => r['org_id'] === w.orgA.id && r['user_id'] === own(w, 'targetA'), check: eq('role', 'reviewer') }],
  },
  'POST /console/:slug/members/:userId/remove': {
    principal: 'admin',
    build: async (w) => {
      await w.ensureMember(w.orgA, 'targetA', 'staff');
      return { url: `/console/${w.orgA.slug}/members/${w.users.targetA.id}/remove`, form: {} };
    },
    allowed: (w) => [{ table: 'memberships', kind: 'removed', where: (r) => r['org_id'] === w.orgA.id && r['user_id'] === own(w, 'targetA') }],
  },
  'POST /console/:slug/settings': {
    principal: 'admin',
    build: async (w) => ({ url: `/console/${w.orgA.slug}/settings`, form: { name: `Org A ${w.uniqueEmail('n').split('@')[0]}`, logoUrl: 'https://example.org/a.png', languages: ['en'] } }),
    allowed: (w) => [{ table: 'organizations', kind: 'changed', columns: ['name', 'logo_url', 'languages'], where: (r) => r['id'] === w.orgA.id }],
  },
  'POST /console/:slug/api-keys': {
    principal: 'admin',
    build: async (w) => ({ url: `/console/${w.orgA.slug}/api-keys`, form: { label: 'Mass assign' } }),
    allowed: (w) => [{ table: 'api_keys', kind: 'added', check: all(eq('org_id', w.orgA.id), eq('created_by', own(w, 'adminA')), eq('revoked_at', null), eq('label', 'Mass assign')) }],
  },
  'POST /console/:slug/api-keys/:id/revoke': {
    principal: 'admin',
    build: async (w) => ({ url: fillPath('/console/:slug/api-keys/:id/revoke', { slug: w.orgA.slug, id: (await w.newApiKey(w.orgA)).id }), form: {} }),
    allowed: (w) => [{ table: 'api_keys', kind: 'changed', columns: ['revoked_at'], where: (r) => r['org_id'] === w.orgA.id && r['label'] === 'fixture' }],
  },
  'POST /api/v1/organization/invitations': {
    principal: 'apiKey',
    legit: ['role'],
    build: async (w) => ({ url: '/api/v1/organization/invitations', json: { email: w.uniqueEmail('ma-api'), role: 'staff' } }),
    allowed: (w) => [{ table: 'invitations', kind: 'added', check: all(eq('org_id', w.orgA.id), eq('role', 'staff'), eq('invited_by', null)) }],
  },
  // The VC-API bodies are strict: any extra field is a 400 (credentials themselves are never in these tables).
  'POST /credentials/issue': {
    principal: 'apiKey',
    build: async () => ({ url: '/credentials/issue', json: { credential: VC_API_CREDENTIAL } }),
    allowed: () => [],
  },
  'POST /credentials/verify': {
    principal: 'anonymous',
    build: async (w) => ({ url: '/credentials/verify', json: { verifiableCredential: (await issueOrgACredential(w)).document } }),
    allowed: () => [],
  },
  'POST /presentations/verify': {
    principal: 'anonymous',
    build: async (w) => ({ url: '/presentations/verify', json: { verifiablePresentation: { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiablePresentation'], verifiableCredential: [(await issueOrgACredential(w)).document] } } }),
    allowed: () => [],
  },
  'POST /credentials/status': {
    principal: 'apiKey',
    build: async (w) => ({
      url: '/credentials/status', json: { credentialId: (await issueOrgACredential(w)).id, credentialStatus: [{ type: 'BitstringStatusListEntry', status: 'suspended' }] },
    }),
    allowed: () => [],
  },
};

function extras(w: World, typed: boolean): Record<string, unknown> {
  return {
    orgId: w.orgB.id, org_id: w.orgB.id, role: 'admin', status: 'accepted', issuedAt: '2000-01-01T00:00:00.000Z',
    ownerId: w.users.adminB.id, revoked: typed ? true : 'true', isPlatformAdmin: typed ? 1 : '1', is_platform_admin: typed ? true : '1',
    userId: w.users.adminB.id, user_id: w.users.adminB.id, createdBy: w.users.adminB.id, invitedBy: w.users.adminB.id,
  };
}

describe('Z3 mass assignment: extra fields are rejected or ignored on every write route', () => {
  let t: TestApp;
  let w: World;

  beforeAll(async () => {
    t = await createTestApp();
    w = await seedWorld(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('every write route in the route table has a Z3 case', () => {
    const writes = routeTable(t.app).filter((r) => !['GET', 'HEAD', 'OPTIONS'].includes(r.method)).map(routeKey).sort();
    expect(writes.filter((k) => !CASES[k])).toEqual([]);
    expect(Object.keys(CASES).filter((k) => !writes.includes(k))).toEqual([]);
  });

  const encodings = (key: string) => (isApiPath(key.slice(key.indexOf(' ') + 1)) ? ['json'] : ['form', 'json']) as ('form' | 'json')[];

  for (const [key, c] of Object.entries(CASES)) {
    for (const encoding of encodings(key)) {
      it(`${key} (${encoding}) as ${c.principal}`, async () => {
        const client = await w.principal(c.principal);
        const base = await c.build(w);
        const fields = { ...(base.form ?? (base.json as Record<string, unknown>)) };
        const extra = Object.fromEntries(Object.entries(extras(w, encoding === 'json')).filter(([k]) => !(c.legit ?? []).includes(k) && !(k in fields)));
        const req: Req = encoding === 'form'
          ? { method: 'POST', url: base.url, form: { ...(extra as Record<string, string>), ...(fields as Record<string, string>) } }
          : { method: 'POST', url: base.url, json: { ...extra, ...fields } };
        await client.csrf();
        await settle(t);
        const before = project(t);
        const res = await client.send(req);
        await settle(t);
        const diff = changes(before, project(t));
        const outcome = outcomeOf(res);
        if (res.statusCode >= 400) {
          // Rejected: 4xx (never 5xx), and nothing written.
          expect(res.statusCode, res.body.slice(0, 300)).toBeLessThan(500);
          expect(diff.map((d) => `${d.kind} ${d.table}`)).toEqual([]);
          return;
        }
        expect(outcome, `${key}: ${res.statusCode}`).toBe('allow');
        const allowed = c.allowed(w, {});
        const problems: string[] = [];
        for (const d of diff) {
          const match = allowed.find((a) => a.table === d.table && a.kind === d.kind && (!a.where || a.where(d.before ?? d.row))
            && (d.kind !== 'changed' || !a.columns || d.columns.every((col) => a.columns!.includes(col))));
          if (!match) {
            problems.push(`unexpected ${d.kind} in ${d.table}${d.kind === 'changed' ? ` (${d.columns.join(',')})` : ''}`);
            continue;
          }
          const problem = match.check?.(d.row);
          if (problem) problems.push(`${d.kind} in ${d.table}: ${problem}`);
        }
        expect(problems).toEqual([]);
        // The route did its job (so "ignored" is not vacuous).
        expect(diff.length, 'the request changed nothing').toBeGreaterThan(0);
      });
    }
  }

  it('the API rejects unknown fields with a problem+json 400, and an orgId never moves an invitation to another organisation', async () => {
    const api = w.apiClient(w.apiKeyA.key);
    const email = w.uniqueEmail('ma-orgid');
    const before = project(t);
    const res = await api.send({ method: 'POST', url: '/api/v1/organization/invitations', json: { email, role: 'staff', orgId: w.orgB.id } });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(changes(before, project(t))).toEqual([]);
    // Without the extra field, the invitation lands in the key's organisation.
    const ok = await api.send({ method: 'POST', url: '/api/v1/organization/invitations', json: { email, role: 'staff' } });
    expect(ok.statusCode).toBe(201);
    const row = sqliteOf(t).prepare('select org_id from invitations where email = ?').get(email) as { org_id: string };
    expect(row.org_id).toBe(w.orgA.id);
  });

  it('a profile update with isPlatformAdmin does not make the user a platform admin', async () => {
    const l2 = await w.signIn('l2');
    for (const body of [{ isPlatformAdmin: '1' }, { isPlatformAdmin: 'true', is_platform_admin: '1' }] as Record<string, string>[]) {
      const res = await l2.send({ method: 'POST', url: '/account/profile', form: { displayName: 'L2', locale: 'fr', ...body } });
      expect(res.statusCode).toBe(303);
    }
    const res = await l2.send({ method: 'POST', url: '/account/profile', json: { displayName: 'L2', locale: 'fr', isPlatformAdmin: 1, is_platform_admin: true } });
    expect(res.statusCode).toBe(303);
    const row = sqliteOf(t).prepare('select is_platform_admin from users where id = ?').get(w.users.l2.id) as { is_platform_admin: number };
    expect(row.is_platform_admin).toBe(0);
    expect((await l2.send({ method: 'GET', url: '/admin/outbox' })).statusCode).toBe(404);
  });
});
