/**
 * Keyset (cursor) pagination for repositories, newest first on (created_at DESC, id DESC).
 *
 * A list method takes a `PageRequest` ({ limit, after }) and returns a `Page<T>` ({ items, next }); the HTTP
 * layer turns `next` into an opaque signed cursor (src/http/api/pagination.ts). The query is
 *
 *   WHERE <filters> AND (created_at < :t OR (created_at = :t AND id < :id))
 *   ORDER BY created_at DESC, id DESC LIMIT :limit + 1
 *
 * i.e. in Kysely
 *   .where((eb) => eb.or([eb('created_at', '<', t), eb.and([eb('created_at', '=', t), eb('id', '<', id)])]))
 * — stable under concurrent inserts (no OFFSET), served by an index on (org_id, created_at, id). The extra row
 * tells whether a next page exists. Dates are ISO-8601 text of one fixed format and ids UUIDv7 text, so text
 * comparison is chronological on SQLite and PostgreSQL alike. Example:
 *
 *   async listPage(orgId, page) {
 *     const rows = await keyset(db.selectFrom('templates').selectAll().where('org_id', '=', orgId), page).execute();
 *     return toPage(rows, page, (r) => ({ t: r.created_at, id: r.id }), rowToTemplate);
 *   }
 */
import type { SelectQueryBuilder } from 'kysely';
import type { Page, PagePosition, PageRequest } from '../domain/shared/model.js';

export interface KeysetColumns {
  /** Timestamp column (ISO text), default `created_at`; qualify it (`t.created_at`) when the query joins. */
  t: string;
  /** Unique tie-breaker column, default `id`. */
  id: string;
}

const DEFAULT_COLUMNS: KeysetColumns = { t: 'created_at', id: 'id' };

/** Adds the keyset condition, the (t DESC, id DESC) order and `limit + 1` to a select. */
export function keyset<DB, TB extends keyof DB, O>(
  qb: SelectQueryBuilder<DB, TB, O>,
  page: PageRequest,
  columns: KeysetColumns = DEFAULT_COLUMNS,
): SelectQueryBuilder<DB, TB, O> {
  // Column names are chosen by the repository, not typed against DB: the builder is widened for these calls only.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let q = qb as unknown as SelectQueryBuilder<any, any, O>;
  const after = page.after;
  if (after) {
    q = q.where((eb) => eb.or([eb(columns.t, '<', after.t), eb.and([eb(columns.t, '=', after.t), eb(columns.id, '<', after.id)])]));
  }
  q = q
    .orderBy(columns.t, 'desc')
    .orderBy(columns.id, 'desc')
    .limit(page.limit + 1);
  return q as unknown as SelectQueryBuilder<DB, TB, O>;
}

/** The first `limit` rows mapped, and the position of the last one when more rows followed. */
export function toPage<R, T>(rows: R[], page: PageRequest, { positionOf, map }: { positionOf: (row: R) => PagePosition; map: (row: R) => T }): Page<T> {
  const kept = rows.slice(0, page.limit);
  const last = kept[kept.length - 1];
  return { items: kept.map(map), next: rows.length > page.limit && last !== undefined ? positionOf(last) : null };
}
