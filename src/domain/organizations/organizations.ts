/**
 * Organisations (tenants), memberships and roles, invitations and API keys.
 * Access rule: someone who is not a member gets NOT_FOUND, exactly as for an organisation that does not exist.
 * Every use case on an organisation takes `(deps, actor, input)`, names it by `input.slug` and calls `authorize`
 * (src/domain/shared/policies.ts) first.
 */
import { type AccountDeps, createSession, url } from '../accounts/accounts.js';
import { recordAudit } from '../shared/audit.js';
import { createIssuerKey } from '../credentials/issuer-identity.js';
import type { IssuerKeys } from '../credentials/ports.js';
import { DAY, MINUTE, addMs } from '../shared/clock.js';
import { AppError } from '../shared/errors.js';
import { type OrgScope, authorize, can } from '../shared/policies.js';
import {
  type Actor, type AuditEvent, type Locale, isLocale
} from '../shared/model.js';
import { checkPasswordPolicy } from '../accounts/password-policy.js';
import type { Repositories } from '../shared/store.js';
import { DEFAULT_TIME_ZONE, normalizeEmail, normalizeName, normalizeSlug, normalizeTimeZone, normalizeUrl } from '../shared/validation.js';
import type { User } from '../accounts/model.js';
import { type ApiKey, type Invitation, type MemberView, type Organization, isRole } from './model.js';

/** `issuerKeys`: when wired (always, through compose.ts), a new organisation gets its issuer key at creation. */
export type OrgDeps = AccountDeps & { issuerKeys?: IssuerKeys };
type UserActor = Extract<Actor, { kind: 'user' }>;

export const INVITATION_TTL_MS = 14 * DAY;
export const API_KEY_PREFIX = 'sceau_';

export function listMyOrganizations(deps: Pick<OrgDeps, 'store'>, actor: UserActor) {
  return deps.store.organizations.listForUser(actor.userId);
}

function normalizeLanguages(raw: unknown): Locale[] {
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : ['fr', 'en'];
  const langs = [...new Set(list.map((l) => String(l).trim()).filter(isLocale))];
  return langs.length ? langs : ['fr'];
}

export interface CreateOrganizationInput {
  name: unknown;
  slug: unknown;
  parentSlug?: unknown;
  languages?: unknown;
  logoUrl?: unknown;
  /** IANA name; `Europe/Paris` when absent. */
  timeZone?: unknown;
}

/** `tx`: run inside the caller's transaction (seeding creates an organisation and its first member together). */
export interface InTransaction {
  tx?: Repositories;
}

/** Creates an organisation (operators, platform admins). A parent makes it a member centre of a network. */
export async function createOrganization(deps: OrgDeps, actor: Actor, input: CreateOrganizationInput & InTransaction): Promise<Organization> {
  const { tx } = input;
  const name = normalizeName(input.name, 'name');
  const slug = normalizeSlug(input.slug);
  const logoUrl = normalizeUrl(input.logoUrl, 'logoUrl');
  const languages = normalizeLanguages(input.languages);
  const timeZone = input.timeZone === undefined || input.timeZone === '' ? DEFAULT_TIME_ZONE : normalizeTimeZone(input.timeZone);
  const run = async (t: Repositories) => {
    if (await t.organizations.findBySlug(slug)) throw new AppError('ORG_SLUG_TAKEN', { slug }, { field: 'slug' });
    let parentId: string | null = null;
    if (input.parentSlug !== undefined && input.parentSlug !== null && input.parentSlug !== '') {
      const parent = await t.organizations.findBySlug(normalizeSlug(input.parentSlug));
      if (!parent) throw new AppError('ORG_PARENT_NOT_FOUND', {}, { field: 'parent' });
      parentId = parent.id;
    }
    const org: Organization = { id: deps.secrets.newId(), slug, name, logoUrl, languages, parentId, createdAt: deps.clock.now(), timeZone };
    await t.organizations.create(org);
    if (deps.issuerKeys) await createIssuerKey(t, { ...deps, issuerKeys: deps.issuerKeys }, org.id);
    await recordAudit(t, deps, { actor, action: 'org.created', orgId: org.id, targetType: 'organization', targetId: org.id });
    return org;
  };
  return tx ? run(tx) : deps.store.transaction(run);
}

export async function updateOrganization(
  deps: OrgDeps, actor: Actor, input: { slug: string; name: unknown; logoUrl: unknown; languages: unknown; timeZone?: unknown },
): Promise<Organization> {
  const { org } = await authorize(deps, actor, { action: 'org.manage', slug: input.slug });
  const patch = {
    name: normalizeName(input.name, 'name'), logoUrl: normalizeUrl(input.logoUrl, 'logoUrl'), languages: normalizeLanguages(input.languages),
    // Absent (older forms, other clients): unchanged.
    ...(input.timeZone === undefined ? {} : { timeZone: normalizeTimeZone(input.timeZone) }),
  };
  await deps.store.transaction(async (tx) => {
    await tx.organizations.update(org.id, patch);
    await recordAudit(tx, deps, { actor, action: 'org.updated', orgId: org.id, targetType: 'organization', targetId: org.id });
  });
  return { ...org, ...patch };
}

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
export async function listMembers(deps: OrgDeps, actor: Actor, input: { slug: string }): Promise<OrgScope & { members: MemberView[]; invitations: Invitation[] }> {
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

// ---- Invitations -------------------------------------------------------------------------------------

/** Invites an address; the link is valid 14 days, single use, and replaces earlier invitations of that address. */
export async function inviteMember(
  deps: OrgDeps, actor: Actor, input: { slug?: string; email: unknown; role: unknown; locale?: unknown },
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
    const locale: Locale = invitee?.locale ?? (isLocale(input.locale) ? input.locale : org.languages[0] ?? 'fr');
    const inviter = actor.kind === 'user' ? await tx.users.findById(actor.userId) : undefined;
    await tx.invitations.revokePendingFor(org.id, email, now);
    const invitation: Invitation = {
      id: deps.secrets.newId(), orgId: org.id, email, role, locale, tokenHash: deps.secrets.hashToken(token),
      invitedBy: actor.kind === 'user' ? actor.userId : null, expiresAt: addMs(now, INVITATION_TTL_MS),
      acceptedAt: null, revokedAt: null, createdAt: now,
    };
    await tx.invitations.create(invitation);
    await tx.outbox.add({
      kind: 'invitation', to: email, locale,
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
        id: deps.secrets.newId(), displayName: newAccount.displayName, locale: invitation.locale,
        passwordHash: newAccount.passwordHash, isPlatformAdmin: false, createdAt: now,
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
    await recordAudit(tx, deps, { actor, action: 'invitation.accepted', orgId: org.id, targetType: 'invitation', targetId: invitation.id, details: { role: invitation.role } });
    return { org, user, session };
  });
}

// ---- API keys ----------------------------------------------------------------------------------------

/** Creates an API key. The key is returned once; only its SHA-256 is stored. */
export async function createApiKey(
  deps: OrgDeps, actor: Actor, input: { slug?: string; label?: unknown },
): Promise<{ key: string; apiKey: ApiKey }> {
  const { org } = await authorize(deps, actor, { action: 'org.manage', slug: input.slug });
  const label = input.label === undefined || input.label === '' ? 'API' : normalizeName(input.label, 'label', 100);
  const key = API_KEY_PREFIX + deps.secrets.newToken();
  const apiKey: ApiKey = {
    id: deps.secrets.newId(), orgId: org.id, label, prefix: key.slice(0, API_KEY_PREFIX.length + 6),
    createdBy: actor.kind === 'user' ? actor.userId : null, createdAt: deps.clock.now(), lastUsedAt: null, revokedAt: null,
  };
  await deps.store.transaction(async (tx) => {
    await tx.apiKeys.create({ ...apiKey, keyHash: deps.secrets.hashToken(key) });
    await recordAudit(tx, deps, { actor, action: 'apikey.created', orgId: org.id, targetType: 'api_key', targetId: apiKey.id });
  });
  return { key, apiKey };
}

export async function listApiKeys(deps: OrgDeps, actor: Actor, input: { slug: string }): Promise<OrgScope & { keys: ApiKey[] }> {
  const scope = await authorize(deps, actor, { action: 'org.manage', slug: input.slug });
  return { ...scope, keys: await deps.store.apiKeys.list(scope.org.id) };
}

export async function revokeApiKey(deps: OrgDeps, actor: Actor, input: { slug: string; apiKeyId: string }): Promise<void> {
  const { apiKeyId } = input;
  const { org } = await authorize(deps, actor, { action: 'org.manage', slug: input.slug });
  await deps.store.transaction(async (tx) => {
    if (!(await tx.apiKeys.revoke(org.id, apiKeyId, deps.clock.now()))) throw new AppError('NOT_FOUND');
    await recordAudit(tx, deps, { actor, action: 'apikey.revoked', orgId: org.id, targetType: 'api_key', targetId: apiKeyId });
  });
}

/** Resolves a bearer key to its organisation; AUTH_INVALID_API_KEY when unknown or revoked. */
export async function authenticateApiKey(deps: OrgDeps, raw: string): Promise<{ apiKey: ApiKey; org: Organization }> {
  if (!raw.startsWith(API_KEY_PREFIX) || raw.length > 100) throw new AppError('AUTH_INVALID_API_KEY');
  const apiKey = await deps.store.apiKeys.findByHash(deps.secrets.hashToken(raw));
  if (!apiKey || apiKey.revokedAt) throw new AppError('AUTH_INVALID_API_KEY');
  const org = await deps.store.organizations.findById(apiKey.orgId);
  if (!org) throw new AppError('AUTH_INVALID_API_KEY');
  const now = deps.clock.now();
  if (!apiKey.lastUsedAt || now.getTime() - apiKey.lastUsedAt.getTime() > MINUTE) await deps.store.apiKeys.touch(apiKey.id, now);
  return { apiKey, org };
}

// ---- Audit -------------------------------------------------------------------------------------------

export async function listOrgAudit(deps: OrgDeps, actor: Actor, input: { slug: string }): Promise<OrgScope & { events: AuditEvent[] }> {
  const scope = await authorize(deps, actor, { action: 'org.manage', slug: input.slug });
  return { ...scope, events: await deps.store.audit.listForOrg(scope.org.id, 200) };
}
