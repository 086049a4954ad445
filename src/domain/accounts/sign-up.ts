/**
 * Sign-up with a 6-digit code sent to the address (the address is proven before the account exists); accounts
 * created by an operator or an invitation (`createUserAccount`).
 */
import { recordAudit } from '../shared/audit.js';
import { addMs } from '../shared/clock.js';
import { AppError } from '../shared/errors.js';
import type { Locale } from '../shared/model.js';
import { checkPasswordPolicy } from './password-policy.js';
import type { Repositories } from '../shared/store.js';
import { normalizeEmail, normalizeName } from '../shared/validation.js';
import type { User } from './model.js';
import { type AccountDeps, CODE_TTL_MS, url, passwordRules, checkCode } from './account-rules.js';

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
      id: flowId,
      purpose: 'signup',
      email,
      userId: null,
      codeHash: deps.secrets.hashToken(code),
      payload: isTaken ? { taken: true } : { displayName, passwordHash, locale: input.locale },
      expiresAt: addMs(now, CODE_TTL_MS),
      createdAt: now,
    });
    if (isTaken && existing) {
      await tx.outbox.add({
        kind: 'signup.existing',
        to: email,
        locale: existing.user.locale,
        params: { name: existing.user.displayName, signInUrl: url(deps, '/signin'), resetUrl: url(deps, '/password/forgot') },
      });
    } else {
      await tx.outbox.add({ kind: 'signup.code', to: email, locale: input.locale, params: { name: displayName, code } });
    }
  });
  return { flowId };
}

/** Completes sign-up: the code proves the address; the account is created with it as verified primary e-mail. */
export async function verifySignUp(deps: AccountDeps, input: { flowId: unknown; code: unknown; ip?: string | null }): Promise<User> {
  const flowId = typeof input.flowId === 'string' ? input.flowId : '';
  const flow = flowId ? await deps.store.codes.findById(flowId) : undefined;
  const checked = await checkCode(deps, flow?.purpose === 'signup' ? flow : undefined, input.code, (f) => deps.secrets.mac('code-address', f.email));
  const now = deps.clock.now();
  const payload = checked.payload as { displayName: string; passwordHash: string; locale: Locale };
  return deps.store.transaction(async (tx) => {
    if (!(await tx.codes.consume(checked.id, now))) throw new AppError('CODE_EXPIRED', {}, { field: 'code' });
    if (await tx.users.findEmail(checked.email)) throw new AppError('CODE_EXPIRED', {}, { field: 'code' });
    const user: User = {
      id: deps.secrets.newId(),
      displayName: payload.displayName,
      locale: payload.locale,
      passwordHash: payload.passwordHash,
      isPlatformAdmin: false,
      createdAt: now,
    };
    await tx.users.create(user);
    await tx.users.addEmail({ id: deps.secrets.newId(), userId: user.id, email: checked.email, isPrimary: true, verifiedAt: now, createdAt: now });
    await recordAudit(tx, deps, {
      actor: { kind: 'user', userId: user.id, isPlatformAdmin: false, ip: input.ip ?? null },
      action: 'account.created',
      targetType: 'user',
      targetId: user.id,
    });
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
      id: newFlowId,
      purpose: 'signup',
      email: flow.email,
      userId: null,
      codeHash: deps.secrets.hashToken(code),
      payload: flow.payload,
      expiresAt: addMs(now, CODE_TTL_MS),
      createdAt: now,
    });
    await tx.outbox.add({ kind: 'signup.code', to: flow.email, locale: payload.locale, params: { name: payload.displayName, code } });
  });
  return { flowId: newFlowId };
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
      id: deps.secrets.newId(),
      displayName,
      locale: input.locale ?? 'fr',
      passwordHash,
      isPlatformAdmin: input.isPlatformAdmin ?? false,
      createdAt: now,
    };
    await t.users.create(user);
    await t.users.addEmail({ id: deps.secrets.newId(), userId: user.id, email, isPrimary: true, verifiedAt: now, createdAt: now });
    await recordAudit(t, deps, { actor: { kind: 'system' }, action: 'account.created', targetType: 'user', targetId: user.id });
    return user;
  };
  return tx ? run(tx) : deps.store.transaction(run);
}
