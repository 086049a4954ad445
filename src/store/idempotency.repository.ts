import type { Kysely, Selectable } from 'kysely';
import type { Secrets } from '../domain/shared/ports.js';
import { affected, fromDate, toDate } from './mappers.js';
import type { Database } from './tables.js';
import type { IdempotencyKeysRepository, IdempotencyRecord } from '../domain/shared/ports.js';

/**
 * `Idempotency-Key` rows. The claim is one `INSERT … ON CONFLICT DO NOTHING` on the (org_id, key) primary key:
 * of two concurrent requests exactly one inserts, the other reads the winner's row. Stored response bodies are
 * sealed with the master key (a response may carry a secret shown once, like a new API key).
 */
export function idempotencyKeysRepository(db: Kysely<Database>, secrets: Pick<Secrets, 'seal' | 'open'>): IdempotencyKeysRepository {
  const toRecord = (r: Selectable<Database['idempotency_keys']>): IdempotencyRecord => ({
    orgId: r.org_id,
    key: r.key,
    fingerprint: r.fingerprint,
    state: r.state === 'done' ? 'done' : 'pending',
    response:
      r.state === 'done' && r.response_status !== null && r.response_body !== null
        ? { status: Number(r.response_status), body: secrets.open(r.response_body), contentType: r.response_content_type }
        : null,
    createdAt: toDate(r.created_at),
    expiresAt: toDate(r.expires_at),
  });

  return {
    async claim(rec, staleBefore) {
      const now = fromDate(rec.createdAt);
      // A few rounds at most: a row deleted (released) between our insert and our read frees the key again.
      for (let round = 0; round < 3; round++) {
        await db
          .deleteFrom('idempotency_keys')
          .where('org_id', '=', rec.orgId)
          .where('key', '=', rec.key)
          .where((eb) => eb.or([eb('expires_at', '<=', now), eb.and([eb('state', '=', 'pending'), eb('created_at', '<', fromDate(staleBefore))])]))
          .execute();
        const inserted = await db
          .insertInto('idempotency_keys')
          .values({
            org_id: rec.orgId,
            key: rec.key,
            fingerprint: rec.fingerprint,
            state: 'pending',
            response_status: null,
            response_body: null,
            response_content_type: null,
            created_at: now,
            expires_at: fromDate(rec.expiresAt),
          })
          .onConflict((oc) => oc.columns(['org_id', 'key']).doNothing())
          .executeTakeFirst();
        if (Number(inserted?.numInsertedOrUpdatedRows ?? 0n) > 0) return { claimed: true };
        const row = await db.selectFrom('idempotency_keys').selectAll().where('org_id', '=', rec.orgId).where('key', '=', rec.key).executeTakeFirst();
        if (row) return { claimed: false, existing: toRecord(row) };
      }
      throw new Error('idempotency key claim did not settle');
    },

    async complete(orgId, key, fingerprint, response) {
      await db
        .updateTable('idempotency_keys')
        .set({
          state: 'done',
          response_status: response.status,
          response_body: secrets.seal(response.body),
          response_content_type: response.contentType,
        })
        .where('org_id', '=', orgId)
        .where('key', '=', key)
        .where('fingerprint', '=', fingerprint)
        .where('state', '=', 'pending')
        .execute();
    },

    async release(orgId, key, fingerprint) {
      await db
        .deleteFrom('idempotency_keys')
        .where('org_id', '=', orgId)
        .where('key', '=', key)
        .where('fingerprint', '=', fingerprint)
        .where('state', '=', 'pending')
        .execute();
    },

    async purgeExpired(now) {
      return affected(await db.deleteFrom('idempotency_keys').where('expires_at', '<=', fromDate(now)).executeTakeFirst());
    },
  };
}
