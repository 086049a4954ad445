/**
 * Password reset by a single-use link sent to a verified address; every session ends afterwards and a notice is sent.
 */
import { recordAudit } from '../shared/audit.js';
import { addMs } from '../shared/clock.js';
import { AppError } from '../shared/errors.js';
import { checkPasswordPolicy } from './password-policy.js';
import { normalizeEmail } from '../shared/validation.js';
import type { User } from './model.js';
import { type AccountDeps, RESET_TTL_MS, url, passwordRules } from './account-rules.js';

// ---- Sign-in and sessions ------------------------------------------------------------------------------
// ---- Password reset and change -------------------------------------------------------------------------

/** Always answers the same; mails a 30-minute single-use link when the address has an account. */
export async function requestPasswordReset(deps: AccountDeps, input: { email: unknown; ip?: string | null }): Promise<void> {
  let email: string;
  try {
    email = normalizeEmail(input.email);
  } catch {
    return;
  }
  const found = await deps.store.users.findByEmail(email);
  if (!found?.email.verifiedAt) return;
  const now = deps.clock.now();
  const token = deps.secrets.newToken();
  await deps.store.transaction(async (tx) => {
    await tx.passwordResets.invalidateForUser(found.user.id, now);
    await tx.passwordResets.create({ tokenHash: deps.secrets.hashToken(token), userId: found.user.id, expiresAt: addMs(now, RESET_TTL_MS), createdAt: now });
    await tx.outbox.add({
      kind: 'password.reset',
      to: email,
      locale: found.user.locale,
      params: { name: found.user.displayName, resetUrl: url(deps, '/password/reset', { token }) },
    });
    await recordAudit(tx, deps, {
      actor: { kind: 'system' },
      action: 'auth.password_reset_requested',
      targetType: 'user',
      targetId: found.user.id,
      ip: input.ip ?? null,
    });
  });
}

/** True when the link can still be used (the form is shown only then). */
export async function isResetTokenValid(deps: AccountDeps, token: unknown): Promise<boolean> {
  if (typeof token !== 'string' || token.length > 100) return false;
  return Boolean(await deps.store.passwordResets.findValid(deps.secrets.hashToken(token), deps.clock.now()));
}

/** Uses the link once (race-safe), sets the password, ends every session and sends a notice (A6, A9). */
export async function resetPassword(deps: AccountDeps, input: { token: unknown; password: unknown; ip?: string | null }): Promise<User> {
  const token = typeof input.token === 'string' && input.token.length <= 100 ? input.token : '';
  if (!token || !(await isResetTokenValid(deps, token))) throw new AppError('TOKEN_INVALID');
  const password = checkPasswordPolicy(input.password, passwordRules(deps));
  const passwordHash = await deps.passwords.hash(password);
  const now = deps.clock.now();
  return deps.store.transaction(async (tx) => {
    const userId = await tx.passwordResets.consume(deps.secrets.hashToken(token), now);
    if (!userId) throw new AppError('TOKEN_INVALID');
    const user = await tx.users.findById(userId);
    if (!user) throw new AppError('TOKEN_INVALID');
    await tx.users.update(userId, { passwordHash });
    await tx.sessions.deleteForUser(userId);
    await tx.passwordResets.invalidateForUser(userId, now);
    const to = await tx.users.primaryEmail(userId);
    if (to) await tx.outbox.add({ kind: 'password.changed', to, locale: user.locale, params: { name: user.displayName } });
    await recordAudit(tx, deps, {
      actor: { kind: 'user', userId, isPlatformAdmin: user.isPlatformAdmin, ip: input.ip ?? null },
      action: 'auth.password_reset',
      targetType: 'user',
      targetId: userId,
    });
    return { ...user, passwordHash };
  });
}
