import type { Kysely, Selectable } from 'kysely';
import type { Locale } from '../domain/shared/model.js';
import { affected, fromDate, fromDateOrNull, toDate, toDateOrNull } from './mappers.js';
import type { Database, OrganizationRow } from './tables.js';
import type { ApiKey, Invitation, Organization, Role } from '../domain/organizations/model.js';
import type { ApiKeysRepository, InvitationsRepository, MembershipsRepository, OrganizationsRepository } from '../domain/organizations/ports.js';

const rowToOrg = (r: OrganizationRow): Organization => ({
  id: r.id,
  slug: r.slug,
  name: r.name,
  logoUrl: r.logo_url,
  languages: JSON.parse(r.languages) as Locale[],
  parentId: r.parent_id,
  createdAt: toDate(r.created_at),
  timeZone: r.time_zone,
});

export function organizationsRepository(db: Kysely<Database>): OrganizationsRepository {
  return {
    async create(o) {
      await db
        .insertInto('organizations')
        .values({
          id: o.id,
          slug: o.slug,
          name: o.name,
          logo_url: o.logoUrl,
          languages: JSON.stringify(o.languages),
          parent_id: o.parentId,
          created_at: fromDate(o.createdAt),
          time_zone: o.timeZone,
        })
        .execute();
    },
    async findById(id) {
      const r = await db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
      return r && rowToOrg(r);
    },
    async findBySlug(slug) {
      const r = await db.selectFrom('organizations').selectAll().where('slug', '=', slug).executeTakeFirst();
      return r && rowToOrg(r);
    },
    async update(id, patch) {
      const values: Partial<OrganizationRow> = {};
      if (patch.name !== undefined) values.name = patch.name;
      if (patch.logoUrl !== undefined) values.logo_url = patch.logoUrl;
      if (patch.languages !== undefined) values.languages = JSON.stringify(patch.languages);
      if (patch.timeZone !== undefined) values.time_zone = patch.timeZone;
      if (Object.keys(values).length) await db.updateTable('organizations').set(values).where('id', '=', id).execute();
    },
    async listForUser(userId) {
      const rows = await db
        .selectFrom('memberships')
        .innerJoin('organizations', 'organizations.id', 'memberships.org_id')
        .selectAll('organizations')
        .select('memberships.role')
        .where('memberships.user_id', '=', userId)
        .orderBy('organizations.name')
        .execute();
      return rows.map((r) => ({ org: rowToOrg(r), role: r.role as Role }));
    },
    async listAll() {
      return (await db.selectFrom('organizations').selectAll().orderBy('name').execute()).map(rowToOrg);
    },
    async listChildren(parentId) {
      return (await db.selectFrom('organizations').selectAll().where('parent_id', '=', parentId).orderBy('name').execute()).map(rowToOrg);
    },
  };
}

export function membershipsRepository(db: Kysely<Database>): MembershipsRepository {
  return {
    async add(m) {
      await db
        .insertInto('memberships')
        .values({
          org_id: m.orgId,
          user_id: m.userId,
          role: m.role,
          created_at: fromDate(m.createdAt),
        })
        .execute();
    },
    async find(orgId, userId) {
      const r = await db.selectFrom('memberships').selectAll().where('org_id', '=', orgId).where('user_id', '=', userId).executeTakeFirst();
      return r && { orgId: r.org_id, userId: r.user_id, role: r.role as Role, createdAt: toDate(r.created_at) };
    },
    async list(orgId) {
      const rows = await db
        .selectFrom('memberships')
        .innerJoin('users', 'users.id', 'memberships.user_id')
        .leftJoin('user_emails', (j) => j.onRef('user_emails.user_id', '=', 'users.id').on('user_emails.is_primary', '=', 1))
        .select(['memberships.org_id', 'memberships.user_id', 'memberships.role', 'memberships.created_at', 'users.display_name', 'user_emails.email'])
        .where('memberships.org_id', '=', orgId)
        .orderBy('users.display_name')
        .execute();
      return rows.map((r) => ({
        orgId: r.org_id,
        userId: r.user_id,
        role: r.role as Role,
        createdAt: toDate(r.created_at),
        displayName: r.display_name,
        email: r.email ?? '',
      }));
    },
    async updateRole(orgId, userId, role) {
      await db.updateTable('memberships').set({ role }).where('org_id', '=', orgId).where('user_id', '=', userId).execute();
    },
    async remove(orgId, userId) {
      await db.deleteFrom('memberships').where('org_id', '=', orgId).where('user_id', '=', userId).execute();
    },
    async countAdmins(orgId) {
      const r = await db
        .selectFrom('memberships')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('org_id', '=', orgId)
        .where('role', '=', 'admin')
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
  };
}

const rowToInvitation = (r: Selectable<Database['invitations']>): Invitation => ({
  id: r.id,
  orgId: r.org_id,
  email: r.email,
  role: r.role as Role,
  locale: r.locale as Locale,
  tokenHash: r.token_hash,
  invitedBy: r.invited_by,
  expiresAt: toDate(r.expires_at),
  acceptedAt: toDateOrNull(r.accepted_at),
  revokedAt: toDateOrNull(r.revoked_at),
  createdAt: toDate(r.created_at),
});

export function invitationsRepository(db: Kysely<Database>): InvitationsRepository {
  const pending = (at: Date) =>
    db.selectFrom('invitations').selectAll().where('accepted_at', 'is', null).where('revoked_at', 'is', null).where('expires_at', '>', fromDate(at));
  return {
    async create(i) {
      await db
        .insertInto('invitations')
        .values({
          id: i.id,
          org_id: i.orgId,
          email: i.email,
          role: i.role,
          locale: i.locale,
          token_hash: i.tokenHash,
          invited_by: i.invitedBy,
          expires_at: fromDate(i.expiresAt),
          accepted_at: null,
          revoked_at: null,
          created_at: fromDate(i.createdAt),
        })
        .execute();
    },
    async findByTokenHash(tokenHash) {
      const r = await db.selectFrom('invitations').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      return r && rowToInvitation(r);
    },
    async accept(id, at) {
      const r = await db
        .updateTable('invitations')
        .set({ accepted_at: fromDate(at) })
        .where('id', '=', id)
        .where('accepted_at', 'is', null)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', fromDate(at))
        .executeTakeFirst();
      return affected(r) === 1;
    },
    async listPending(orgId, at) {
      return (await pending(at).where('org_id', '=', orgId).orderBy('created_at', 'desc').execute()).map(rowToInvitation);
    },
    async revoke(orgId, id, at) {
      const r = await db
        .updateTable('invitations')
        .set({ revoked_at: fromDate(at) })
        .where('org_id', '=', orgId)
        .where('id', '=', id)
        .where('accepted_at', 'is', null)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return affected(r) === 1;
    },
    async revokePendingFor(orgId, email, at) {
      await db
        .updateTable('invitations')
        .set({ revoked_at: fromDate(at) })
        .where('org_id', '=', orgId)
        .where('email', '=', email)
        .where('accepted_at', 'is', null)
        .where('revoked_at', 'is', null)
        .execute();
    },
  };
}

const rowToApiKey = (r: Selectable<Database['api_keys']>): ApiKey => ({
  id: r.id,
  orgId: r.org_id,
  label: r.label,
  prefix: r.prefix,
  createdBy: r.created_by,
  createdAt: toDate(r.created_at),
  lastUsedAt: toDateOrNull(r.last_used_at),
  revokedAt: toDateOrNull(r.revoked_at),
});

export function apiKeysRepository(db: Kysely<Database>): ApiKeysRepository {
  return {
    async create(k) {
      await db
        .insertInto('api_keys')
        .values({
          id: k.id,
          org_id: k.orgId,
          label: k.label,
          prefix: k.prefix,
          key_hash: k.keyHash,
          created_by: k.createdBy,
          created_at: fromDate(k.createdAt),
          last_used_at: null,
          revoked_at: fromDateOrNull(k.revokedAt),
        })
        .execute();
    },
    async list(orgId) {
      return (await db.selectFrom('api_keys').selectAll().where('org_id', '=', orgId).orderBy('created_at', 'desc').execute()).map(rowToApiKey);
    },
    async findByHash(keyHash) {
      const r = await db.selectFrom('api_keys').selectAll().where('key_hash', '=', keyHash).executeTakeFirst();
      return r && rowToApiKey(r);
    },
    async revoke(orgId, id, at) {
      const r = await db
        .updateTable('api_keys')
        .set({ revoked_at: fromDate(at) })
        .where('org_id', '=', orgId)
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return affected(r) === 1;
    },
    async touch(id, at) {
      await db
        .updateTable('api_keys')
        .set({ last_used_at: fromDate(at) })
        .where('id', '=', id)
        .execute();
    },
  };
}
