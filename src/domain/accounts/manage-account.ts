/**
 * The signed-in person's own account: profile, password change (recent authentication), e-mail addresses (added
 * with a code, primary, removed).
 */
import { recordAudit } from '../shared/audit.js';
import { addMs } from '../shared/clock.js';
import { AppError } from '../shared/errors.js';
import type { Actor, Locale } from '../shared/model.js';
import { checkPasswordPolicy } from './password-policy.js';
import { normalizeEmail, normalizeName } from '../shared/validation.js';
import type { User, UserEmail } from './model.js';
import { type AccountDeps, CODE_TTL_MS, passwordRules, checkCode } from './account-rules.js';

// ---- Sign-in and sessions ------------------------------------------------------------------------------
// ---- Password reset and change -------------------------------------------------------------------------

/** Changes the password (current one required), ends every other session, sends a notice. */
export async function changePassword(
  deps: AccountDeps,
  actor: Extract<Actor, { kind: 'user' }>,
  input: { sessionIdHash: string; current: unknown; next: unknown },
): Promise<void> {
  const user = await deps.store.users.findById(actor.userId);
  if (!user) throw new AppError('AUTH_REQUIRED');
  await assertPassword(deps, user, input.current);
  const next = checkPasswordPolicy(input.next, passwordRules(deps));
  const passwordHash = await deps.passwords.hash(next);
  await deps.store.transaction(async (tx) => {
    await tx.users.update(user.id, { passwordHash });
    await tx.sessions.deleteForUser(user.id, input.sessionIdHash);
    await tx.passwordResets.invalidateForUser(user.id, deps.clock.now());
    const to = await tx.users.primaryEmail(user.id);
    if (to) await tx.outbox.add({ kind: 'password.changed', to, locale: user.locale, params: { name: user.displayName } });
    await recordAudit(tx, deps, { actor, action: 'auth.password_changed', targetType: 'user', targetId: user.id });
  });
}

async function assertPassword(deps: AccountDeps, user: User, given: unknown): Promise<void> {
  const ok = user.passwordHash && typeof given === 'string' && given.length <= 1024 ? await deps.passwords.verify(user.passwordHash, given) : false;
  if (!ok) throw new AppError('PASSWORD_CURRENT_WRONG', {}, { field: 'currentPassword' });
}

// ---- Profile and e-mail addresses ----------------------------------------------------------------------

export async function updateProfile(
  deps: AccountDeps,
  actor: Extract<Actor, { kind: 'user' }>,
  input: { displayName: unknown; locale: Locale },
): Promise<void> {
  const displayName = normalizeName(input.displayName);
  await deps.store.transaction(async (tx) => {
    await tx.users.update(actor.userId, { displayName, locale: input.locale });
    await recordAudit(tx, deps, { actor, action: 'account.profile_updated', targetType: 'user', targetId: actor.userId });
  });
}

export async function listEmails(deps: Pick<AccountDeps, 'store'>, userId: string): Promise<UserEmail[]> {
  return deps.store.users.listEmails(userId);
}

/**
 * Adds an address: needs the current password, then a code sent to the new address. An address owned by
 * another account gets a notice instead of a code, and the caller cannot tell the difference.
 */
export async function startAddEmail(
  deps: AccountDeps,
  actor: Extract<Actor, { kind: 'user' }>,
  input: { email: unknown; password: unknown },
): Promise<{ flowId: string }> {
  const user = await deps.store.users.findById(actor.userId);
  if (!user) throw new AppError('AUTH_REQUIRED');
  const email = normalizeEmail(input.email);
  await assertPassword(deps, user, input.password);
  const owner = await deps.store.users.findEmail(email);
  if (owner?.userId === user.id && owner.verifiedAt) throw new AppError('EMAIL_ALREADY_ADDED', {}, { field: 'email' });
  const isTaken = Boolean(owner && owner.userId !== user.id && owner.verifiedAt);
  const now = deps.clock.now();
  const flowId = deps.secrets.newPublicId();
  const code = deps.secrets.newCode();
  await deps.store.transaction(async (tx) => {
    await tx.codes.invalidate('add_email', email, now);
    await tx.codes.create({
      id: flowId,
      purpose: 'add_email',
      email,
      userId: user.id,
      codeHash: deps.secrets.hashToken(code),
      payload: isTaken ? { taken: true } : null,
      expiresAt: addMs(now, CODE_TTL_MS),
      createdAt: now,
    });
    if (!isTaken) await tx.outbox.add({ kind: 'email.add-code', to: email, locale: user.locale, params: { name: user.displayName, code } });
  });
  return { flowId };
}

export async function verifyAddEmail(deps: AccountDeps, actor: Extract<Actor, { kind: 'user' }>, input: { flowId: unknown; code: unknown }): Promise<void> {
  const flow = typeof input.flowId === 'string' ? await deps.store.codes.findById(input.flowId) : undefined;
  const mine = flow && flow.purpose === 'add_email' && flow.userId === actor.userId ? flow : undefined;
  const checked = await checkCode(deps, mine, input.code, () => deps.secrets.mac('code-account', actor.userId));
  const now = deps.clock.now();
  await deps.store.transaction(async (tx) => {
    if (!(await tx.codes.consume(checked.id, now))) throw new AppError('CODE_EXPIRED', {}, { field: 'code' });
    const existing = await tx.users.findEmail(checked.email);
    if (existing && existing.verifiedAt) throw new AppError('CODE_EXPIRED', {}, { field: 'code' });
    if (existing) await tx.users.removeEmail(existing.userId, existing.id);
    await tx.users.addEmail({ id: deps.secrets.newId(), userId: actor.userId, email: checked.email, isPrimary: false, verifiedAt: now, createdAt: now });
    const user = await tx.users.findById(actor.userId);
    const primary = await tx.users.primaryEmail(actor.userId);
    if (user && primary) {
      await tx.outbox.add({ kind: 'email.added-notice', to: primary, locale: user.locale, params: { name: user.displayName, email: checked.email } });
    }
    await recordAudit(tx, deps, { actor, action: 'account.email_added', targetType: 'user', targetId: actor.userId });
  });
}

export async function setPrimaryEmail(deps: AccountDeps, actor: Extract<Actor, { kind: 'user' }>, emailId: string): Promise<void> {
  await deps.store.transaction(async (tx) => {
    const email = (await tx.users.listEmails(actor.userId)).find((e) => e.id === emailId);
    if (!email) throw new AppError('NOT_FOUND');
    if (!email.verifiedAt) throw new AppError('EMAIL_NOT_VERIFIED');
    await tx.users.setPrimaryEmail(actor.userId, emailId);
    await recordAudit(tx, deps, { actor, action: 'account.primary_email_changed', targetType: 'user', targetId: actor.userId });
  });
}

export async function removeEmail(deps: AccountDeps, actor: Extract<Actor, { kind: 'user' }>, emailId: string): Promise<void> {
  await deps.store.transaction(async (tx) => {
    const emails = await tx.users.listEmails(actor.userId);
    const email = emails.find((e) => e.id === emailId);
    if (!email) throw new AppError('NOT_FOUND');
    if (email.isPrimary || emails.length === 1) throw new AppError('EMAIL_CANNOT_REMOVE_PRIMARY');
    await tx.users.removeEmail(actor.userId, emailId);
    await recordAudit(tx, deps, { actor, action: 'account.email_removed', targetType: 'user', targetId: actor.userId });
  });
}
