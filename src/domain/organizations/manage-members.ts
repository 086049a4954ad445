/**
 * Members and their roles: added, listed, role changed, removed (never the last administrator).
 */
import { recordAudit } from '../shared/audit.js';
import { AppError } from '../shared/errors.js';
import { type OrgScope, authorize, can } from '../shared/policies.js';
import type { Actor } from '../shared/model.js';
import type { Repositories } from '../shared/store.js';
import { type Invitation, type MemberView, isRole } from './model.js';
import { type OrgDeps, type InTransaction } from './manage-organizations.js';

/** Adds an existing account to an organisation (operators). */
export async function addMember(deps: OrgDeps, actor: Actor, input: { slug: string; userId: string; role: unknown } & InTransaction): Promise<void> {
  const { tx } = input;
  if (!isRole(input.role)) throw new AppError('ROLE_INVALID', {}, { field: 'role' });
  const role = input.role;
  const run = async (t: Repositories) => {
    // Resolved within the transaction: the organisation may have been created in it.
    const { org } = await authorize({ store: t }, actor, { action: 'org.manage', slug: input.slug });
    if (await t.memberships.find(org.id, input.userId)) throw new AppError('MEMBER_ALREADY');
    await t.memberships.add({ orgId: org.id, userId: input.userId, role, createdAt: deps.clock.now() });
    await recordAudit(t, deps, { actor, action: 'member.added', orgId: org.id, targetType: 'user', targetId: input.userId, details: { role } });
  };
  await (tx ? run(tx) : deps.store.transaction(run));
}

// ---- Members -----------------------------------------------------------------------------------------

/** Every member may see the members; pending invitations are shown to those who manage the organisation. */
export async function listMembers(
  deps: OrgDeps,
  actor: Actor,
  input: { slug: string },
): Promise<OrgScope & { members: MemberView[]; invitations: Invitation[] }> {
  const scope = await authorize(deps, actor, { action: 'org.view', slug: input.slug });
  const members = await deps.store.memberships.list(scope.org.id);
  const invitations = can(scope.standing, 'org.manage') ? await deps.store.invitations.listPending(scope.org.id, deps.clock.now()) : [];
  return { ...scope, members, invitations };
}

async function assertNotLastAdmin(tx: Repositories, orgId: string, userId: string): Promise<void> {
  const m = await tx.memberships.find(orgId, userId);
  if (m?.role === 'admin' && (await tx.memberships.countAdmins(orgId)) <= 1) throw new AppError('MEMBER_LAST_ADMIN');
}

export async function changeMemberRole(deps: OrgDeps, actor: Actor, input: { slug: string; userId: string; role: unknown }): Promise<void> {
  const { userId, role } = input;
  const { org } = await authorize(deps, actor, { action: 'org.manage', slug: input.slug });
  if (!isRole(role)) throw new AppError('ROLE_INVALID', {}, { field: 'role' });
  await deps.store.transaction(async (tx) => {
    if (!(await tx.memberships.find(org.id, userId))) throw new AppError('NOT_FOUND');
    if (role !== 'admin') await assertNotLastAdmin(tx, org.id, userId);
    await tx.memberships.updateRole(org.id, userId, role);
    await recordAudit(tx, deps, { actor, action: 'member.role_changed', orgId: org.id, targetType: 'user', targetId: userId, details: { role } });
  });
}

export async function removeMember(deps: OrgDeps, actor: Actor, input: { slug: string; userId: string }): Promise<void> {
  const { userId } = input;
  const { org } = await authorize(deps, actor, { action: 'org.manage', slug: input.slug });
  await deps.store.transaction(async (tx) => {
    if (!(await tx.memberships.find(org.id, userId))) throw new AppError('NOT_FOUND');
    await assertNotLastAdmin(tx, org.id, userId);
    await tx.memberships.remove(org.id, userId);
    await recordAudit(tx, deps, { actor, action: 'member.removed', orgId: org.id, targetType: 'user', targetId: userId });
  });
}
