/**
 * Invitations to join an organisation: sent (single-use link, 14 days), revoked, opened and accepted (with a new
 * account when the address has none).
 */
import { url } from '../accounts/account-rules.js';
import { recordAudit } from '../shared/audit.js';
import { DAY, addMs } from '../shared/clock.js';
import { AppError } from '../shared/errors.js';
import { authorize } from '../shared/policies.js';
import { type Actor, type Locale, isLocale } from '../shared/model.js';
import { checkPasswordPolicy } from '../accounts/password-policy.js';
import { normalizeEmail, normalizeName } from '../shared/validation.js';
import type { User } from '../accounts/model.js';
import { type Invitation, type Organization, isRole } from './model.js';
import { type OrgDeps, type UserActor } from './manage-organizations.js';
import { createSession } from '../accounts/sign-in.js';

export const INVITATION_TTL_MS = 14 * DAY;

// ---- Members -----------------------------------------------------------------------------------------
// ---- Invitations -------------------------------------------------------------------------------------

/** Invites an address; the link is valid 14 days, single use, and replaces earlier invitations of that address. */
export async function inviteMember(
  deps: OrgDeps,
  actor: Actor,
  input: { slug?: string; email: unknown; role: unknown; locale?: unknown },
): Promise<Invitation> {
  const { org } = await authorize(deps, actor, { action: 'org.manage', slug: input.slug });
  const email = normalizeEmail(input.email);
  if (!isRole(input.role)) throw new AppError('ROLE_INVALID', {}, { field: 'role' });
  const role = input.role;
  const now = deps.clock.now();
  const token = deps.secrets.newToken();
  return deps.store.transaction(async (tx) => {
    const existing = await tx.users.findEmail(email);
    if (existing?.verifiedAt && (await tx.memberships.find(org.id, existing.userId))) {
      throw new AppError('MEMBER_ALREADY', {}, { field: 'email' });
    }
    const invitee = existing?.verifiedAt ? await tx.users.findById(existing.userId) : undefined;
    const locale: Locale = invitee?.locale ?? (isLocale(input.locale) ? input.locale : (org.languages[0] ?? 'fr'));
    const inviter = actor.kind === 'user' ? await tx.users.findById(actor.userId) : undefined;
    await tx.invitations.revokePendingFor(org.id, email, now);
    const invitation: Invitation = {
      id: deps.secrets.newId(),
      orgId: org.id,
      email,
      role,
      locale,
      tokenHash: deps.secrets.hashToken(token),
      invitedBy: actor.kind === 'user' ? actor.userId : null,
      expiresAt: addMs(now, INVITATION_TTL_MS),
      acceptedAt: null,
      revokedAt: null,
      createdAt: now,
    };
    await tx.invitations.create(invitation);
    await tx.outbox.add({
      kind: 'invitation',
      to: email,
      locale,
      params: { orgName: org.name, inviterName: inviter?.displayName ?? org.name, role, acceptUrl: url(deps, '/invitations/accept', { token }) },
    });
    await recordAudit(tx, deps, { actor, action: 'invitation.created', orgId: org.id, targetType: 'invitation', targetId: invitation.id, details: { role } });
    return invitation;
  });
}

export async function revokeInvitation(deps: OrgDeps, actor: Actor, input: { slug: string; invitationId: string }): Promise<void> {
  const { invitationId } = input;
  const { org } = await authorize(deps, actor, { action: 'org.manage', slug: input.slug });
  await deps.store.transaction(async (tx) => {
    if (!(await tx.invitations.revoke(org.id, invitationId, deps.clock.now()))) throw new AppError('NOT_FOUND');
    await recordAudit(tx, deps, { actor, action: 'invitation.revoked', orgId: org.id, targetType: 'invitation', targetId: invitationId });
  });
}

export interface InvitationView {
  invitation: Invitation;
  org: Organization;
  /** An account already owns the invited address: the invitee must sign in to accept. */
  hasAccount: boolean;
}

/** The pending invitation behind a link, or TOKEN_INVALID (unknown, expired, used or revoked). */
export async function getInvitationByToken(deps: OrgDeps, token: unknown): Promise<InvitationView> {
  const tokenHash = typeof token === 'string' && token.length <= 100 ? deps.secrets.hashToken(token) : '';
  const invitation = tokenHash ? await deps.store.invitations.findByTokenHash(tokenHash) : undefined;
  const now = deps.clock.now();
  if (!invitation || invitation.acceptedAt || invitation.revokedAt || invitation.expiresAt <= now) throw new AppError('TOKEN_INVALID');
  const org = await deps.store.organizations.findById(invitation.orgId);
  if (!org) throw new AppError('TOKEN_INVALID');
  const owner = await deps.store.users.findEmail(invitation.email);
  return { invitation, org, hasAccount: Boolean(owner?.verifiedAt) };
}

/**
 * Accepts an invitation. Signed in: the invited address must be one of the account's verified addresses.
 * Not signed in: the link proves control of the address, so a new account is created with it, verified.
 */
export async function acceptInvitation(
  deps: OrgDeps,
  input: { token: unknown; actor?: UserActor; displayName?: unknown; password?: unknown; ip?: string | null },
): Promise<{ org: Organization; user: User; session?: { token: string } }> {
  const view = await getInvitationByToken(deps, input.token);
  const { invitation, org } = view;
  const now = deps.clock.now();
  let newAccount: { displayName: string; passwordHash: string } | undefined;
  if (!input.actor) {
    if (view.hasAccount) throw new AppError('INVITATION_SIGN_IN_REQUIRED');
    const displayName = normalizeName(input.displayName);
    const password = checkPasswordPolicy(input.password, { common: deps.commonPasswords, contextWords: [org.name, org.slug] });
    newAccount = { displayName, passwordHash: await deps.passwords.hash(password) };
  }
  return deps.store.transaction(async (tx) => {
    let user: User | undefined;
    if (input.actor) {
      user = await tx.users.findById(input.actor.userId);
      const emails = await tx.users.listEmails(input.actor.userId);
      if (!user || !emails.some((e) => e.email === invitation.email && e.verifiedAt)) throw new AppError('INVITATION_EMAIL_MISMATCH');
    }
    if (!(await tx.invitations.accept(invitation.id, now))) throw new AppError('TOKEN_INVALID');
    let session: { token: string } | undefined;
    if (newAccount) {
      if (await tx.users.findEmail(invitation.email)) throw new AppError('INVITATION_SIGN_IN_REQUIRED');
      user = {
        id: deps.secrets.newId(),
        displayName: newAccount.displayName,
        locale: invitation.locale,
        passwordHash: newAccount.passwordHash,
        isPlatformAdmin: false,
        createdAt: now,
      };
      await tx.users.create(user);
      await tx.users.addEmail({ id: deps.secrets.newId(), userId: user.id, email: invitation.email, isPrimary: true, verifiedAt: now, createdAt: now });
      session = { token: (await createSession(deps, user.id, tx)).token };
    }
    if (!user) throw new AppError('TOKEN_INVALID');
    const actor: UserActor = input.actor ?? { kind: 'user', userId: user.id, isPlatformAdmin: false, ip: input.ip ?? null };
    if (!(await tx.memberships.find(org.id, user.id))) {
      await tx.memberships.add({ orgId: org.id, userId: user.id, role: invitation.role, createdAt: now });
    }
    await recordAudit(tx, deps, {
      actor,
      action: 'invitation.accepted',
      orgId: org.id,
      targetType: 'invitation',
      targetId: invitation.id,
      details: { role: invitation.role },
    });
    return { org, user, session };
  });
}
