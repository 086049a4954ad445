/**
 * Cursor pagination of the JSON API: `?limit=1..100` (default 50) and `?cursor=<opaque>`; lists answer
 * `{ data: [...], nextCursor: string | null }`. A cursor is the base64url JSON of a keyset position
 * ({ t, id }, see src/store/pagination.ts) followed by an HMAC (`secrets.mac`) bound to the list's scope, so
 * clients can neither forge positions nor carry a cursor from one list to another. Anything malformed or
 * tampered with answers 400 CURSOR_INVALID, never 500.
 *
 *   app.get('/templates', {
 *     schema: {
 *       querystring: z.object({ ...pageQuery, kind: z.enum(KINDS).optional() }),
 *       response: { 200: page(TemplateSchema), ...problemResponses },
 *     },
 *   }, async (request) => {
 *     const { limit, cursor, kind } = request.query;
 *     const after = decodeCursor(deps.secrets, cursor, 'templates');
 *     const result = await deps.store.templates.listPage(request.apiOrg!.id, { limit, after }, { kind });
 *     return pageResponse(deps.secrets, result, presentTemplate, 'templates');
 *   });
 */
import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../../domain/shared/errors.js';
import type { Secrets } from '../../domain/shared/ports.js';
import type { Page, PagePosition } from '../../domain/shared/model.js';

export const PAGE_LIMIT_DEFAULT = 50;
export const PAGE_LIMIT_MAX = 100;
export const CURSOR_MAX_LENGTH = 500;

/** Querystring fragment: spread it into a route's querystring object (`z.object({ ...pageQuery, q: … })`). */
export const pageQuery = {
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(PAGE_LIMIT_MAX)
    .default(PAGE_LIMIT_DEFAULT)
    .describe(`Items per page, 1–${PAGE_LIMIT_MAX} (default ${PAGE_LIMIT_DEFAULT}).`),
  cursor: z.string().max(CURSOR_MAX_LENGTH).optional().describe('Opaque cursor from the previous page’s `nextCursor`; omit it for the first page.'),
};
export const PageQuerySchema = z.object(pageQuery);

/** Response schema of a list: `{ data: T[], nextCursor: string | null }`. */
export function page<T extends z.ZodType>(item: T) {
  return z.object({
    data: z.array(item),
    nextCursor: z.string().nullable().describe('Pass it as `cursor` to get the next page; null on the last page.'),
  });
}

const MAC_CHARS = 32; // 128 bits of the hex HMAC
const PositionSchema = z.object({ t: z.string().min(1).max(64), id: z.string().min(1).max(128) }).strict();

function sign(secrets: Pick<Secrets, 'mac'>, scope: string, payload: string): string {
  return secrets.mac('api-cursor', `${scope}\n${payload}`).slice(0, MAC_CHARS);
}

/** An opaque cursor for a keyset position; `scope` names the list (a cursor only works on its own list). */
export function encodeCursor(secrets: Pick<Secrets, 'mac'>, position: PagePosition, scope = ''): string {
  const payload = Buffer.from(JSON.stringify({ t: position.t, id: position.id }), 'utf8').toString('base64url');
  return `${payload}.${sign(secrets, scope, payload)}`;
}

/** The position of a cursor; null without one (first page). Malformed, forged or foreign → CURSOR_INVALID (400). */
export function decodeCursor(secrets: Pick<Secrets, 'mac'>, raw: string | undefined | null, scope = ''): PagePosition | null {
  if (raw === undefined || raw === null || raw === '') return null;
  const invalid = () => new AppError('CURSOR_INVALID', {}, { field: 'cursor' });
  if (raw.length > CURSOR_MAX_LENGTH) throw invalid();
  const match = /^([A-Za-z0-9_-]+)\.([0-9a-f]+)$/.exec(raw);
  if (!match) throw invalid();
  const [, payload, mac] = match as unknown as [string, string, string];
  const expected = Buffer.from(sign(secrets, scope, payload), 'utf8');
  const given = Buffer.from(mac, 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const parsed = PositionSchema.safeParse(value);
  if (!parsed.success) throw invalid();
  return parsed.data;
}

/** A repository page as the API answers it: items presented, `next` turned into a cursor. */
export function pageResponse<I, O>(
  secrets: Pick<Secrets, 'mac'>,
  result: Page<I>,
  { present, scope = '' }: { present: (item: I) => O; scope?: string },
): { data: O[]; nextCursor: string | null } {
  return {
    data: result.items.map(present),
    nextCursor: result.next ? encodeCursor(secrets, result.next, scope) : null,
  };
}
