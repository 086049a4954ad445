import { type InsertResult, type Kysely, type Selectable, sql } from 'kysely';
import type { CredentialFormat, IssuedCredential, IssuerKey, IssuerProfileDetails, StatusList, StatusPurpose } from '../domain/credentials/model.js';
import { type CredentialEventKind, EVENT_KINDS } from '../domain/credentials/model.js';
import type {
  CredentialEventsRepository,
  CredentialsRepository,
  IssuerKeysRepository,
  IssuerProfilesRepository,
  StatusListsRepository,
} from '../domain/credentials/ports.js';
import { fromDate, fromDateOrNull, inSlices, toDate, toDateOrNull } from './mappers.js';
import type { CredentialsTable, Database, IssuerKeysTable, StatusListsTable } from './tables.js';

const inserted = (r: InsertResult | undefined) => Number(r?.numInsertedOrUpdatedRows ?? 0n) > 0;

const rowToKey = (r: Selectable<IssuerKeysTable>): IssuerKey => ({
  id: r.id,
  orgId: r.org_id,
  publicKeyMultibase: r.public_key_multibase,
  secretKeySealed: r.secret_key_sealed,
  createdAt: toDate(r.created_at),
  retiredAt: toDateOrNull(r.retired_at),
});

export function issuerKeysRepository(db: Kysely<Database>): IssuerKeysRepository {
  return {
    async create(k) {
      const r = await db
        .insertInto('issuer_keys')
        .values({
          id: k.id,
          org_id: k.orgId,
          public_key_multibase: k.publicKeyMultibase,
          secret_key_sealed: k.secretKeySealed,
          created_at: fromDate(k.createdAt),
          retired_at: fromDateOrNull(k.retiredAt),
        })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      return inserted(r);
    },
    async current(orgId) {
      const r = await db.selectFrom('issuer_keys').selectAll().where('org_id', '=', orgId).where('retired_at', 'is', null).executeTakeFirst();
      return r && rowToKey(r);
    },
    async findById(id) {
      const r = await db.selectFrom('issuer_keys').selectAll().where('id', '=', id).executeTakeFirst();
      return r && rowToKey(r);
    },
    async list(orgId) {
      return (await db.selectFrom('issuer_keys').selectAll().where('org_id', '=', orgId).orderBy('created_at').orderBy('id').execute()).map(rowToKey);
    },
    async retire(id, at) {
      const r = await db
        .updateTable('issuer_keys')
        .set({ retired_at: fromDate(at) })
        .where('id', '=', id)
        .where('retired_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async orgIdsWithoutKey() {
      const rows = await db
        .selectFrom('organizations')
        .select('organizations.id')
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('issuer_keys')
                .select('issuer_keys.id')
                .whereRef('issuer_keys.org_id', '=', 'organizations.id')
                .where('issuer_keys.retired_at', 'is', null),
            ),
          ),
        )
        .orderBy('organizations.created_at')
        .execute();
      return rows.map((r) => r.id);
    },
  };
}

export function issuerProfilesRepository(db: Kysely<Database>): IssuerProfilesRepository {
  return {
    async get(orgId) {
      const r = await db.selectFrom('issuer_profiles').selectAll().where('org_id', '=', orgId).executeTakeFirst();
      return r && ({ orgId: r.org_id, url: r.url, email: r.email, description: r.description, updatedAt: toDate(r.updated_at) } satisfies IssuerProfileDetails);
    },
    async put(p) {
      const values = { url: p.url, email: p.email, description: p.description, updated_at: fromDate(p.updatedAt) };
      await db
        .insertInto('issuer_profiles')
        .values({ org_id: p.orgId, ...values })
        .onConflict((oc) => oc.column('org_id').doUpdateSet(values))
        .execute();
    },
  };
}

const rowToList = (r: Selectable<StatusListsTable>): StatusList => ({
  id: r.id,
  orgId: r.org_id,
  keyId: r.key_id,
  purpose: r.purpose as StatusPurpose,
  length: Number(r.length),
  capacity: Number(r.capacity),
  allocated: Number(r.allocated),
  revision: Number(r.revision),
  signedRevision: Number(r.signed_revision),
  signedDocument: r.signed_document,
  signedAt: toDateOrNull(r.signed_at),
  createdAt: toDate(r.created_at),
  fullAt: toDateOrNull(r.full_at),
});

export function statusListsRepository(db: Kysely<Database>): StatusListsRepository {
  return {
    async create(l) {
      const r = await db
        .insertInto('status_lists')
        .values({
          id: l.id,
          org_id: l.orgId,
          key_id: l.keyId,
          purpose: l.purpose,
          length: l.length,
          capacity: l.capacity,
          allocated: l.allocated,
          revision: l.revision,
          signed_revision: l.signedRevision,
          signed_document: l.signedDocument,
          signed_at: fromDateOrNull(l.signedAt),
          created_at: fromDate(l.createdAt),
          full_at: fromDateOrNull(l.fullAt),
        })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      return inserted(r);
    },
    async findById(id) {
      const r = await db.selectFrom('status_lists').selectAll().where('id', '=', id).executeTakeFirst();
      return r && rowToList(r);
    },
    async findOpen(keyId, purpose) {
      const r = await db
        .selectFrom('status_lists')
        .selectAll()
        .where('key_id', '=', keyId)
        .where('purpose', '=', purpose)
        .where('full_at', 'is', null)
        .executeTakeFirst();
      return r && rowToList(r);
    },
    async listForOrg(orgId) {
      return (await db.selectFrom('status_lists').selectAll().where('org_id', '=', orgId).orderBy('created_at').orderBy('id').execute()).map(rowToList);
    },
    async reserve(listId, index, at) {
      const r = await db
        .insertInto('status_entries')
        .values({ list_id: listId, idx: index, created_at: fromDate(at) })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      return inserted(r);
    },
    async reservedIndexes(listId) {
      return (await db.selectFrom('status_entries').select('idx').where('list_id', '=', listId).execute()).map((r) => Number(r.idx));
    },
    async claimAllocations(listId, n, at) {
      const r = await db
        .updateTable('status_lists')
        .set({
          allocated: sql<number>`allocated + ${n}`,
          full_at: sql<string | null>`CASE WHEN allocated + ${n} >= capacity THEN ${fromDate(at)} ELSE full_at END`,
        })
        .where('id', '=', listId)
        .where('full_at', 'is', null)
        .where(sql<boolean>`allocated + ${n} <= capacity`)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async bumpRevision(listId) {
      await db
        .updateTable('status_lists')
        .set({ revision: sql<number>`revision + 1` })
        .where('id', '=', listId)
        .execute();
    },
    async setIndexes(listId) {
      return (await db.selectFrom('credentials').select('status_index').where('status_list_id', '=', listId).where('revoked_at', 'is not', null).execute()).map(
        (r) => Number(r.status_index),
      );
    },
    async saveSigned(listId, revision, document, at) {
      await db
        .updateTable('status_lists')
        .set({ signed_document: document, signed_revision: revision, signed_at: fromDate(at) })
        .where('id', '=', listId)
        .where('signed_revision', '<', revision)
        .execute();
    },
  };
}

const rowToCredential = (r: Selectable<CredentialsTable>): IssuedCredential => ({
  id: r.id,
  orgId: r.org_id,
  keyId: r.key_id,
  credentialId: r.credential_id,
  types: JSON.parse(r.types) as string[],
  format: r.format as CredentialFormat,
  document: r.document,
  jwt: r.jwt,
  recipientHash: r.recipient_hash,
  statusListId: r.status_list_id,
  statusIndex: r.status_index === null ? null : Number(r.status_index),
  validFrom: toDateOrNull(r.valid_from),
  validUntil: toDateOrNull(r.valid_until),
  revokedAt: toDateOrNull(r.revoked_at),
  suspendedAt: toDateOrNull(r.suspended_at),
  createdAt: toDate(r.created_at),
});

export function credentialsRepository(db: Kysely<Database>): CredentialsRepository {
  return {
    async createMany(credentials) {
      await inSlices(credentials, (slice) =>
        db
          .insertInto('credentials')
          .values(
            slice.map((c) => ({
              id: c.id,
              org_id: c.orgId,
              key_id: c.keyId,
              credential_id: c.credentialId,
              types: JSON.stringify(c.types),
              format: c.format,
              document: c.document,
              jwt: c.jwt,
              recipient_hash: c.recipientHash,
              status_list_id: c.statusListId,
              status_index: c.statusIndex,
              valid_from: fromDateOrNull(c.validFrom),
              valid_until: fromDateOrNull(c.validUntil),
              revoked_at: fromDateOrNull(c.revokedAt),
              suspended_at: fromDateOrNull(c.suspendedAt),
              created_at: fromDate(c.createdAt),
            })),
          )
          .execute(),
      );
    },
    async findByCredentialId(orgId, credentialId) {
      return (
        await db
          .selectFrom('credentials')
          .selectAll()
          .where('credential_id', '=', credentialId)
          .where('org_id', '=', orgId)
          .orderBy('created_at')
          .orderBy('id')
          .execute()
      ).map(rowToCredential);
    },
    async findAllByCredentialId(credentialId) {
      return (await db.selectFrom('credentials').selectAll().where('credential_id', '=', credentialId).orderBy('created_at').orderBy('id').execute()).map(
        rowToCredential,
      );
    },
    async findByStatusEntry(listId, index) {
      const r = await db.selectFrom('credentials').selectAll().where('status_list_id', '=', listId).where('status_index', '=', index).executeTakeFirst();
      return r && rowToCredential(r);
    },
    async setRevoked(ids, at) {
      if (!ids.length) return;
      await db
        .updateTable('credentials')
        .set({ revoked_at: fromDate(at) })
        .where('id', 'in', ids)
        .where('revoked_at', 'is', null)
        .execute();
    },
    async setSuspended(ids, at) {
      if (!ids.length) return;
      await db
        .updateTable('credentials')
        .set({ suspended_at: fromDateOrNull(at) })
        .where('id', 'in', ids)
        .execute();
    },
    async countForOrg(orgId) {
      const r = await db
        .selectFrom('credentials')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('org_id', '=', orgId)
        .executeTakeFirst();
      return Number(r?.n ?? 0);
    },
  };
}

export function credentialEventsRepository(db: Kysely<Database>): CredentialEventsRepository {
  const repo: CredentialEventsRepository = {
    async record(e) {
      await repo.recordMany([e]);
    },
    async recordMany(events) {
      await inSlices(events, (slice) =>
        db
          .insertInto('credential_events')
          .values(
            slice.map((e) => ({
              id: e.id,
              org_id: e.orgId,
              template_id: e.templateId,
              credential_row_id: e.credentialRowId,
              kind: e.kind,
              day: fromDate(e.at).slice(0, 10),
              created_at: fromDate(e.at),
            })),
          )
          .execute(),
      );
    },
    async countsByDay(orgId, templateId, fromDay, toDay) {
      let q = db
        .selectFrom('credential_events')
        .select(['day', 'kind', (eb) => eb.fn.countAll<number>().as('n')])
        .where('org_id', '=', orgId)
        .where('day', '>=', fromDay)
        .where('day', '<=', toDay);
      if (templateId) q = q.where('template_id', '=', templateId);
      const rows = await q.groupBy(['day', 'kind']).orderBy('day').execute();
      return rows.map((r) => ({ day: r.day, kind: r.kind as CredentialEventKind, count: Number(r.n) }));
    },
    async totals(orgId, templateId) {
      let q = db
        .selectFrom('credential_events')
        .select(['kind', (eb) => eb.fn.count<number>('credential_row_id').distinct().as('n')])
        .where('org_id', '=', orgId);
      if (templateId) q = q.where('template_id', '=', templateId);
      const rows = await q.groupBy('kind').execute();
      const out = Object.fromEntries(EVENT_KINDS.map((k) => [k, 0])) as Record<CredentialEventKind, number>;
      for (const r of rows) if (r.kind in out) out[r.kind as CredentialEventKind] = Number(r.n);
      return out;
    },
  };
  return repo;
}
