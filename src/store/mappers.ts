/** Row ↔ domain conversions shared by repositories. SQLite returns 0/1 for booleans; both store ISO text dates. */
export const toDate = (v: string): Date => new Date(v);
export const toDateOrNull = (v: string | null): Date | null => (v === null ? null : new Date(v));
export const fromDate = (d: Date): string => d.toISOString();
export const fromDateOrNull = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);
export const toBool = (v: number | boolean): boolean => v === true || v === 1;
export const fromBool = (v: boolean): number => (v ? 1 : 0);
export const parseJson = <T>(v: string | null): T | null => (v === null ? null : (JSON.parse(v) as T));
export const affected = (r: { numUpdatedRows?: bigint; numDeletedRows?: bigint } | undefined): number =>
  Number(r?.numUpdatedRows ?? r?.numDeletedRows ?? 0n);
