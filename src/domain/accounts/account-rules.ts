/**
 * Person accounts: what every account use case shares — the ports (`AccountDeps`), the limits (code and link
 * lifetimes, session lengths, sign-in throttling), links built from BASE_URL only, the password rules and the one-time
 * code check. Use cases: sign-up.ts, sign-in.ts, reset-password.ts, manage-account.ts. Pure rules over ports.
 */
import { HOUR, MINUTE } from '../shared/clock.js';
import { AppError } from '../shared/errors.js';
import type { Clock, Secrets } from '../shared/ports.js';
import type { Store } from '../shared/store.js';
import type { EmailCode } from './model.js';
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

export function passwordRules(deps: AccountDeps, extraWords: string[] = []) {
  return { common: deps.commonPasswords, contextWords: extraWords };
}

// ---- Sign-up -----------------------------------------------------------------------------------------

/** Checks a code against its flow: 5 tries per code, and at most 10 code attempts an hour per address or account (A8). */
export async function checkCode(deps: AccountDeps, flow: EmailCode | undefined, code: unknown, throttleKey: (flow: EmailCode) => string): Promise<EmailCode> {
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

// ---- Sign-in and sessions ------------------------------------------------------------------------------
// ---- Password reset and change -------------------------------------------------------------------------
// ---- Profile and e-mail addresses ----------------------------------------------------------------------
// ---- Operator (CLI) ------------------------------------------------------------------------------------
