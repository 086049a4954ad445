/**
 * Person accounts: sign-up with an e-mail code, sign-in with per-account throttling, sessions, password reset
 * and change, several e-mail addresses per account. Pure rules over ports; no HTTP here.
 */
import { recordAudit } from '../shared/audit.js';
import { HOUR, MINUTE, addMs } from '../shared/clock.js';
import { AppError } from '../shared/errors.js';
import type { Actor, Locale } from '../shared/model.js';
import { checkPasswordPolicy } from './password-policy.js';
import type { Clock, Secrets } from '../shared/ports.js';
import type { Repositories, Store } from '../shared/store.js';
import { normalizeEmail, normalizeName } from '../shared/validation.js';
import type { EmailCode, Session, User, UserEmail } from './model.js';
import type { PasswordHasher } from './ports.js';

export interface AccountDeps {
  store: Store;
  clock: Clock;
  secrets: Secrets;
  passwords: PasswordHasher;
  commonPasswords: ReadonlySet<string>;
  baseUrl: URL;
}

/** Lifetimes and limits (security checks A3, A7, A8, A12). */
export const CODE_TTL_MS = 10 * MINUTE;
export const CODE_MAX_ATTEMPTS = 5;
export const CODE_FAILURES_PER_HOUR = 10;
export const RESET_TTL_MS = 30 * MINUTE;
export const SESSION_IDLE_MS = 30 * MINUTE;
export const SESSION_ABSOLUTE_MS = 12 * HOUR;
export const LOGIN_FREE_FAILURES = 5;
export const LOGIN_MAX_DELAY_MS = 15 * MINUTE;
/** A sensitive change (adding an e-mail) needs the password again, or a sign-in younger than this. */
export const REAUTH_WINDOW_MS = 5 * MINUTE;

export function url(deps: { baseUrl: URL }, path: string, query: Record<string, string> = {}): string {
  const u = new URL(path, deps.baseUrl);
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
  return u.toString();
}

function passwordRules(deps: AccountDeps, extraWords: string[] = []) {
  return { common: deps.commonPasswords, contextWords: extraWords };
}

// ---- Sign-up -----------------------------------------------------------------------------------------

export interface StartSignUpInput {
  email: unknown;
  displayName: unknown;
  password: unknown;
  locale: Locale;
}

/**
 * Sends a 6-digit code to the address. An address that already has an account gets a notice instead, and the
 * caller sees exactly the same outcome (no account enumeration, A4).
 */
export async function startSignUp(deps: AccountDeps, input: StartSignUpInput): Promise<{ flowId: string }> {
  const email = normalizeEmail(input.email);
  const displayName = normalizeName(input.displayName);
  const password = checkPasswordPolicy(input.password, passwordRules(deps, [email.split('@')[0] ?? '']));
  const passwordHash = await deps.passwords.hash(password);
  const now = deps.clock.now();
  const flowId = deps.secrets.newPublicId();
  const code = deps.secrets.newCode();
  await deps.store.transaction(async (tx) => {
    const existing = await tx.users.findByEmail(email);
    await tx.codes.invalidate('signup', email, now);
    const isTaken = Boolean(existing?.email.verifiedAt);
    await tx.codes.create({
      id: flowId, purpose: 'signup', email, userId: null, codeHash: deps.secrets.hashToken(code),
      payload: isTaken ? { taken: true } : { displayName, passwordHash, locale: input.locale },
      expiresAt: addMs(now, CODE_TTL_MS), createdAt: now,
    });
    if (isTaken && existing) {
      await tx.outbox.add({
        kind: 'signup.existing', to: email, locale: existing.user.locale,
        params: { name: existing.user.displayName, signInUrl: url(deps, '/signin'), resetUrl: url(deps, '/password/forgot') },
      });
    } else {
      await tx.outbox.add({ kind: 'signup.code', to: email, locale: input.locale, params: { name: displayName, code } });
    }
  });
  return { flowId };
}

/** Checks a code against its flow: 5 tries per code, and at most 10 code attempts an hour per address or account (A8). */
async function checkCode(
  deps: AccountDeps,
  flow: EmailCode | undefined,
  code: unknown,
  throttleKey: (flow: EmailCode) => string,
): Promise<EmailCode> {
  const now = deps.clock.now();
  if (!flow || flow.consumedAt || flow.expiresAt <= now || flow.attempts >= CODE_MAX_ATTEMPTS) {
    throw new AppError('CODE_EXPIRED', {}, { field: 'code' });
  }
  // The hourly budget is per address (sign-up) or per account (adding an address), across every flow (A8).
  if (!(await deps.store.throttles.take(throttleKey(flow), CODE_FAILURES_PER_HOUR, HOUR, now))) {
    throw new AppError('CODE_THROTTLED', {}, { field: 'code' });
  }
  const given = typeof code === 'string' ? code.replace(/\s/g, '') : '';
  const isTakenFlow = flow.payload?.['taken'] === true;
  if (/^\d{6}$/.test(given) && deps.secrets.hashToken(given) === flow.codeHash && !isTakenFlow) return flow;

  const attempts = await deps.store.codes.recordFailure(flow.id, CODE_MAX_ATTEMPTS);
  if (attempts === undefined || attempts >= CODE_MAX_ATTEMPTS) throw new AppError('CODE_EXPIRED', {}, { field: 'code' });
  throw new AppError('CODE_INVALID', { remaining: CODE_MAX_ATTEMPTS - attempts }, { field: 'code' });
}

/** Completes sign-up: the code proves the address; the account is created with it as verified primary e-mail. */
export async function verifySignUp(deps: AccountDeps, input: { flowId: unknown; code: unknown; ip?: string | null }): Promise<User> {
  const flowId = typeof input.flowId === 'string' ? input.flowId : '';
  const flow = flowId ? await deps.store.codes.findById(flowId) : undefined;
  const checked = await checkCode(deps, flow?.purpose === 'signup' ? flow : undefined, input.code,
    (f) => deps.secrets.mac('code-address', f.email));
  const now = deps.clock.now();
  const payload = checked.payload as { displayName: string; passwordHash: string; locale: Locale };
  return deps.store.transaction(async (tx) => {
    if (!(await tx.codes.consume(checked.id, now))) throw new AppError('CODE_EXPIRED', {}, { field: 'code' });
    if (await tx.users.findEmail(checked.email)) throw new AppError('CODE_EXPIRED', {}, { field: 'code' });
    const user: User = {
      id: deps.secrets.newId(), displayName: payload.displayName, locale: payload.locale,
      passwordHash: payload.passwordHash, isPlatformAdmin: false, createdAt: now,
    };
    await tx.users.create(user);
    await tx.users.addEmail({ id: deps.secrets.newId(), userId: user.id, email: checked.email, isPrimary: true, verifiedAt: now, createdAt: now });
    await recordAudit(tx, deps, { actor: { kind: 'user', userId: user.id, isPlatformAdmin: false, ip: input.ip ?? null }, action: 'account.created', targetType: 'user', targetId: user.id });
    return user;
  });
}

/** Sends a fresh code for a sign-up flow under a new flow id (the old code dies). Unknown flows look the same. */
export async function resendSignUpCode(deps: AccountDeps, flowId: unknown): Promise<{ flowId: string }> {
  const flow = typeof flowId === 'string' && flowId.length <= 64 ? await deps.store.codes.findById(flowId) : undefined;
  const now = deps.clock.now();
  const newFlowId = deps.secrets.newPublicId();
  if (!flow || flow.purpose !== 'signup' || flow.consumedAt || flow.payload?.['taken'] === true) return { flowId: newFlowId };
  const code = deps.secrets.newCode();
  const payload = flow.payload as { displayName: string; locale: Locale };
  await deps.store.transaction(async (tx) => {
    await tx.codes.invalidate('signup', flow.email, now);
    await tx.codes.create({
      id: newFlowId, purpose: 'signup', email: flow.email, userId: null, codeHash: deps.secrets.hashToken(code),
      payload: flow.payload, expiresAt: addMs(now, CODE_TTL_MS), createdAt: now,
    });
    await tx.outbox.add({ kind: 'signup.code', to: flow.email, locale: payload.locale, params: { name: payload.displayName, code } });
  });
  return { flowId: newFlowId };
}

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
    const delay = failures >= LOGIN_FREE_FAILURES
      ? Math.min(LOGIN_MAX_DELAY_MS, 1000 * 2 ** (failures - LOGIN_FREE_FAILURES))
      : 0;
    await deps.store.throttles.put({
      key, failures, windowStartedAt: throttle?.windowStartedAt ?? now, blockedUntil: delay ? addMs(now, delay) : null,
    });
    if (found) {
      await recordAudit(deps.store, deps, { actor: { kind: 'system' }, action: 'auth.sign_in_failed', targetType: 'user', targetId: found.user.id, ip: input.ip ?? null });
    }
    throw new AppError('AUTH_INVALID_CREDENTIALS');
  }
  if (throttle) await deps.store.throttles.clear(key);
  await recordAudit(deps.store, deps, { actor: { kind: 'user', userId: found.user.id, isPlatformAdmin: found.user.isPlatformAdmin, ip: input.ip ?? null }, action: 'auth.signed_in', targetType: 'user', targetId: found.user.id });
  return found.user;
}

/** Opens a session: a fresh 256-bit token for the cookie; only its SHA-256 is stored. */
export async function createSession(deps: Pick<AccountDeps, 'store' | 'clock' | 'secrets'>, userId: string, tx?: Repositories): Promise<{ token: string; session: Session }> {
  const now = deps.clock.now();
  const token = deps.secrets.newToken();
  const session: Session = {
    idHash: deps.secrets.hashToken(token), userId, createdAt: now, lastSeenAt: now,
    expiresAt: addMs(now, SESSION_ABSOLUTE_MS), reauthenticatedAt: now,
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
      kind: 'password.reset', to: email, locale: found.user.locale,
      params: { name: found.user.displayName, resetUrl: url(deps, '/password/reset', { token }) },
    });
    await recordAudit(tx, deps, { actor: { kind: 'system' }, action: 'auth.password_reset_requested', targetType: 'user', targetId: found.user.id, ip: input.ip ?? null });
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
    await recordAudit(tx, deps, { actor: { kind: 'user', userId, isPlatformAdmin: user.isPlatformAdmin, ip: input.ip ?? null }, action: 'auth.password_reset', targetType: 'user', targetId: userId });
    return { ...user, passwordHash };
  });
}

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
  const ok = user.passwordHash && typeof given === 'string' && given.length <= 1024
    ? await deps.passwords.verify(user.passwordHash, given)
    : false;
  if (!ok) throw new AppError('PASSWORD_CURRENT_WRONG', {}, { field: 'currentPassword' });
}

// ---- Profile and e-mail addresses ----------------------------------------------------------------------

export async function updateProfile(deps: AccountDeps, actor: Extract<Actor, { kind: 'user' }>, input: { displayName: unknown; locale: Locale }): Promise<void> {
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
      id: flowId, purpose: 'add_email', email, userId: user.id, codeHash: deps.secrets.hashToken(code),
      payload: isTaken ? { taken: true } : null, expiresAt: addMs(now, CODE_TTL_MS), createdAt: now,
    });
    if (!isTaken) await tx.outbox.add({ kind: 'email.add-code', to: email, locale: user.locale, params: { name: user.displayName, code } });
  });
  return { flowId };
}

export async function verifyAddEmail(
  deps: AccountDeps,
  actor: Extract<Actor, { kind: 'user' }>,
  input: { flowId: unknown; code: unknown },
): Promise<void> {
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

// ---- Operator (CLI) ------------------------------------------------------------------------------------

/** Creates an account with a verified e-mail (operators and the demo seed). */
export async function createUserAccount(
  deps: AccountDeps,
  input: { email: unknown; displayName: unknown; password: unknown; locale?: Locale; isPlatformAdmin?: boolean },
  tx?: Repositories,
): Promise<User> {
  const email = normalizeEmail(input.email);
  const displayName = normalizeName(input.displayName);
  const password = checkPasswordPolicy(input.password, passwordRules(deps));
  const passwordHash = await deps.passwords.hash(password);
  const now = deps.clock.now();
  const run = async (t: Repositories) => {
    if (await t.users.findEmail(email)) throw new AppError('USER_EXISTS', {}, { field: 'email' });
    const user: User = {
      id: deps.secrets.newId(), displayName, locale: input.locale ?? 'fr', passwordHash,
      isPlatformAdmin: input.isPlatformAdmin ?? false, createdAt: now,
    };
    await t.users.create(user);
    await t.users.addEmail({ id: deps.secrets.newId(), userId: user.id, email, isPrimary: true, verifiedAt: now, createdAt: now });
    await recordAudit(t, deps, { actor: { kind: 'system' }, action: 'account.created', targetType: 'user', targetId: user.id });
    return user;
  };
  return tx ? run(tx) : deps.store.transaction(run);
}
