import type { Kysely, Selectable } from 'kysely';
import type { AuditEvent } from '../domain/shared/model.js';
import { fromDate, inSlices, parseJson, toDate } from './mappers.js';
import type { Database } from './tables.js';
import type { AuditRepository } from '../domain/shared/ports.js';

const rowToEvent = (r: Selectable<Database['audit_events']>): AuditEvent => ({
  id: r.id,
  at: toDate(r.at),
  orgId: r.org_id,
  actorUserId: r.actor_user_id,
  actorApiKeyId: r.actor_api_key_id,
  action: r.action,
  targetType: r.target_type,
  targetId: r.target_id,
  ip: r.ip,
  requestId: r.request_id,
  details: parseJson(r.details),
});

export function auditRepository(db: Kysely<Database>): AuditRepository {
  const repo: AuditRepository = {
    async record(e) {
      await repo.recordMany([e]);
    },
    async recordMany(events) {
      await inSlices(events, (slice) =>
        db
          .insertInto('audit_events')
          .values(
            slice.map((e) => ({
              id: e.id,
              at: fromDate(e.at),
              org_id: e.orgId,
              actor_user_id: e.actorUserId,
              actor_api_key_id: e.actorApiKeyId,
              action: e.action,
              target_type: e.targetType,
              target_id: e.targetId,
              ip: e.ip,
              request_id: e.requestId,
              details: e.details ? JSON.stringify(e.details) : null,
            })),
          )
          .execute(),
      );
    },
    async listForOrg(orgId, limit) {
      return (
        await db.selectFrom('audit_events').selectAll().where('org_id', '=', orgId).orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).execute()
      ).map(rowToEvent);
    },
    async listAll(limit) {
      return (await db.selectFrom('audit_events').selectAll().orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).execute()).map(rowToEvent);
    },
  };
  return repo;
}
