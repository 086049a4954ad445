import type { Kysely } from 'kysely';
import type { Locale } from '../domain/shared/model.js';
import { affected, fromBool, fromDate, fromDateOrNull, parseJson, toBool, toDate, toDateOrNull } from './mappers.js';
import type { Database, UserEmailsTable, UserRow } from './tables.js';
import type { Selectable } from 'kysely';
import type { CodePurpose, EmailCode, Session, User, UserEmail } from '../domain/accounts/model.js';
import type { CodesRepository, PasswordResetsRepository, SessionsRepository, ThrottlesRepository, UsersRepository } from '../domain/accounts/ports.js';

const rowToUser = (r: UserRow): User => ({
  id: r.id,
  displayName: r.display_name,
  locale: r.locale as Locale,
  passwordHash: r.password_hash,
  isPlatformAdmin: toBool(r.is_platform_admin),
  createdAt: toDate(r.created_at),
});

const rowToEmail = (r: Selectable<UserEmailsTable>): UserEmail => ({
  id: r.id,
  userId: r.user_id,
  email: r.email,
  isPrimary: toBool(r.is_primary),
  verifiedAt: toDateOrNull(r.verified_at),
  createdAt: toDate(r.created_at),
});

export function usersRepository(db: Kysely<Database>): UsersRepository {
  return {
    async findById(id) {
      const r = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      return r && rowToUser(r);
    },
    async findByEmail(email) {
      const e = await db.selectFrom('user_emails').selectAll().where('email', '=', email).executeTakeFirst();
      if (!e) return undefined;
      const u = await db.selectFrom('users').selectAll().where('id', '=', e.user_id).executeTakeFirstOrThrow();
      return { user: rowToUser(u), email: rowToEmail(e) };
    },
    async create(u) {
      await db
        .insertInto('users')
        .values({
          id: u.id,
          display_name: u.displayName,
          locale: u.locale,
          password_hash: u.passwordHash,
          is_platform_admin: fromBool(u.isPlatformAdmin ?? false),
          created_at: fromDate(u.createdAt),
        })
        .execute();
    },
    async update(id, patch) {
      const values: Partial<UserRow> = {};
      if (patch.displayName !== undefined) values.display_name = patch.displayName;
      if (patch.locale !== undefined) values.locale = patch.locale;
      if (patch.passwordHash !== undefined) values.password_hash = patch.passwordHash;
      if (patch.isPlatformAdmin !== undefined) values.is_platform_admin = fromBool(patch.isPlatformAdmin);
      if (Object.keys(values).length) await db.updateTable('users').set(values).where('id', '=', id).execute();
    },
    async listEmails(userId) {
      const rows = await db.selectFrom('user_emails').selectAll().where('user_id', '=', userId).orderBy('is_primary', 'desc').orderBy('created_at').execute();
      return rows.map(rowToEmail);
    },
    async findEmail(email) {
      const r = await db.selectFrom('user_emails').selectAll().where('email', '=', email).executeTakeFirst();
      return r && rowToEmail(r);
    },
    async addEmail(e) {
      await db
        .insertInto('user_emails')
        .values({
          id: e.id,
          user_id: e.userId,
          email: e.email,
          is_primary: fromBool(e.isPrimary),
          verified_at: fromDateOrNull(e.verifiedAt),
          created_at: fromDate(e.createdAt),
        })
        .execute();
    },
    async setPrimaryEmail(userId, emailId) {
      await db.updateTable('user_emails').set({ is_primary: 0 }).where('user_id', '=', userId).execute();
      await db.updateTable('user_emails').set({ is_primary: 1 }).where('user_id', '=', userId).where('id', '=', emailId).execute();
    },
    async removeEmail(userId, emailId) {
      await db.deleteFrom('user_emails').where('user_id', '=', userId).where('id', '=', emailId).execute();
    },
    async primaryEmail(userId) {
      const r = await db.selectFrom('user_emails').select('email').where('user_id', '=', userId).where('is_primary', '=', 1).executeTakeFirst();
      return r?.email;
    },
  };
}

const rowToSession = (r: Selectable<Database['sessions']>): Session => ({
  idHash: r.id_hash,
  userId: r.user_id,
  createdAt: toDate(r.created_at),
  lastSeenAt: toDate(r.last_seen_at),
  expiresAt: toDate(r.expires_at),
  reauthenticatedAt: toDate(r.reauthenticated_at),
});

export function sessionsRepository(db: Kysely<Database>): SessionsRepository {
  return {
    async create(s) {
      await db
        .insertInto('sessions')
        .values({
          id_hash: s.idHash,
          user_id: s.userId,
          created_at: fromDate(s.createdAt),
          last_seen_at: fromDate(s.lastSeenAt),
          expires_at: fromDate(s.expiresAt),
          reauthenticated_at: fromDate(s.reauthenticatedAt),
        })
        .execute();
    },
    async findByHash(idHash) {
      const r = await db.selectFrom('sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
      return r && rowToSession(r);
    },
    async touch(idHash, at) {
      await db
        .updateTable('sessions')
        .set({ last_seen_at: fromDate(at) })
        .where('id_hash', '=', idHash)
        .execute();
    },
    async markReauthenticated(idHash, at) {
      await db
        .updateTable('sessions')
        .set({ reauthenticated_at: fromDate(at) })
        .where('id_hash', '=', idHash)
        .execute();
    },
    async delete(idHash) {
      await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
    },
    async deleteForUser(userId, exceptIdHash) {
      let q = db.deleteFrom('sessions').where('user_id', '=', userId);
      if (exceptIdHash) q = q.where('id_hash', '!=', exceptIdHash);
      return affected(await q.executeTakeFirst());
    },
  };
}

const rowToCode = (r: Selectable<Database['email_codes']>): EmailCode => ({
  id: r.id,
  purpose: r.purpose as CodePurpose,
  email: r.email,
  userId: r.user_id,
  codeHash: r.code_hash,
  attempts: r.attempts,
  payload: parseJson(r.payload),
  expiresAt: toDate(r.expires_at),
  consumedAt: toDateOrNull(r.consumed_at),
});

export function codesRepository(db: Kysely<Database>): CodesRepository {
  return {
    async create(c) {
      await db
        .insertInto('email_codes')
        .values({
          id: c.id,
          purpose: c.purpose,
          email: c.email,
          user_id: c.userId,
          code_hash: c.codeHash,
          attempts: 0,
          payload: c.payload ? JSON.stringify(c.payload) : null,
          expires_at: fromDate(c.expiresAt),
          consumed_at: null,
          created_at: fromDate(c.createdAt),
        })
        .execute();
    },
    async findById(id) {
      const r = await db.selectFrom('email_codes').selectAll().where('id', '=', id).executeTakeFirst();
      return r && rowToCode(r);
    },
    async recordFailure(id, max) {
      // UPDATE … RETURNING (SQLite ≥ 3.35 and PostgreSQL): the count we return is the one this update wrote.
      const row = await db
        .updateTable('email_codes')
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('id', '=', id)
        .where('attempts', '<', max)
        .where('consumed_at', 'is', null)
        .returning('attempts')
        .executeTakeFirst();
      return row?.attempts;
    },
    async consume(id, at) {
      const r = await db
        .updateTable('email_codes')
        .set({ consumed_at: fromDate(at) })
        .where('id', '=', id)
        .where('consumed_at', 'is', null)
        .executeTakeFirst();
      return affected(r) === 1;
    },
    async invalidate(purpose, email, at) {
      await db
        .updateTable('email_codes')
        .set({ consumed_at: fromDate(at) })
        .where('purpose', '=', purpose)
        .where('email', '=', email)
        .where('consumed_at', 'is', null)
        .execute();
    },
  };
}

export function throttlesRepository(db: Kysely<Database>): ThrottlesRepository {
  return {
    async get(key) {
      const r = await db.selectFrom('throttles').selectAll().where('key', '=', key).executeTakeFirst();
      return (
        r && {
          key: r.key,
          failures: r.failures,
          windowStartedAt: toDate(r.window_started_at),
          blockedUntil: toDateOrNull(r.blocked_until),
        }
      );
    },
    async put(t) {
      const values = {
        key: t.key,
        failures: t.failures,
        window_started_at: fromDate(t.windowStartedAt),
        blocked_until: fromDateOrNull(t.blockedUntil),
      };
      await db
        .insertInto('throttles')
        .values(values)
        .onConflict((oc) =>
          oc.column('key').doUpdateSet({
            failures: values.failures,
            window_started_at: values.window_started_at,
            blocked_until: values.blocked_until,
          }),
        )
        .execute();
    },
    async clear(key) {
      await db.deleteFrom('throttles').where('key', '=', key).execute();
    },
    async take(key, limit, windowMs, now) {
      const nowText = fromDate(now);
      await db
        .insertInto('throttles')
        .values({ key, failures: 0, window_started_at: nowText, blocked_until: null })
        .onConflict((oc) => oc.column('key').doNothing())
        .execute();
      await db
        .updateTable('throttles')
        .set({ failures: 0, window_started_at: nowText })
        .where('key', '=', key)
        .where('window_started_at', '<=', fromDate(new Date(now.getTime() - windowMs)))
        .execute();
      const r = await db
        .updateTable('throttles')
        .set((eb) => ({ failures: eb('failures', '+', 1) }))
        .where('key', '=', key)
        .where('failures', '<', limit)
        .executeTakeFirst();
      return affected(r) === 1;
    },
  };
}

export function passwordResetsRepository(db: Kysely<Database>): PasswordResetsRepository {
  return {
    async create(r) {
      await db
        .insertInto('password_resets')
        .values({
          token_hash: r.tokenHash,
          user_id: r.userId,
          expires_at: fromDate(r.expiresAt),
          used_at: null,
          created_at: fromDate(r.createdAt),
        })
        .execute();
    },
    async invalidateForUser(userId, at) {
      await db
        .updateTable('password_resets')
        .set({ used_at: fromDate(at) })
        .where('user_id', '=', userId)
        .where('used_at', 'is', null)
        .execute();
    },
    async consume(tokenHash, at) {
      const row = await db
        .updateTable('password_resets')
        .set({ used_at: fromDate(at) })
        .where('token_hash', '=', tokenHash)
        .where('used_at', 'is', null)
        .where('expires_at', '>', fromDate(at))
        .returning('user_id')
        .executeTakeFirst();
      return row?.user_id;
    },
    async findValid(tokenHash, at) {
      const row = await db
        .selectFrom('password_resets')
        .select('user_id')
        .where('token_hash', '=', tokenHash)
        .where('used_at', 'is', null)
        .where('expires_at', '>', fromDate(at))
        .executeTakeFirst();
      return row && { userId: row.user_id };
    },
  };
}
