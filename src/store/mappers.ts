/** Row ↔ domain conversions shared by repositories. SQLite returns 0/1 for booleans; both store ISO text dates. */
export const toDate = (v: string): Date => new Date(v);
export const toDateOrNull = (v: string | null): Date | null => (v === null ? null : new Date(v));
export const fromDate = (d: Date): string => d.toISOString();
export const fromDateOrNull = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);
export const toBool = (v: number | boolean): boolean => v === true || v === 1;
export const fromBool = (v: boolean): number => (v ? 1 : 0);
export const parseJson = <T>(v: string | null): T | null => (v === null ? null : (JSON.parse(v) as T));
/**
 * Rows per multi-row INSERT: a batch of credentials is a few statements instead of one per row (shorter SQLite write
 * locks), while 100 rows × the widest table's columns stays far below both engines' bound-parameter limits.
 */
export const INSERT_SLICE = 100;
export async function inSlices<T>(rows: readonly T[], write: (slice: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_SLICE) await write(rows.slice(i, i + INSERT_SLICE));
}
export const affected = (r: { numUpdatedRows?: bigint; numDeletedRows?: bigint } | undefined): number => Number(r?.numUpdatedRows ?? r?.numDeletedRows ?? 0n);
