/**
 * Sign-in with per-account throttling (unknown accounts cost the same), and sessions: created, resolved with idle
 * and absolute limits, ended.
 */
import { recordAudit } from '../shared/audit.js';
import { MINUTE, addMs } from '../shared/clock.js';
import { AppError } from '../shared/errors.js';
import type { Repositories } from '../shared/store.js';
import type { Session, User } from './model.js';
import { type AccountDeps, SESSION_IDLE_MS, SESSION_ABSOLUTE_MS, LOGIN_FREE_FAILURES, LOGIN_MAX_DELAY_MS } from './account-rules.js';

// ---- Sign-in and sessions ------------------------------------------------------------------------------

/**
 * Password sign-in, throttled per account key (not per IP, A3): after 5 failures each attempt waits
 * 2^(n−5) s, capped at 15 min; blocked attempts are not evaluated. Unknown accounts cost the same (dummy hash).
 */
export async function signIn(deps: AccountDeps, input: { email: unknown; password: unknown; ip?: string | null }): Promise<User> {
  const now = deps.clock.now();
  const rawEmail = typeof input.email === 'string' ? input.email.trim().toLowerCase().slice(0, 320) : '';
  const password = typeof input.password === 'string' ? input.password.slice(0, 1024) : '';
  const key = deps.secrets.mac('login', rawEmail);
  const throttle = await deps.store.throttles.get(key);
  if (throttle?.blockedUntil && throttle.blockedUntil > now) {
    const retryAfter = Math.ceil((throttle.blockedUntil.getTime() - now.getTime()) / 1000);
    throw new AppError('AUTH_THROTTLED', { retryAfter });
  }
  const found = rawEmail ? await deps.store.users.findByEmail(rawEmail) : undefined;
  const hash = found?.email.verifiedAt ? found.user.passwordHash : null;
  const isValid = hash ? await deps.passwords.verify(hash, password) : (await deps.passwords.verifyDummy(password), false);
  if (!isValid || !found) {
    const failures = (throttle?.failures ?? 0) + 1;
    const delay = failures >= LOGIN_FREE_FAILURES ? Math.min(LOGIN_MAX_DELAY_MS, 1000 * 2 ** (failures - LOGIN_FREE_FAILURES)) : 0;
    await deps.store.throttles.put({
      key,
      failures,
      windowStartedAt: throttle?.windowStartedAt ?? now,
      blockedUntil: delay ? addMs(now, delay) : null,
    });
    if (found) {
      await recordAudit(deps.store, deps, {
        actor: { kind: 'system' },
        action: 'auth.sign_in_failed',
        targetType: 'user',
        targetId: found.user.id,
        ip: input.ip ?? null,
      });
    }
    throw new AppError('AUTH_INVALID_CREDENTIALS');
  }
  if (throttle) await deps.store.throttles.clear(key);
  await recordAudit(deps.store, deps, {
    actor: { kind: 'user', userId: found.user.id, isPlatformAdmin: found.user.isPlatformAdmin, ip: input.ip ?? null },
    action: 'auth.signed_in',
    targetType: 'user',
    targetId: found.user.id,
  });
  return found.user;
}

/** Opens a session: a fresh 256-bit token for the cookie; only its SHA-256 is stored. */
export async function createSession(
  deps: Pick<AccountDeps, 'store' | 'clock' | 'secrets'>,
  userId: string,
  tx?: Repositories,
): Promise<{ token: string; session: Session }> {
  const now = deps.clock.now();
  const token = deps.secrets.newToken();
  const session: Session = {
    idHash: deps.secrets.hashToken(token),
    userId,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: addMs(now, SESSION_ABSOLUTE_MS),
    reauthenticatedAt: now,
  };
  await (tx ?? deps.store).sessions.create(session);
  return { token, session };
}

/** Resolves a cookie token; ends sessions idle for 30 min or older than 12 h (A12). */
export async function resolveSession(
  deps: Pick<AccountDeps, 'store' | 'clock' | 'secrets'>,
  token: string,
): Promise<{ session: Session; user: User } | undefined> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
  const idHash = deps.secrets.hashToken(token);
  const session = await deps.store.sessions.findByHash(idHash);
  if (!session) return undefined;
  const now = deps.clock.now();
  if (now >= session.expiresAt || now.getTime() - session.lastSeenAt.getTime() > SESSION_IDLE_MS) {
    await deps.store.sessions.delete(idHash);
    return undefined;
  }
  const user = await deps.store.users.findById(session.userId);
  if (!user) return undefined;
  if (now.getTime() - session.lastSeenAt.getTime() > MINUTE) await deps.store.sessions.touch(idHash, now);
  return { session, user };
}

export async function endSession(deps: Pick<AccountDeps, 'store' | 'secrets'>, token: string): Promise<void> {
  await deps.store.sessions.delete(deps.secrets.hashToken(token));
}
