import type { Locale } from '../shared/model.js';
import type { CodePurpose, EmailCode, Session, Throttle, User, UserEmail } from './model.js';

/** argon2id hashing with bounded concurrency. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /** Same cost as `verify`, against a fixed dummy hash: keeps unknown accounts indistinguishable by timing. */
  verifyDummy(password: string): Promise<void>;
}
export interface UsersRepository {
  findById(id: string): Promise<User | undefined>;
  findByEmail(email: string): Promise<{ user: User; email: UserEmail } | undefined>;
  create(user: { id: string; displayName: string; locale: Locale; passwordHash: string | null; isPlatformAdmin?: boolean; createdAt: Date }): Promise<void>;
  update(id: string, patch: Partial<Pick<User, 'displayName' | 'locale' | 'passwordHash' | 'isPlatformAdmin'>>): Promise<void>;
  listEmails(userId: string): Promise<UserEmail[]>;
  findEmail(email: string): Promise<UserEmail | undefined>;
  addEmail(email: { id: string; userId: string; email: string; isPrimary: boolean; verifiedAt: Date | null; createdAt: Date }): Promise<void>;
  setPrimaryEmail(userId: string, emailId: string): Promise<void>;
  removeEmail(userId: string, emailId: string): Promise<void>;
  primaryEmail(userId: string): Promise<string | undefined>;
}

export interface SessionsRepository {
  create(session: Session): Promise<void>;
  findByHash(idHash: string): Promise<Session | undefined>;
  touch(idHash: string, lastSeenAt: Date): Promise<void>;
  markReauthenticated(idHash: string, at: Date): Promise<void>;
  delete(idHash: string): Promise<void>;
  /** Ends every session of the user except `exceptIdHash`. */
  deleteForUser(userId: string, exceptIdHash?: string): Promise<number>;
}

export interface CodesRepository {
  create(code: Omit<EmailCode, 'attempts' | 'consumedAt'> & { createdAt: Date }): Promise<void>;
  findById(id: string): Promise<EmailCode | undefined>;
  /** Atomically counts one wrong attempt if the code still has attempts left; returns the new count or undefined. */
  recordFailure(id: string, maxAttempts: number): Promise<number | undefined>;
  /** Atomically marks the code used; false if it was already used. */
  consume(id: string, at: Date): Promise<boolean>;
  /** Kills every unconsumed code of this purpose and address (a new code replaces the old ones). */
  invalidate(purpose: CodePurpose, email: string, at: Date): Promise<void>;
}

export interface ThrottlesRepository {
  get(key: string): Promise<Throttle | undefined>;
  put(throttle: Throttle): Promise<void>;
  clear(key: string): Promise<void>;
  /**
   * Atomically takes one attempt from a budget of `limit` per window (starting a new window when the old one
   * is over). False when the budget is spent: concurrent requests can never evaluate more than `limit`.
   */
  take(key: string, limit: number, windowMs: number, now: Date): Promise<boolean>;
}

export interface PasswordResetsRepository {
  create(reset: { tokenHash: string; userId: string; expiresAt: Date; createdAt: Date }): Promise<void>;
  /** Kills every unused reset link of the user. */
  invalidateForUser(userId: string, at: Date): Promise<void>;
  /** Atomically uses a valid link; returns the user id, or undefined when unknown, expired or used. */
  consume(tokenHash: string, at: Date): Promise<string | undefined>;
  findValid(tokenHash: string, at: Date): Promise<{ userId: string } | undefined>;
}
