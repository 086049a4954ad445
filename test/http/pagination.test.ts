/**
 * Cursor pagination: the HTTP helpers (query fragment, signed cursors, page schema) and the store keyset helper
 * over a real table (audit_events) on SQLite and PostgreSQL, then both together behind a list route registered
 * by this test only.
 */
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { compose, type Container } from '../../src/compose.js';
import { AppError } from '../../src/domain/shared/errors.js';
import { PageQuerySchema, decodeCursor, encodeCursor, page, pageQuery, pageResponse } from '../../src/http/api/pagination.js';
import { problemResponses } from '../../src/http/api/schemas.js';
import { buildApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { keyset, toPage } from '../../src/store/pagination.js';
import { testConfig } from '../support/app.js';
import { expectAppError } from '../support/expect.js';
import { seeded } from '../support/seed.js';
import { createTestDb, fixedClock, testDialects, type TestDb } from '../support/db.js';
import type { PagePosition } from '../../src/domain/shared/model.js';

const secrets = { mac: (purpose: string, value: string) => createHmac('sha256', 'test-key').update(`${purpose}\0${value}`).digest('hex') };
const otherSecrets = { mac: (purpose: string, value: string) => createHmac('sha256', 'other-key').update(`${purpose}\0${value}`).digest('hex') };

describe('pagination helpers', () => {
  const position: PagePosition = { t: '2026-01-15T09:00:00.000Z', id: '0190f0a2-7c1e-7000-8000-000000000001' };

  it('round-trips a position through an opaque, URL-safe cursor', () => {
    const cursor = encodeCursor(secrets, position, 'audit');
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[0-9a-f]{32}$/);
    expect(cursor.length).toBeLessThan(500);
    expect(decodeCursor(secrets, cursor, 'audit')).toEqual(position);
    expect(decodeCursor(secrets, undefined)).toBeNull();
    expect(decodeCursor(secrets, '')).toBeNull();
  });

  it('refuses forged, tampered, foreign and malformed cursors with CURSOR_INVALID', () => {
    const cursor = encodeCursor(secrets, position, 'audit');
    const [payload, mac] = cursor.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify({ t: '2999-01-01T00:00:00.000Z', id: 'z' })).toString('base64url');
    expectAppError(() => decodeCursor(secrets, `${forged}.${mac}`, 'audit'), 'CURSOR_INVALID');
    expectAppError(() => decodeCursor(secrets, `${payload}.${mac.slice(0, -1)}${mac.endsWith('0') ? '1' : '0'}`, 'audit'), 'CURSOR_INVALID');
    expectAppError(() => decodeCursor(secrets, cursor, 'templates'), 'CURSOR_INVALID'); // another list
    expectAppError(() => decodeCursor(otherSecrets, cursor, 'audit'), 'CURSOR_INVALID'); // another server key
    for (const bad of ['x', 'a.b', '.', `${payload}.`, `.${mac}`, `${payload}.${mac}.x`, '%%%', 'é.é', 'a'.repeat(600)]) {
      expectAppError(() => decodeCursor(secrets, bad, 'audit'), 'CURSOR_INVALID');
    }
    // Correctly signed but not a position: still a 400, never a 500.
    const sign = (text: string) => {
      const p = Buffer.from(text).toString('base64url');
      return `${p}.${secrets.mac('api-cursor', `audit\n${p}`).slice(0, 32)}`;
    };
    for (const text of ['not json', '[]', 'null', '{"t":1,"id":"a"}', '{"t":"a"}', '{"t":"a","id":"b","x":1}', `{"t":"${'a'.repeat(100)}","id":"b"}`]) {
      expectAppError(() => decodeCursor(secrets, sign(text), 'audit'), 'CURSOR_INVALID');
    }
    expect(decodeCursor(secrets, sign('{"t":"a","id":"b"}'), 'audit')).toEqual({ t: 'a', id: 'b' });
  });

  it('never throws anything but CURSOR_INVALID, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 600 }), (raw) => {
        try {
          decodeCursor(secrets, raw, 'audit');
        } catch (err) {
          return err instanceof AppError && err.code === 'CURSOR_INVALID';
        }
        return true;
      }),
      seeded({ numRuns: 2000 }),
    );
  });

  it('parses limit (coerced, 1..100, default 50) and a bounded cursor', () => {
    expect(PageQuerySchema.parse({})).toEqual({ limit: 50 });
    expect(PageQuerySchema.parse({ limit: '10', cursor: 'abc' })).toEqual({ limit: 10, cursor: 'abc' });
    expect(PageQuerySchema.parse({ limit: '100' }).limit).toBe(100);
    for (const limit of ['0', '101', '-1', 'abc', '1.5', '']) expect(PageQuerySchema.safeParse({ limit }).success, limit).toBe(false);
    expect(PageQuerySchema.safeParse({ cursor: 'a'.repeat(501) }).success).toBe(false);
    expect(z.object({ ...pageQuery, q: z.string().optional() }).parse({ q: 'x' })).toEqual({ limit: 50, q: 'x' });
  });

  it('builds { data, nextCursor } responses and their schema', () => {
    const schema = page(z.object({ id: z.string() }));
    const body = pageResponse(secrets, { items: [{ id: 'a', secret: 1 }], next: position }, { present: (i) => ({ id: i.id }), scope: 'audit' });
    expect(schema.parse(body)).toEqual(body);
    expect(decodeCursor(secrets, body.nextCursor, 'audit')).toEqual(position);
    expect(pageResponse(secrets, { items: [], next: null }, { present: (i: { id: string }) => i })).toEqual({ data: [], nextCursor: null });
  });
});

for (const dialect of testDialects())
  describe(`${dialect}: keyset pagination`, () => {
    let db: TestDb;
    const orgId = 'org-paging';
    const rows: { id: string; at: string }[] = [];
    beforeAll(async () => {
      db = await createTestDb(dialect);
      // 23 events over 8 distinct instants: ties on the timestamp are broken by id.
      for (let i = 0; i < 23; i++) {
        const at = new Date(Date.UTC(2026, 0, 15, 9, 0, i % 8)).toISOString();
        const id = `0190f0a2-7c1e-7000-8000-${String(1000 + ((i * 7) % 23)).padStart(12, '0')}`;
        rows.push({ id, at });
      }
      await db.db
        .insertInto('audit_events')
        .values(
          rows.map((r) => ({
            id: r.id,
            at: r.at,
            org_id: orgId,
            actor_user_id: null,
            actor_api_key_id: null,
            action: 'test.event',
            target_type: null,
            target_id: null,
            ip: null,
            request_id: null,
            details: null,
          })),
        )
        .execute();
      await db.db
        .insertInto('audit_events')
        .values({
          id: 'ffffffff-ffff-7fff-8fff-ffffffffffff',
          at: '2030-01-01T00:00:00.000Z',
          org_id: 'another-org',
          actor_user_id: null,
          actor_api_key_id: null,
          action: 'test.event',
          target_type: null,
          target_id: null,
          ip: null,
          request_id: null,
          details: null,
        })
        .execute();
    });
    afterAll(async () => {
      await db.cleanup();
    });

    const expected = () => [...rows].sort((a, b) => (a.at === b.at ? (a.id < b.id ? 1 : -1) : a.at < b.at ? 1 : -1)).map((r) => r.id);
    const listPage = async (limit: number, after: PagePosition | null) => {
      const q = db.db.selectFrom('audit_events').select(['id', 'at']).where('org_id', '=', orgId);
      const found = await keyset(q, { limit, after }, { t: 'at', id: 'id' }).execute();
      return toPage(found, { limit, after }, { positionOf: (r) => ({ t: r.at, id: r.id }), map: (r) => r.id });
    };

    it.each([1, 5, 7, 22, 23, 100])('walks every row once, newest first, %i at a time', async (limit) => {
      const seen: string[] = [];
      let after: PagePosition | null = null;
      for (let guard = 0; guard < 50; guard++) {
        const p = await listPage(limit, after);
        expect(p.items.length).toBeLessThanOrEqual(limit);
        seen.push(...p.items);
        if (!p.next) break;
        after = p.next;
      }
      expect(seen).toEqual(expected());
    });

    it('is stable when rows are added at the top between pages', async () => {
      const first = await listPage(5, null);
      await db.db
        .insertInto('audit_events')
        .values({
          id: '0190f0a2-7c1e-7000-8000-999999999999',
          at: '2026-06-01T00:00:00.000Z',
          org_id: orgId,
          actor_user_id: null,
          actor_api_key_id: null,
          action: 'test.event',
          target_type: null,
          target_id: null,
          ip: null,
          request_id: null,
          details: null,
        })
        .execute();
      const second = await listPage(5, first.next);
      expect([...first.items, ...second.items]).toEqual(expected().slice(0, 10));
    });
  });

for (const dialect of testDialects())
  describe(`${dialect}: a paginated route`, () => {
    let db: TestDb, container: Container, app: Awaited<ReturnType<typeof buildApp>>, dataDir: string;
    beforeAll(async () => {
      db = await createTestDb(dialect);
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sceau-paging-'));
      const config = testConfig({ db: db.config, dataDir });
      container = await compose(config, { role: 'web', clock: fixedClock(), logger: createLogger({ level: 'silent' }), handle: db });
      app = await buildApp(container.deps);
      app.withTypeProvider<ZodTypeProvider>().get(
        '/test/events',
        {
          config: { kind: 'api' },
          schema: {
            querystring: z.object({ ...pageQuery }),
            response: { 200: page(z.object({ id: z.string(), at: z.string() })), ...problemResponses },
          },
        },
        async (request) => {
          const { limit, cursor } = request.query;
          const after = decodeCursor(container.deps.secrets, cursor, 'events');
          const q = container.handle.db.selectFrom('audit_events').select(['id', 'at']).where('org_id', '=', 'org-route');
          const rows = await keyset(q, { limit, after }, { t: 'at', id: 'id' }).execute();
          return pageResponse(container.deps.secrets, toPage(rows, { limit, after }, { positionOf: (r) => ({ t: r.at, id: r.id }), map: (r) => r }), {
            present: (r) => r,
            scope: 'events',
          });
        },
      );
      await app.ready();
      await container.handle.db
        .insertInto('audit_events')
        .values(
          Array.from({ length: 12 }, (_, i) => ({
            id: `0190f0a2-7c1e-7000-8000-${String(i).padStart(12, '0')}`,
            at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
            org_id: 'org-route',
            actor_user_id: null,
            actor_api_key_id: null,
            action: 'test.event',
            target_type: null,
            target_id: null,
            ip: null,
            request_id: null,
            details: null,
          })),
        )
        .execute();
    });
    afterAll(async () => {
      await app.close();
      await container.close();
      await db.cleanup();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    const get = (query: string) => app.inject({ method: 'GET', url: `/test/events${query}`, headers: { 'accept-language': 'en' } });

    it('pages through with nextCursor and ends with null', async () => {
      const ids: string[] = [];
      let query = '?limit=5';
      for (let i = 0; i < 10; i++) {
        const res = await get(query);
        expect(res.statusCode).toBe(200);
        const body = res.json() as { data: { id: string }[]; nextCursor: string | null };
        ids.push(...body.data.map((d) => d.id));
        if (!body.nextCursor) break;
        query = `?limit=5&cursor=${encodeURIComponent(body.nextCursor)}`;
      }
      expect(ids).toHaveLength(12);
      expect(ids[0]).toBe('0190f0a2-7c1e-7000-8000-000000000011');
      expect(new Set(ids).size).toBe(12);
      expect((await get('')).json().data).toHaveLength(12); // default limit 50
    });

    it('answers 400 CURSOR_INVALID for a forged or foreign cursor and 400 for a bad limit, never 500', async () => {
      const forged = encodeCursor(secrets, { t: '2026-01-01T00:00:05.000Z', id: 'x' }, 'events');
      for (const cursor of [forged, 'garbage', encodeCursor(container.deps.secrets, { t: 'a', id: 'b' }, 'templates')]) {
        const res = await get(`?cursor=${encodeURIComponent(cursor)}`);
        expect(res.statusCode).toBe(400);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.json()).toMatchObject({ code: 'CURSOR_INVALID', field: 'cursor', detail: expect.stringContaining('cursor') });
      }
      for (const limit of ['0', '101', 'ten']) expect((await get(`?limit=${limit}`)).json().code).toBe('VALIDATION_FAILED');
      expect((await get(`?cursor=${'a'.repeat(501)}`)).statusCode).toBe(400);
    });
  });
