/**
 * Z3: mass assignment (BOPLA). Every write route of the route table gets a valid request carrying extra fields
 * (orgId, role, status, issuedAt, ownerId, revoked, isPlatformAdmin, userId and snake_case twins), as a form and
 * as JSON (web routes) or JSON (API). Pass when the request is rejected (4xx, and then nothing is written) or the
 * extras are ignored: every change to the authorization-relevant tables is one the route is allowed to make,
 * with the values the route decides (the key's organisation, the invitation's role, the caller's own user…).
 *
 * Issue 5's write routes (templates, one-off and bulk issuance, credentials, images, results, webhooks) are covered the
 * same way, with extras naming another organisation's template, job, image, webhook and holder (templateId, jobId,
 * imageId, holderUserId…): uploads (multipart) carry the extras as text fields, raw-body routes (the image API) and
 * body-less ones (DELETE) in the query string. The JSON API bodies are strict: every extra is a 400.
 *
 * Ignored tables: audit_events, mail_outbox, jobs, throttles (journal and delivery plumbing), credential_events
 * (analytics counters), idempotency_keys, and the signing plumbing of an issuance (issuer_keys, issuer_profiles,
 * status_lists, status_entries).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.mock('fastify', async (importOriginal) => (await import('./support/route-capture.js')).wrapFastify(await importOriginal<object>()));

import { createTestApp, type TestApp } from '../support/app.js';
import { setExcluded } from '../../src/domain/issuance/import-spreadsheet.js';
import {
  type Principal,
  type Req,
  TEST_PASSWORD,
  type UserKey,
  VC_API_CREDENTIAL,
  type World,
  fillPath,
  isApiPath,
  issueOrgACredential,
  outcomeOf,
  seedWorld,
  settle,
  sqliteOf,
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
import { routeKey, routeTable } from './support/route-capture.js';
import { solidPng } from '../images/fixtures.js';

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
  // Issue 5.
  templates: (r) => String(r['id']),
  template_versions: (r) => `${String(r['template_id'])}|${String(r['version'])}`,
  credentials: (r) => String(r['id']),
  awards: (r) => String(r['id']),
  issuance_jobs: (r) => String(r['id']),
  issuance_rows: (r) => `${String(r['job_id'])}|${String(r['row_no'])}`,
  images: (r) => String(r['id']),
  webhooks: (r) => String(r['id']),
  webhook_deliveries: (r) => String(r['id']),
  results: (r) => String(r['id']),
  issuance_decisions: (r) => String(r['id']),
};
type Projection = Record<string, Map<string, Row>>;

function project(t: TestApp): Projection {
  const sqlite = sqliteOf(t);
  const out: Projection = {};
  for (const [table, key] of Object.entries(KEYS)) {
    // Blobs (image bytes) compared by content, not by object identity.
    const rows = (sqlite.prepare(`select * from "${table}"`).all() as Row[]).map((r) =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Buffer.isBuffer(v) ? `blob:${v.toString('base64')}` : v])),
    );
    out[table] = new Map(rows.map((r) => [key(r), r]));
  }
  return out;
}

interface Change {
  table: string;
  kind: 'added' | 'removed' | 'changed';
  row: Row;
  before?: Row;
  columns: string[];
}

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

const eq = (col: string, value: unknown) => (row: Row) =>
  row[col] === value ? undefined : `${col} = ${JSON.stringify(row[col])}, expected ${JSON.stringify(value)}`;
const all =
  (...checks: ((row: Row) => string | undefined)[]) =>
  (row: Row) =>
    checks.map((c) => c(row)).find(Boolean);
const payloadKeys = (allowed: string[]) => (row: Row) => {
  const keys = row['payload'] ? Object.keys(JSON.parse(String(row['payload'])) as object) : [];
  const extra = keys.filter((k) => !allowed.includes(k));
  return extra.length ? `payload carries ${extra.join(',')}` : undefined;
};

// ---- Cases ---------------------------------------------------------------------------------------------

/** What a case's request was built on (the throwaway template, job or credential…), for its `allowed` rules. */
type Ctx = Record<string, string>;

interface Case {
  principal: Principal;
  /** Body fields the route accepts: the extras never override them. */
  legit?: string[];
  build(w: World): Promise<Omit<Req, 'method'> & { ctx?: Ctx }>;
  allowed(w: World, ctx: Ctx): Allowed[];
  /** The route writes nothing even when it succeeds (a preview). */
  readOnly?: boolean;
  /** Uploads (multipart) and raw or body-less requests (extras in the query string). */
  shape?: 'multipart' | 'raw';
}

const own = (w: World, k: UserKey) => w.users[k].id;

const CASES: Record<string, Case> = {
  'POST /signup': {
    principal: 'anonymous',
    build: async (w) => ({
      url: '/signup',
      form: { displayName: 'Mass Assign', email: w.uniqueEmail('ma-signup'), password: 'un mot de passe solide', locale: 'fr' },
    }),
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
        {
          table: 'memberships',
          kind: 'added',
          check: all(eq('org_id', w.orgA.id), eq('role', 'reviewer'), (r) => (r['user_id'] === newUser ? undefined : 'membership of another user')),
        },
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
    allowed: (w) => [
      {
        table: 'invitations',
        kind: 'added',
        check: all(eq('org_id', w.orgA.id), eq('role', 'staff'), eq('invited_by', own(w, 'adminA')), eq('accepted_at', null), eq('revoked_at', null), (r) =>
          Date.parse(String(r['expires_at'])) - w.t.clock.now().getTime() === 14 * 86_400_000 ? undefined : `expires_at ${String(r['expires_at'])}`,
        ),
      },
    ],
  },
  'POST /console/:slug/invitations/:id/revoke': {
    principal: 'admin',
    build: async (w) => ({
      url: fillPath('/console/:slug/invitations/:id/revoke', { slug: w.orgA.slug, id: (await w.newInvitation(w.orgA, w.uniqueEmail('ma-revoke'))).id }),
      form: {},
    }),
    allowed: (w) => [
      { table: 'invitations', kind: 'changed', columns: ['revoked_at'], where: (r) => r['org_id'] === w.orgA.id && String(r['email']).startsWith('ma-revoke') },
    ],
  },
  'POST /console/:slug/members/:userId/role': {
    principal: 'admin',
    legit: ['role'],
    build: async (w) => {
      await w.ensureMember(w.orgA, 'targetA', 'staff');
      return { url: `/console/${w.orgA.slug}/members/${w.users.targetA.id}/role`, form: { role: 'reviewer' } };
    },
    allowed: (w) => [
      {
        table: 'memberships',
        kind: 'changed',
        columns: ['role'],
        where: (r) => r['org_id'] === w.orgA.id && r['user_id'] === own(w, 'targetA'),
        check: eq('role', 'reviewer'),
      },
    ],
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
    build: async (w) => ({
      url: `/console/${w.orgA.slug}/settings`,
      form: { name: `Org A ${w.uniqueEmail('n').split('@')[0]}`, logoUrl: 'https://example.org/a.png', languages: ['en'] },
    }),
    allowed: (w) => [{ table: 'organizations', kind: 'changed', columns: ['name', 'logo_url', 'languages'], where: (r) => r['id'] === w.orgA.id }],
  },
  'POST /console/:slug/api-keys': {
    principal: 'admin',
    build: async (w) => ({ url: `/console/${w.orgA.slug}/api-keys`, form: { label: 'Mass assign' } }),
    allowed: (w) => [
      {
        table: 'api_keys',
        kind: 'added',
        check: all(eq('org_id', w.orgA.id), eq('created_by', own(w, 'adminA')), eq('revoked_at', null), eq('label', 'Mass assign')),
      },
    ],
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
    build: async (w) => ({
      url: '/presentations/verify',
      json: {
        verifiablePresentation: {
          '@context': ['https://www.w3.org/ns/credentials/v2'],
          type: ['VerifiablePresentation'],
          verifiableCredential: [(await issueOrgACredential(w)).document],
        },
      },
    }),
    allowed: () => [],
  },
  'POST /credentials/status': {
    principal: 'apiKey',
    build: async (w) => ({
      url: '/credentials/status',
      json: { credentialId: (await issueOrgACredential(w)).id, credentialStatus: [{ type: 'BitstringStatusListEntry', status: 'suspended' }] },
    }),
    allowed: () => [],
  },
  ...ISSUE5_CASES(),
};

// ---- Issue 5 -------------------------------------------------------------------------------------------------

function ISSUE5_CASES(): Record<string, Case> {
  const slugA = (w: World) => w.orgA.slug;
  const madeNow = (w: World) => eq('created_at', w.t.clock.now().toISOString());
  const inA = (w: World) => eq('org_id', w.orgA.id);
  const about = (col: string, id: string) => (row: Row) => row[col] === id;
  let n = 0;
  /** What issuing one credential of org A's seeded template may write: org A's, now, in nobody's account. */
  const issued = (w: World): Allowed[] => [
    { table: 'credentials', kind: 'added', check: all(inA(w), eq('revoked_at', null), eq('suspended_at', null), madeNow(w)) },
    {
      table: 'awards',
      kind: 'added',
      check: all(inA(w), eq('template_id', w.res.A.template.id), eq('holder_user_id', null), eq('opened_at', null), eq('claimed_at', null), madeNow(w)),
    },
    { table: 'webhook_deliveries', kind: 'added', check: all(inA(w), eq('status', 'pending'), eq('attempts', 0)) },
  ];
  const newTemplateRows = (w: World, createdBy: string | null): Allowed[] => [
    {
      table: 'templates',
      kind: 'added',
      check: all(
        inA(w),
        eq('status', 'active'),
        eq('version', 1),
        eq('created_by', createdBy),
        eq('archived_at', null),
        eq('rules', null),
        eq('mapping', null),
        madeNow(w),
      ),
    },
    { table: 'template_versions', kind: 'added', check: all(eq('version', 1), eq('created_by', createdBy), madeNow(w)) },
  ];
  const newVersion = (w: World, ctx: Ctx, createdBy: string | null): Allowed[] => [
    {
      table: 'templates',
      kind: 'changed',
      columns: ['version', 'kind', 'updated_at'],
      where: about('id', ctx['id']!),
      check: all(inA(w), eq('status', 'active')),
    },
    { table: 'template_versions', kind: 'added', where: about('template_id', ctx['id']!), check: all(eq('version', 2), eq('created_by', createdBy)) },
  ];
  const archived = (w: World, ctx: Ctx, yes: boolean): Allowed[] => [
    {
      table: 'templates',
      kind: 'changed',
      columns: ['status', 'archived_at', 'updated_at'],
      where: about('id', ctx['id']!),
      check: all(inA(w), eq('status', yes ? 'archived' : 'active'), eq('archived_at', yes ? w.t.clock.now().toISOString() : null)),
    },
  ];
  const statusOf = (ctx: Ctx, column: 'suspended_at' | 'revoked_at' | 'none'): Allowed[] => [
    {
      table: 'credentials',
      kind: 'changed',
      columns: ['suspended_at', 'revoked_at'],
      where: about('id', ctx['id']!),
      check: (r) =>
        column === 'none'
          ? r['suspended_at'] === null && r['revoked_at'] === null
            ? undefined
            : 'still suspended or revoked'
          : r[column] !== null && r[column === 'suspended_at' ? 'revoked_at' : 'suspended_at'] === null
            ? undefined
            : `suspended_at ${String(r['suspended_at'])}, revoked_at ${String(r['revoked_at'])}`,
    },
  ];
  const newJob = (w: World, createdBy: string | null, status: string): Allowed[] => [
    {
      table: 'issuance_jobs',
      kind: 'added',
      check: all(
        inA(w),
        eq('template_id', w.res.A.template.id),
        eq('status', status),
        eq('created_by', createdBy),
        eq('issued_count', 0),
        eq('failed_count', 0),
        eq('completed_at', null),
        madeNow(w),
      ),
    },
    {
      table: 'issuance_rows',
      kind: 'added',
      check: all(eq('credential_row_id', null), (r) =>
        ['valid', 'invalid', 'pending'].includes(String(r['status'])) ? undefined : `row status ${String(r['status'])}`,
      ),
    },
  ];
  const rowsOf = (ctx: Ctx, columns: string[], status?: string): Allowed => ({
    table: 'issuance_rows',
    kind: 'changed',
    columns,
    where: about('job_id', ctx['id']!),
    ...(status ? { check: eq('status', status) } : {}),
  });
  const jobEdited = (ctx: Ctx): Allowed => ({
    table: 'issuance_jobs',
    kind: 'changed',
    columns: ['mapping', 'updated_at'],
    where: about('id', ctx['id']!),
    check: eq('status', 'draft'),
  });
  const webhookGone = (ctx: Ctx): Allowed[] => [
    { table: 'webhooks', kind: 'removed', where: about('id', ctx['id']!) },
    { table: 'webhook_deliveries', kind: 'removed', where: about('webhook_id', ctx['id']!) },
  ];
  const newWebhookRow = (w: World, createdBy: string | null): Allowed[] => [
    {
      table: 'webhooks',
      kind: 'added',
      check: all(inA(w), eq('created_by', createdBy), eq('disabled_at', null), madeNow(w), (r) =>
        String(r['secret_sealed']).includes('attacker') ? 'the caller chose the secret' : undefined,
      ),
    },
  ];
  const decisions = (w: World): Allowed[] => [
    { table: 'results', kind: 'added', check: inA(w) },
    { table: 'issuance_decisions', kind: 'added', check: all(inA(w), eq('template_id', w.res.A.template.id)) },
    ...issued(w),
  ];
  const RULE_KEYS = ['enabled', 'activities', 'mode', 'minScore', 'requirePassed', 'policy', 'renewWithinDays', 'delayMinutes'];
  const staff = (w: World) => own(w, 'staffA');
  const admin = (w: World) => own(w, 'adminA');

  return {
    // Templates (console).
    'POST /console/:slug/templates': {
      principal: 'staff',
      legit: ['imageId'],
      build: async (w) => ({ url: `/console/${slugA(w)}/templates`, form: editorForm() }),
      allowed: (w) => newTemplateRows(w, staff(w)),
    },
    'POST /console/:slug/templates/preview': {
      principal: 'staff',
      legit: ['imageId', 'templateId'],
      readOnly: true,
      build: async (w) => ({ url: `/console/${slugA(w)}/templates/preview`, form: editorForm() }),
      allowed: () => [],
    },
    'POST /console/:slug/templates/:id': {
      principal: 'staff',
      legit: ['imageId'],
      build: async (w) => {
        const id = (await w.newTemplate('A')).id;
        return { url: `/console/${slugA(w)}/templates/${id}`, form: editorForm(), ctx: { id } };
      },
      allowed: (w, ctx) => newVersion(w, ctx, staff(w)),
    },
    'POST /console/:slug/templates/:id/archive': {
      principal: 'staff',
      build: async (w) => {
        const id = (await w.newTemplate('A')).id;
        return { url: `/console/${slugA(w)}/templates/${id}/archive`, form: {}, ctx: { id } };
      },
      allowed: (w, ctx) => archived(w, ctx, true),
    },
    'POST /console/:slug/templates/:id/restore': {
      principal: 'staff',
      build: async (w) => {
        const id = (await w.newTemplate('A', { archived: true })).id;
        return { url: `/console/${slugA(w)}/templates/${id}/restore`, form: {}, ctx: { id } };
      },
      allowed: (w, ctx) => archived(w, ctx, false),
    },
    'POST /console/:slug/templates/:id/issue': {
      principal: 'staff',
      build: async (w) => ({ url: `/console/${slugA(w)}/templates/${w.res.A.template.id}/issue`, form: issueForm(w.uniqueEmail('ma-issue')) }),
      allowed: (w) => issued(w),
    },
    'POST /console/:slug/templates/:id/rules': {
      principal: 'staff',
      build: async (w) => ({
        url: `/console/${slugA(w)}/templates/${w.res.A.template.id}/rules`,
        form: { ...RULES_FORM, mode: 'any', activities: `sec-101 z3-${++n}` },
      }),
      allowed: (w) => [
        {
          table: 'templates',
          kind: 'changed',
          columns: ['rules'],
          where: about('id', w.res.A.template.id),
          check: (r) => {
            const extra = Object.keys(JSON.parse(String(r['rules'])) as object).filter((k) => !RULE_KEYS.includes(k));
            return extra.length ? `rules carry ${extra.join(',')}` : undefined;
          },
        },
      ],
    },
    // Issued credentials (console).
    'POST /console/:slug/credentials/:id/resend': {
      principal: 'staff',
      build: async (w) => {
        const id = (await w.newAward('A')).id;
        return { url: `/console/${slugA(w)}/credentials/${id}/resend`, form: {}, ctx: { id } };
      },
      allowed: (_w, ctx) => [
        { table: 'awards', kind: 'changed', columns: ['link_token_hash', 'mail_id'], where: about('id', ctx['id']!), check: eq('holder_user_id', null) },
      ],
    },
    'POST /console/:slug/credentials/:id/status': {
      principal: 'staff',
      legit: ['status'],
      build: async (w) => {
        const id = (await w.newAward('A')).id;
        return { url: `/console/${slugA(w)}/credentials/${id}/status`, form: { status: 'suspended', reason: 'Z3' }, ctx: { id } };
      },
      allowed: (_w, ctx) => statusOf(ctx, 'suspended_at'),
    },
    // Bulk issuance (console).
    'POST /console/:slug/bulk': {
      principal: 'staff',
      shape: 'multipart',
      build: async (w) => ({ url: `/console/${slugA(w)}/bulk`, multipart: bulkUpload(w.res.A.template.id, 3, { bad: { 3: 'Mauvais;pas-un-courriel;A;' } }) }),
      allowed: (w) => newJob(w, staff(w), 'draft'),
    },
    'POST /console/:slug/bulk/:jobId/mapping': {
      principal: 'staff',
      build: async (w) => {
        const { id } = await w.newDraftJob('A', { invalid: true });
        // Not the suggested mapping (the date column left out), so the job's mapping changes.
        return {
          url: `/console/${slugA(w)}/bulk/${id}/mapping`,
          form: { 'map.0': MAPPING_FORM['map.0'], 'map.1': MAPPING_FORM['map.1'], 'map.2': MAPPING_FORM['map.2'] },
          ctx: { id },
        };
      },
      allowed: (w, ctx) => [
        jobEdited(ctx),
        rowsOf(ctx, ['data', 'errors', 'status']),
        { table: 'templates', kind: 'changed', columns: ['mapping'], where: about('id', w.res.A.template.id) },
      ],
    },
    'POST /console/:slug/bulk/:jobId/rows/:rowNo': {
      principal: 'staff',
      build: async (w) => {
        const job = await w.newDraftJob('A', { invalid: true });
        return { url: `/console/${slugA(w)}/bulk/${job.id}/rows/${job.invalidRowNo}`, form: rowFixForm(w.uniqueEmail('ma-fix')), ctx: { id: job.id } };
      },
      allowed: (_w, ctx) => [jobEdited(ctx), rowsOf(ctx, ['cells', 'data', 'errors', 'status'])],
    },
    'POST /console/:slug/bulk/:jobId/rows/:rowNo/exclude': {
      principal: 'staff',
      build: async (w) => {
        const job = await w.newDraftJob('A', { invalid: true });
        return { url: `/console/${slugA(w)}/bulk/${job.id}/rows/${job.invalidRowNo}/exclude`, form: {}, ctx: { id: job.id } };
      },
      allowed: (_w, ctx) => [rowsOf(ctx, ['status'], 'excluded')],
    },
    'POST /console/:slug/bulk/:jobId/rows/:rowNo/include': {
      principal: 'staff',
      build: async (w) => {
        const job = await w.newDraftJob('A', { invalid: true });
        await setExcluded(w.t.container.deps, w.issuer('A'), { slug: slugA(w), jobId: job.id, rows: { rowNo: job.validRowNo }, excluded: true });
        return { url: `/console/${slugA(w)}/bulk/${job.id}/rows/${job.validRowNo}/include`, form: {}, ctx: { id: job.id } };
      },
      allowed: (_w, ctx) => [rowsOf(ctx, ['status'], 'valid')],
    },
    'POST /console/:slug/bulk/:jobId/exclude-invalid': {
      principal: 'staff',
      build: async (w) => {
        const { id } = await w.newDraftJob('A', { invalid: true });
        return { url: `/console/${slugA(w)}/bulk/${id}/exclude-invalid`, form: {}, ctx: { id } };
      },
      allowed: (_w, ctx) => [rowsOf(ctx, ['status'], 'excluded')],
    },
    'POST /console/:slug/bulk/:jobId/publish': {
      principal: 'staff',
      build: async (w) => {
        const { id } = await w.newDraftJob('A');
        return { url: `/console/${slugA(w)}/bulk/${id}/publish`, form: {}, ctx: { id } };
      },
      allowed: (_w, ctx) => [
        {
          table: 'issuance_jobs',
          kind: 'changed',
          columns: ['status', 'queued_at', 'updated_at'],
          where: about('id', ctx['id']!),
          check: all(eq('status', 'queued'), eq('issued_count', 0)),
        },
        rowsOf(ctx, ['status'], 'pending'),
      ],
    },
    // Images, results, webhooks (console).
    'POST /console/:slug/images': {
      principal: 'staff',
      shape: 'multipart',
      build: async (w) => ({ url: `/console/${slugA(w)}/images`, multipart: imageUpload() }),
      allowed: (w) => [{ table: 'images', kind: 'added', check: all(inA(w), eq('created_by', staff(w)), madeNow(w)) }],
    },
    'POST /console/:slug/results': {
      principal: 'staff',
      shape: 'multipart',
      build: async (w) => ({ url: `/console/${slugA(w)}/results`, multipart: resultsUpload(w.uniqueEmail('ma-results'), w.t.clock.now()) }),
      allowed: (w) => decisions(w),
    },
    'POST /console/:slug/webhooks': {
      principal: 'admin',
      legit: ['events'],
      build: async (w) => {
        await w.pruneWebhooks('A');
        return { url: `/console/${slugA(w)}/webhooks`, form: { url: webhookUrl(), events: WEBHOOK_EVENTS } };
      },
      allowed: (w) => newWebhookRow(w, admin(w)),
    },
    'POST /console/:slug/webhooks/:id/rotate': {
      principal: 'admin',
      build: async (w) => ({ url: `/console/${slugA(w)}/webhooks/${w.res.A.webhookId}/rotate`, form: {} }),
      allowed: (w) => [
        { table: 'webhooks', kind: 'changed', columns: ['secret_sealed'], where: about('id', w.res.A.webhookId), check: all(inA(w), eq('disabled_at', null)) },
      ],
    },
    'POST /console/:slug/webhooks/:id/delete': {
      principal: 'admin',
      build: async (w) => {
        const id = await w.newWebhook('A');
        return { url: `/console/${slugA(w)}/webhooks/${id}/delete`, form: {}, ctx: { id } };
      },
      allowed: (_w, ctx) => webhookGone(ctx),
    },
    'POST /console/:slug/webhook-deliveries/:id/redeliver': {
      principal: 'admin',
      build: async (w) => {
        const id = await w.newDeadDelivery('A');
        return { url: `/console/${slugA(w)}/webhook-deliveries/${id}/redeliver`, form: {}, ctx: { id } };
      },
      allowed: (w, ctx) => [
        {
          table: 'webhook_deliveries',
          kind: 'changed',
          columns: ['status', 'attempts', 'next_attempt_at', 'delivered_at'],
          where: about('id', ctx['id']!),
          check: all(inA(w), eq('status', 'pending'), eq('attempts', 0)),
        },
      ],
    },
    // The API (strict bodies: any extra field is a 400; the rules below apply if one ever got through).
    'POST /api/v1/templates': {
      principal: 'apiKey',
      build: async () => ({ url: '/api/v1/templates', json: templateJson() }),
      allowed: (w) => newTemplateRows(w, null),
    },
    'PUT /api/v1/templates/:id': {
      principal: 'apiKey',
      build: async (w) => {
        const id = (await w.newTemplate('A')).id;
        return { url: `/api/v1/templates/${id}`, json: templateJson(), ctx: { id } };
      },
      allowed: (w, ctx) => newVersion(w, ctx, null),
    },
    'POST /api/v1/templates/:id/archive': {
      principal: 'apiKey',
      build: async (w) => {
        const id = (await w.newTemplate('A')).id;
        return { url: `/api/v1/templates/${id}/archive`, json: {}, ctx: { id } };
      },
      allowed: (w, ctx) => archived(w, ctx, true),
    },
    'POST /api/v1/templates/:id/restore': {
      principal: 'apiKey',
      build: async (w) => {
        const id = (await w.newTemplate('A', { archived: true })).id;
        return { url: `/api/v1/templates/${id}/restore`, json: {}, ctx: { id } };
      },
      allowed: (w, ctx) => archived(w, ctx, false),
    },
    'POST /api/v1/credentials': {
      principal: 'apiKey',
      build: async (w) => ({ url: '/api/v1/credentials', json: { templateId: w.res.A.template.id, recipients: [recipientJson(w.uniqueEmail('ma-api'))] } }),
      allowed: (w) => issued(w),
    },
    'POST /api/v1/credentials/:id/revoke': {
      principal: 'apiKey',
      build: async (w) => {
        const id = (await w.newAward('A')).id;
        return { url: `/api/v1/credentials/${id}/revoke`, json: { reason: 'Z3' }, ctx: { id } };
      },
      allowed: (w, ctx) => [...statusOf(ctx, 'revoked_at'), { table: 'webhook_deliveries', kind: 'added', check: inA(w) }],
    },
    'POST /api/v1/credentials/:id/suspend': {
      principal: 'apiKey',
      build: async (w) => {
        const id = (await w.newAward('A')).id;
        return { url: `/api/v1/credentials/${id}/suspend`, json: { reason: 'Z3' }, ctx: { id } };
      },
      allowed: (_w, ctx) => statusOf(ctx, 'suspended_at'),
    },
    'POST /api/v1/credentials/:id/reactivate': {
      principal: 'apiKey',
      build: async (w) => {
        const id = (await w.newAward('A', { status: 'suspended' })).id;
        return { url: `/api/v1/credentials/${id}/reactivate`, json: {}, ctx: { id } };
      },
      allowed: (_w, ctx) => statusOf(ctx, 'none'),
    },
    'POST /api/v1/credentials/:id/resend': {
      principal: 'apiKey',
      build: async (w) => {
        const id = (await w.newAward('A')).id;
        return { url: `/api/v1/credentials/${id}/resend`, json: {}, ctx: { id } };
      },
      allowed: (_w, ctx) => [{ table: 'awards', kind: 'changed', columns: ['link_token_hash', 'mail_id'], where: about('id', ctx['id']!) }],
    },
    'POST /api/v1/issuance-jobs': {
      principal: 'apiKey',
      build: async (w) => ({ url: '/api/v1/issuance-jobs', json: { templateId: w.res.A.template.id, recipients: [recipientJson(w.uniqueEmail('ma-job'))] } }),
      allowed: (w) => newJob(w, null, 'queued'),
    },
    'POST /api/v1/results': {
      principal: 'apiKey',
      build: async (w) => ({ url: '/api/v1/results', json: resultsJson(w.uniqueEmail('ma-res'), w.t.clock.now()) }),
      allowed: (w) => decisions(w),
    },
    'POST /api/v1/webhooks': {
      principal: 'apiKey',
      build: async (w) => {
        await w.pruneWebhooks('A');
        return { url: '/api/v1/webhooks', json: { url: webhookUrl(), events: WEBHOOK_EVENTS } };
      },
      allowed: (w) => newWebhookRow(w, null),
    },
    'POST /api/v1/images': {
      principal: 'apiKey',
      shape: 'raw',
      build: async () => ({ url: '/api/v1/images', payload: solidPng(8, 8, `#${crypto.randomUUID().slice(0, 6)}`), contentType: 'image/png' }),
      allowed: (w) => [{ table: 'images', kind: 'added', check: all(inA(w), eq('created_by', null), madeNow(w)) }],
    },
    'DELETE /api/v1/webhooks/:id': {
      principal: 'apiKey',
      shape: 'raw',
      build: async (w) => {
        const id = await w.newWebhook('A');
        return { url: `/api/v1/webhooks/${id}`, ctx: { id } };
      },
      allowed: (_w, ctx) => webhookGone(ctx),
    },
  };
}

function extras(w: World, typed: boolean): Record<string, unknown> {
  return {
    orgId: w.orgB.id,
    org_id: w.orgB.id,
    role: 'admin',
    status: 'accepted',
    issuedAt: '2000-01-01T00:00:00.000Z',
    ownerId: w.users.adminB.id,
    revoked: typed ? true : 'true',
    isPlatformAdmin: typed ? 1 : '1',
    is_platform_admin: typed ? true : '1',
    userId: w.users.adminB.id,
    user_id: w.users.adminB.id,
    createdBy: w.users.adminB.id,
    invitedBy: w.users.adminB.id,
    // Issue 5: another organisation's objects, and the columns a route sets itself.
    templateId: w.res.B.template.id,
    template_id: w.res.B.template.id,
    jobId: w.res.B.draftJob.id,
    job_id: w.res.B.draftJob.id,
    imageId: w.res.B.imageId,
    webhookId: w.res.B.webhookId,
    holderUserId: w.users.adminB.id,
    holder_user_id: w.users.adminB.id,
    createdAt: '2000-01-01T00:00:00.000Z',
    created_at: '2000-01-01T00:00:00.000Z',
    revokedAt: '2000-01-01T00:00:00.000Z',
    suspendedAt: '2000-01-01T00:00:00.000Z',
    claimedAt: '2000-01-01T00:00:00.000Z',
    openedAt: '2000-01-01T00:00:00.000Z',
    archivedAt: '2000-01-01T00:00:00.000Z',
    publicId: 'attacker-chosen',
    credentialId: 'urn:uuid:00000000-0000-4000-8000-000000000000',
    issuedCount: typed ? 1_000_000 : '1000000',
    attempts: typed ? 0 : '0',
    secret: 'whsec_attacker',
    disabledAt: '2000-01-01T00:00:00.000Z',
  };
}

describe('Z3 mass assignment: extra fields are rejected or ignored on every write route', () => {
  let t: TestApp, w: World;

  beforeAll(async () => {
    t = await createTestApp();
    w = await seedWorld(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('every write route in the route table has a Z3 case', () => {
    const writes = routeTable(t.app)
      .filter((r) => !['GET', 'HEAD', 'OPTIONS'].includes(r.method))
      .map(routeKey)
      .sort();
    expect(writes.filter((k) => !CASES[k])).toEqual([]);
    expect(Object.keys(CASES).filter((k) => !writes.includes(k))).toEqual([]);
  });

  type Encoding = 'form' | 'json' | 'multipart' | 'query';
  /** Uploads: multipart; raw bodies and body-less routes: the query string; the API: JSON; other web forms: both. */
  const encodings = (key: string, c: Case): Encoding[] => {
    if (c.shape === 'multipart') return ['multipart'];
    if (c.shape === 'raw') return ['query'];
    return isApiPath(key.slice(key.indexOf(' ') + 1)) ? ['json'] : ['form', 'json'];
  };

  for (const [key, c] of Object.entries(CASES)) {
    const method = key.slice(0, key.indexOf(' '));
    for (const encoding of encodings(key, c)) {
      it(`${key} (${encoding}) as ${c.principal}`, async () => {
        const client = await w.principal(c.principal);
        const { ctx = {}, ...base } = await c.build(w);
        const fields = { ...(base.form ?? base.multipart?.fields ?? (base.json as Record<string, unknown>)) };
        const extra = Object.fromEntries(Object.entries(extras(w, encoding === 'json')).filter(([k]) => !(c.legit ?? []).includes(k) && !(k in fields)));
        const asText = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)]));
        const req: Req =
          encoding === 'form'
            ? { method, url: base.url, form: { ...(extra as Record<string, string>), ...(fields as Record<string, string>) } }
            : encoding === 'multipart'
              ? { method, url: base.url, multipart: { ...base.multipart!, fields: { ...asText(extra), ...(fields as Record<string, string>) } } }
              : encoding === 'query'
                ? { ...base, method, url: `${base.url}?${new URLSearchParams(asText(extra)).toString()}` }
                : { method, url: base.url, json: { ...extra, ...fields } };
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
        expect(outcome, `${key}: ${res.statusCode} ${res.body.slice(0, 300)}`).toBe('allow');
        const allowed = c.allowed(w, ctx);
        const problems: string[] = [];
        for (const d of diff) {
          const match = allowed.find(
            (a) =>
              a.table === d.table &&
              a.kind === d.kind &&
              (!a.where || a.where(d.before ?? d.row)) &&
              (d.kind !== 'changed' || !a.columns || d.columns.every((col) => a.columns!.includes(col))),
          );
          if (!match) {
            problems.push(`unexpected ${d.kind} in ${d.table}${d.kind === 'changed' ? ` (${d.columns.join(',')})` : ''}`);
            continue;
          }
          const problem = match.check?.(d.row);
          if (problem) problems.push(`${d.kind} in ${d.table}: ${problem}`);
        }
        expect(problems).toEqual([]);
        // The route did its job (so "ignored" is not vacuous).
        if (c.readOnly) expect(diff.map((d) => `${d.kind} ${d.table}`)).toEqual([]);
        else expect(diff.length, 'the request changed nothing').toBeGreaterThan(0);
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

  it("a template naming another organisation's image is refused (console and API), and nothing is written", async () => {
    const staff = await w.signIn('staffA');
    const api = w.apiClient(w.apiKeyA.key);
    await staff.csrf();
    await settle(t);
    const before = project(t);
    const web = await staff.send({ method: 'POST', url: `/console/${w.orgA.slug}/templates`, form: { ...editorForm(), imageId: w.res.B.imageId } });
    expect(web.statusCode).toBe(400);
    for (const [method, url] of [
      ['POST', '/api/v1/templates'],
      ['PUT', `/api/v1/templates/${w.res.A.template.id}`],
    ] as const) {
      const res = await api.send({ method, url, json: { ...templateJson(), imageId: w.res.B.imageId } });
      expect(res.statusCode, `${method} ${url}`).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'imageId' });
    }
    await settle(t);
    expect(changes(before, project(t)).map((d) => `${d.kind} ${d.table}`)).toEqual([]);
    // Its own image is accepted (control).
    const ok = await api.send({ method: 'POST', url: '/api/v1/templates', json: { ...templateJson(), imageId: w.res.A.imageId } });
    expect(ok.statusCode).toBe(201);
  });

  it('a profile update with isPlatformAdmin does not make the user a platform admin', async () => {
    const l2 = await w.signIn('l2');
    for (const body of [{ isPlatformAdmin: '1' }, { isPlatformAdmin: 'true', is_platform_admin: '1' }] as Record<string, string>[]) {
      const res = await l2.send({ method: 'POST', url: '/account/profile', form: { displayName: 'L2', locale: 'fr', ...body } });
      expect(res.statusCode).toBe(303);
    }
    const res = await l2.send({
      method: 'POST',
      url: '/account/profile',
      json: { displayName: 'L2', locale: 'fr', isPlatformAdmin: 1, is_platform_admin: true },
    });
    expect(res.statusCode).toBe(303);
    const row = sqliteOf(t).prepare('select is_platform_admin from users where id = ?').get(w.users.l2.id) as { is_platform_admin: number };
    expect(row.is_platform_admin).toBe(0);
    expect((await l2.send({ method: 'GET', url: '/admin/outbox' })).statusCode).toBe(404);
  });
});
