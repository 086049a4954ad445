/**
 * The permissions table and `authorize` (src/domain/shared/policies.ts). The expected rights are written out here,
 * independently of PERMISSIONS, so a changed table fails until this test is changed with it.
 */
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/shared/errors.js';
import type { Actor } from '../../src/domain/shared/model.js';
import { type Action, PERMISSIONS, type Standing, authorize, can } from '../../src/domain/shared/policies.js';
import type { Membership, Organization, Role } from '../../src/domain/organizations/model.js';

const ROLES: Role[] = ['admin', 'staff', 'reviewer'];

/** Who may take each action: 'A' admin, 'S' staff, 'R' reviewer. */
const EXPECTED: Record<Action, string> = {
  'org.view': 'ASR',
  'org.manage': 'A',
  'webhooks.manage': 'A',
  'templates.view': 'ASR',
  'templates.edit': 'AS',
  'credentials.view': 'ASR',
  'credentials.issue': 'AS',
  'results.view': 'ASR',
  'results.manage': 'AS',
};
const LETTER: Record<Role, string> = { admin: 'A', staff: 'S', reviewer: 'R' };
const ACTIONS = Object.keys(EXPECTED) as Action[];

const org = (slug: string, id: string): Organization => ({
  id,
  slug,
  name: slug,
  logoUrl: null,
  languages: ['fr'],
  parentId: null,
  createdAt: new Date('2026-01-01T00:00:00Z'),
  timeZone: 'Europe/Paris',
});
const ORG_A = org('org-a', 'id-a');
const ORG_B = org('org-b', 'id-b');

/** An in-memory store with org A (one member per role) and org B (no members). */
function fakeDeps() {
  const orgs = [ORG_A, ORG_B];
  const memberships: Membership[] = ROLES.map((role) => ({ orgId: ORG_A.id, userId: `u-${role}`, role, createdAt: ORG_A.createdAt }));
  const store = {
    organizations: {
      findBySlug: async (slug: string) => orgs.find((o) => o.slug === slug),
      findById: async (id: string) => orgs.find((o) => o.id === id),
    },
    memberships: {
      find: async (orgId: string, userId: string) => memberships.find((m) => m.orgId === orgId && m.userId === userId),
    },
  };
  return { store } as unknown as Parameters<typeof authorize>[0];
}

const user = (userId: string, isPlatformAdmin = false): Actor => ({ kind: 'user', userId, isPlatformAdmin });
const member = (role: Role) => user(`u-${role}`) as Extract<Actor, { kind: 'user' }>;
const apiKeyOf = (o: Organization): Actor => ({ kind: 'apiKey', apiKeyId: `k-${o.id}`, orgId: o.id });
const system: Actor = { kind: 'system' };

/** The outcome of `authorize`: the standing, or the error code. */
async function outcome(actor: Actor, action: Action, slug?: string): Promise<string> {
  try {
    const scope = await authorize(fakeDeps(), actor, { action, slug });
    return `ok:${scope.org.slug}:${scope.standing}`;
  } catch (e) {
    if (e instanceof AppError) return e.code;
    throw e;
  }
}

describe('PERMISSIONS', () => {
  it('names exactly the expected actions', () => {
    expect(Object.keys(PERMISSIONS).sort()).toEqual([...ACTIONS].sort());
  });

  it.each(ROLES)('can(%s, action) follows the table for every action', (role) => {
    for (const action of ACTIONS) expect(can(role, action), `${role} × ${action}`).toBe(EXPECTED[action].includes(LETTER[role]));
  });

  it('API keys and the operator act with every right', () => {
    for (const standing of ['apiKey', 'system'] as Standing[]) {
      for (const action of ACTIONS) expect(can(standing, action), `${standing} × ${action}`).toBe(true);
    }
  });
});

describe('authorize', () => {
  it.each(ROLES)('a member (%s) gets the organisation and its role, or FORBIDDEN for an action its role lacks', async (role) => {
    for (const action of ACTIONS) {
      const expected = EXPECTED[action].includes(LETTER[role]) ? `ok:org-a:${role}` : 'FORBIDDEN';
      expect(await outcome(member(role), action, 'org-a'), `${role} × ${action}`).toBe(expected);
    }
  });

  it('an outsider gets NOT_FOUND (never FORBIDDEN), exactly as for an organisation that does not exist', async () => {
    for (const action of ACTIONS) {
      expect(await outcome(user('u-stranger'), action, 'org-a')).toBe('NOT_FOUND');
      expect(await outcome(user('u-stranger', true), action, 'org-a'), 'platform admin, not a member').toBe('NOT_FOUND');
      expect(await outcome(member('admin'), action, 'org-b'), 'admin of another organisation').toBe('NOT_FOUND');
      expect(await outcome(member('reviewer'), action, 'org-b'), 'a reviewer elsewhere is an outsider here').toBe('NOT_FOUND');
      expect(await outcome(member('admin'), action, 'no-such-org')).toBe('NOT_FOUND');
    }
  });

  it('a person must name the organisation: a missing or malformed slug is NOT_FOUND', async () => {
    for (const slug of [undefined, '', 'Org-A', '../org-a', 'org_a', 'x'.repeat(64)]) {
      expect(await outcome(member('admin'), 'org.view', slug), String(slug)).toBe('NOT_FOUND');
    }
  });

  it('an API key acts in its own organisation only (slug omitted or its own), with every right', async () => {
    for (const action of ACTIONS) {
      expect(await outcome(apiKeyOf(ORG_A), action), action).toBe('ok:org-a:apiKey');
      expect(await outcome(apiKeyOf(ORG_A), action, 'org-a'), action).toBe('ok:org-a:apiKey');
      expect(await outcome(apiKeyOf(ORG_A), action, 'org-b'), action).toBe('NOT_FOUND');
      expect(await outcome(apiKeyOf(ORG_A), action, 'no-such-org'), action).toBe('NOT_FOUND');
      expect(await outcome(apiKeyOf(ORG_B), action, 'org-a'), action).toBe('NOT_FOUND');
    }
    expect(await outcome(apiKeyOf(org('gone', 'id-gone')), 'org.view'), 'key of a deleted organisation').toBe('NOT_FOUND');
  });

  it('the operator acts in any organisation that exists', async () => {
    for (const action of ACTIONS) {
      expect(await outcome(system, action, 'org-a')).toBe('ok:org-a:system');
      expect(await outcome(system, action, 'org-b')).toBe('ok:org-b:system');
      expect(await outcome(system, action, 'no-such-org')).toBe('NOT_FOUND');
      expect(await outcome(system, action)).toBe('NOT_FOUND');
    }
  });
});
