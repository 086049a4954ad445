/** Domain types. Plain data; rows are mapped to these in `src/store`. */

export type Locale = 'fr' | 'en';
export const LOCALES: readonly Locale[] = ['fr', 'en'];
export function isLocale(v: unknown): v is Locale {
  return v === 'fr' || v === 'en';
}

export interface AuditEvent {
  id: string;
  at: Date;
  orgId: string | null;
  actorUserId: string | null;
  actorApiKeyId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  requestId: string | null;
  details: Record<string, unknown> | null;
}

/** Who is acting: a signed-in person, an organisation API key, or the operator's CLI. */
export type Actor =
  | { kind: 'user'; userId: string; isPlatformAdmin: boolean; ip?: string | null; requestId?: string | null }
  | { kind: 'apiKey'; apiKeyId: string; orgId: string; ip?: string | null; requestId?: string | null }
  | { kind: 'system'; requestId?: string | null };
/**
 * Ports of the issuing side of the credential engine (types only). `src/crypto/issuer-keys.ts` and
 * `src/crypto/credential-signer.ts` implement them; `src/compose.ts` wires them.
 */

export type JsonObject = Record<string, unknown>;
/** Keyset position of a list ordered by (created_at DESC, id DESC): `t` is the ISO timestamp text. */
export interface PagePosition {
  t: string;
  id: string;
}

/** What a paginated repository method takes: at most `limit` items strictly after `after` (null: from the top). */
export interface PageRequest {
  limit: number;
  after?: PagePosition | null;
}

/** A page of items and the position to continue from (null on the last page). */
export interface Page<T> {
  items: T[];
  next: PagePosition | null;
}
