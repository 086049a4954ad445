/**
 * Template images end to end, on SQLite and PostgreSQL: console upload (multipart) and the JSON API, roles, the
 * public route's headers and 404s, SVG rasterised and never served as SVG (X2), limits, deduplication, and the
 * repository contract.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageUrl } from '../../src/domain/templates/images.js';
import { normalizeUrl } from '../../src/domain/shared/validation.js';
import { type Agent, createTestApp, type TestApp } from '../support/app.js';
import { testDialects } from '../support/db.js';
import { apiKeyFor, createOrgs } from '../support/factories.js';
import { seededBytes } from '../support/seed.js';
import { PNG_SIGNATURE, handPng, solidPng, tinyJpeg, withPngChunk } from './fixtures.js';
import type { Organization } from '../../src/domain/organizations/model.js';
import { IMAGE_MAX_BYTES, type StoredImage } from '../../src/domain/templates/model.js';

const HOSTILE_SVG = `<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="200" height="200" onload="alert('onload')">
<script>alert('script')</script>
<foreignObject width="100" height="100"><body xmlns="http://www.w3.org/1999/xhtml"><script>alert('fo')</script></body></foreignObject>
<image href="https://tracker.example/pixel.png" width="10" height="10"/>
<image xlink:href="file:///etc/passwd" width="10" height="10"/>
<circle cx="100" cy="100" r="80" fill="#1f6feb"/>
</svg>`;
const FORBIDDEN_STRINGS = ['<script', 'onload', 'foreignObject', 'tracker.example', 'file:', '/etc/passwd', '<svg', 'alert'];

function multipart(fields: Record<string, string>, file?: { name: string; filename: string; type: string; data: Buffer }) {
  const boundary = `----sceau${randomBytes(8).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  if (file) {
    parts.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; filename="${file.filename}"\r\nContent-Type: ${file.type}\r\n\r\n`),
    );
    parts.push(file.data, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

for (const dialect of testDialects())
  describe(`${dialect}: template images`, () => {
    let t: TestApp, org: Organization, other: Organization, apiKey: string;
    const agents: Record<string, Agent> = {};

    beforeAll(async () => {
      t = await createTestApp({ dialect });
      [org, other] = (await createOrgs(t, [
        {
          name: 'Atelier',
          slug: 'atelier',
          members: [
            { email: 'admin@atelier.example', role: 'admin' },
            { email: 'staff@atelier.example', role: 'staff' },
            { email: 'reviewer@atelier.example', role: 'reviewer' },
          ],
        },
        { name: 'Autre', slug: 'autre', members: [{ email: 'admin@autre.example', role: 'admin' }] },
      ])) as [Organization, Organization];
      await t.createUser({ email: 'outsider@example.org' });
      for (const who of ['admin@atelier.example', 'staff@atelier.example', 'reviewer@atelier.example', 'admin@autre.example', 'outsider@example.org']) {
        agents[who] = t.agent();
        await agents[who]!.signIn(who);
      }
      apiKey = await apiKeyFor(t, org, { label: 'images' });
    });
    afterAll(async () => {
      await t.close();
    });

    async function upload(who: string, bytes: Buffer, slug = 'atelier', filename = 'badge.png'): Promise<LightMyRequestResponse> {
      const agent = agents[who]!;
      t.clock.advance(1000); // newest first: `latest()` is the last upload
      const { payload, contentType } = multipart({ _csrf: await agent.csrf() }, { name: 'image', filename, type: 'application/octet-stream', data: bytes });
      return t.app.inject({
        method: 'POST',
        url: `/console/${slug}/images`,
        payload,
        headers: { 'content-type': contentType, accept: 'text/html', cookie: agent.cookieHeader() },
      });
    }

    const api = (body: Buffer | string, contentType: string, key: string | null = apiKey) => (
      t.clock.advance(1000),
      t.app.inject({
        method: 'POST',
        url: '/api/v1/images',
        payload: body,
        headers: { 'content-type': contentType, 'accept-language': 'en', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      })
    );

    const latest = async (): Promise<StoredImage> => {
      const [meta] = await t.container.store.images.listForOrg(org.id);
      return (await t.container.store.images.find(org.id, meta!.id))!;
    };

    it('lets staff upload a PNG from the console, lists it, records the audit event, and serves it', async () => {
      const png = withPngChunk(solidPng(120, 80), 'tEXt', Buffer.from('Author\0Someone <someone@example.org>'));
      const res = await upload('staff@atelier.example', png);
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe('/console/atelier/images?done=uploaded');
      const image = await latest();
      expect(image).toMatchObject({ orgId: org.id, contentType: 'image/png', width: 120, height: 80 });
      expect(image.bytes.includes('someone@example.org')).toBe(false); // metadata stripped
      expect(image.byteSize).toBe(image.bytes.length);

      const page = await agents['staff@atelier.example']!.get(String(res.headers.location));
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('Image ajoutée.');
      expect(page.body).toContain(`<img src="/orgs/atelier/images/${image.id}"`);
      expect(page.body).toContain('120 × 80');
      expect(page.body).toContain('enctype="multipart/form-data"');
      expect(page.body).toContain(`http://sceau.test:3000/orgs/atelier/images/${image.id}`);

      const audit = await t.container.store.audit.listForOrg(org.id, 50);
      expect(audit.find((e) => e.action === 'image.uploaded' && e.targetId === image.id)).toBeTruthy();

      const served = await t.app.inject({ method: 'GET', url: `/orgs/atelier/images/${image.id}` });
      expect(served.statusCode).toBe(200);
      expect(served.rawPayload.equals(image.bytes)).toBe(true);
      expect(served.headers['content-type']).toBe('image/png');
      expect(served.headers['x-content-type-options']).toBe('nosniff');
      expect(served.headers['content-security-policy']).toBe("default-src 'none'; sandbox");
      expect(served.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(served.headers['cross-origin-resource-policy']).toBe('cross-origin');
      expect(served.headers.etag).toBe(`"${image.sha256}"`);
      expect(served.headers['set-cookie']).toBeUndefined();

      const again = await t.app.inject({ method: 'GET', url: `/orgs/atelier/images/${image.id}`, headers: { 'if-none-match': `W/"x", "${image.sha256}"` } });
      expect(again.statusCode).toBe(304);
      expect(again.rawPayload.length).toBe(0);
      expect(again.headers.etag).toBe(`"${image.sha256}"`);
      const stale = await t.app.inject({ method: 'GET', url: `/orgs/atelier/images/${image.id}`, headers: { 'if-none-match': '"other"' } });
      expect(stale.statusCode).toBe(200);

      const head = await t.app.inject({ method: 'HEAD', url: `/orgs/atelier/images/${image.id}` });
      expect(head.statusCode).toBe(200);
      expect(head.rawPayload.length).toBe(0);
      expect(head.headers['content-type']).toBe('image/png');
      expect(head.headers['content-security-policy']).toBe("default-src 'none'; sandbox");
    });

    it("answers the same 404 for another organisation's slug, an unknown id and an unknown organisation", async () => {
      const image = await latest();
      const foreign = await t.app.inject({ method: 'GET', url: `/orgs/autre/images/${image.id}` });
      const random = await t.app.inject({ method: 'GET', url: `/orgs/atelier/images/${randomUUID()}` });
      const nowhere = await t.app.inject({ method: 'GET', url: `/orgs/nowhere/images/${image.id}` });
      const weird = await t.app.inject({ method: 'GET', url: '/orgs/atelier/images/..%2f..%2fetc' });
      for (const res of [foreign, random, nowhere, weird]) {
        expect(res.statusCode).toBe(404);
        expect(res.body).toBe(random.body);
        expect(res.headers['content-type']).toBe(random.headers['content-type']);
      }
      const foreignHead = await t.app.inject({ method: 'HEAD', url: `/orgs/autre/images/${image.id}` });
      expect(foreignHead.statusCode).toBe(404);
    });

    it('gives reviewers 403 and non-members the 404 of a missing organisation', async () => {
      const png = solidPng(10, 10, '#00aa00');
      expect((await upload('reviewer@atelier.example', png)).statusCode).toBe(403);
      expect((await agents['reviewer@atelier.example']!.get('/console/atelier/images')).statusCode).toBe(403);
      const outsider = await upload('outsider@example.org', png);
      const missing = await upload('outsider@example.org', png, 'does-not-exist');
      expect(outsider.statusCode).toBe(404);
      expect(outsider.body).toBe(missing.body);
      const foreignAdmin = await agents['admin@autre.example']!.get('/console/atelier/images');
      expect(foreignAdmin.statusCode).toBe(404);
      expect(foreignAdmin.body).toBe((await agents['admin@autre.example']!.get('/console/does-not-exist/images')).body);
      expect((await t.container.store.images.listForOrg(org.id)).some((i) => i.width === 10)).toBe(false);
      // Not signed in: 401 (multipart bodies are not even read).
      const { payload, contentType } = multipart({}, { name: 'image', filename: 'a.png', type: 'image/png', data: png });
      expect((await t.app.inject({ method: 'POST', url: '/console/atelier/images', payload, headers: { 'content-type': contentType } })).statusCode).toBe(401);
      // Without the CSRF token: refused.
      const agent = agents['admin@atelier.example']!;
      const noCsrf = multipart({}, { name: 'image', filename: 'a.png', type: 'image/png', data: png });
      expect(
        (
          await t.app.inject({
            method: 'POST',
            url: '/console/atelier/images',
            payload: noCsrf.payload,
            headers: { 'content-type': noCsrf.contentType, cookie: agent.cookieHeader() },
          })
        ).statusCode,
      ).toBe(403);
    });

    it('stores a hostile SVG as a PNG only; what is served carries none of its content', async () => {
      const res = await upload('admin@atelier.example', Buffer.from(HOSTILE_SVG), 'atelier', 'badge.svg');
      expect(res.statusCode).toBe(303);
      const image = await latest();
      expect(image.contentType).toBe('image/png');
      expect([image.width, image.height]).toEqual([1024, 1024]);
      const served = await t.app.inject({ method: 'GET', url: `/orgs/atelier/images/${image.id}` });
      expect(served.headers['content-type']).toBe('image/png');
      expect(served.rawPayload.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
      const text = served.rawPayload.toString('latin1');
      for (const s of FORBIDDEN_STRINGS) expect(text.includes(s), s).toBe(false);
      // Nothing in the database is SVG.
      const all = await Promise.all((await t.container.store.images.listForOrg(org.id)).map((m) => t.container.store.images.find(org.id, m.id)));
      for (const i of all) {
        expect(['image/png', 'image/jpeg']).toContain(i!.contentType);
        expect(i!.bytes.includes('<svg')).toBe(false);
      }
    });

    it('refuses unusable files with a clear message and status, in the page', async () => {
      const admin = 'admin@atelier.example';
      const before = (await t.container.store.images.listForOrg(org.id)).length;
      const png = solidPng(30, 30);
      const cases: [string, Buffer, number, string][] = [
        ['garbage', seededBytes(500), 400, 'n’est pas une image PNG, JPEG ou SVG'],
        ['html', Buffer.from('<html><body><script>alert(1)</script></body></html>'), 400, 'n’est pas une image PNG, JPEG ou SVG'],
        ['empty', Buffer.alloc(0), 400, 'n’est pas une image PNG, JPEG ou SVG'],
        ['truncated', png.subarray(0, png.length - 20), 400, 'incomplète ou endommagée'],
        ['polyglot', Buffer.concat([png, Buffer.from('<script>alert(1)</script>')]), 400, 'incomplète ou endommagée'],
        ['broken svg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><g></svg>'), 400, 'incomplète ou endommagée'],
        ['5000×5000', handPng(5000, 5000, { rawSize: 10 }), 400, '4096 × 4096 pixels au maximum'],
        ['4097×1', handPng(4097, 1), 400, '4096 × 4096 pixels au maximum'],
        ['> 2 MiB', Buffer.concat([png, seededBytes(IMAGE_MAX_BYTES)]), 413, 'maximum 2 Mio'],
        [
          'SVG > 1 MiB',
          Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><!-- ${'x'.repeat(1024 * 1024)} --></svg>`),
          413,
          'maximum 1 Mio',
        ],
      ];
      for (const [label, bytes, status, message] of cases) {
        const res = await upload(admin, bytes);
        expect(res.statusCode, label).toBe(status);
        expect(res.body, label).toContain(message);
        expect(res.body, label).toContain('aria-invalid="true"');
      }
      const missingFile = await agents[admin]!.post('/console/atelier/images', { image: 'not a file' });
      expect(missingFile.statusCode).toBe(400);
      expect((await t.container.store.images.listForOrg(org.id)).length).toBe(before);
    });

    it('accepts a JPEG and a PNG at the 4096-pixel limit', async () => {
      expect((await upload('staff@atelier.example', tinyJpeg(64, 48), 'atelier', 'photo.jpg')).statusCode).toBe(303);
      expect(await latest()).toMatchObject({ contentType: 'image/jpeg', width: 64, height: 48 });
      expect((await upload('staff@atelier.example', solidPng(4096, 16))).statusCode).toBe(303);
      expect(await latest()).toMatchObject({ contentType: 'image/png', width: 4096, height: 16 });
    });

    it('uploads through the API (raw body), detecting the format from the bytes, deduplicating identical files', async () => {
      const png = solidPng(50, 40, '#8e44ad');
      const res = await api(png, 'image/png');
      expect(res.statusCode).toBe(201);
      const body = res.json();
      expect(body).toEqual({
        id: expect.any(String),
        url: `http://sceau.test:3000/orgs/atelier/images/${body.id}`,
        width: 50,
        height: 40,
        contentType: 'image/png',
      });
      // Same bytes, declared as JPEG, through the console: the same image.
      expect((await api(png, 'image/jpeg')).json().id).toBe(body.id);
      expect((await upload('admin@atelier.example', png)).statusCode).toBe(303);
      expect((await t.container.store.images.listForOrg(org.id)).filter((i) => i.id === body.id)).toHaveLength(1);
      // Another organisation gets its own image for the same bytes.
      const otherKey = await apiKeyFor(t, other, { label: 'x' });
      const theirs = await api(png, 'image/png', otherKey);
      expect(theirs.statusCode).toBe(201);
      expect(theirs.json().id).not.toBe(body.id);
      expect((await t.app.inject({ method: 'GET', url: `/orgs/atelier/images/${theirs.json().id}` })).statusCode).toBe(404);

      const svg = await api(HOSTILE_SVG, 'image/svg+xml; charset=utf-8');
      expect(svg.statusCode).toBe(201);
      expect(svg.json()).toMatchObject({ contentType: 'image/png', width: 1024, height: 1024 });
      const disguised = await api(HOSTILE_SVG, 'image/png');
      expect(disguised.json().contentType).toBe('image/png');
      const served = await t.app.inject({ method: 'GET', url: new URL(disguised.json().url).pathname });
      for (const s of FORBIDDEN_STRINGS) expect(served.rawPayload.toString('latin1').includes(s), s).toBe(false);
    });

    it('answers API errors as problems: 401 without a key, 415, 413, 400', async () => {
      expect((await api(solidPng(5, 5), 'image/png', null)).statusCode).toBe(401);
      const json = await api('{"image":"x"}', 'application/json');
      expect(json.statusCode).toBe(415);
      expect(json.json().code).toBe('UNSUPPORTED_MEDIA_TYPE');
      const big = await api(seededBytes(IMAGE_MAX_BYTES + 1), 'image/png');
      expect(big.statusCode).toBe(413);
      expect(big.headers['content-type']).toContain('application/problem+json');
      const garbage = await api(seededBytes(100), 'image/jpeg');
      expect(garbage.statusCode).toBe(400);
      expect(garbage.json()).toMatchObject({ code: 'IMAGE_UNSUPPORTED', detail: 'This file is not a usable PNG, JPEG or SVG image.' });
      const huge = await api(handPng(5000, 5000, { rawSize: 10 }), 'image/png');
      expect(huge.json()).toMatchObject({ code: 'IMAGE_DIMENSIONS', params: { max: 4096 } });
      const cut = await api(tinyJpeg(16, 16).subarray(0, 100), 'image/jpeg');
      expect(cut.json().code).toBe('IMAGE_CORRUPT');
    });

    it('builds public URLs that pass the URL rules used for OB documents', () => {
      const url = imageUrl(new URL('https://sceau.example'), 'atelier', 'a1b2');
      expect(url).toBe('https://sceau.example/orgs/atelier/images/a1b2');
      expect(normalizeUrl(url, 'image')).toBe(url);
    });

    it('keeps the repository contract (bytes exact, scoped by organisation, newest first, unique per hash)', async () => {
      const repo = t.container.store.images;
      const bytes = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));
      const base = {
        orgId: other.id,
        contentType: 'image/png' as const,
        width: 1,
        height: 2,
        byteSize: bytes.length,
        createdBy: null,
        bytes,
      };
      const first: StoredImage = { ...base, id: randomUUID(), sha256: 'a'.repeat(64), createdAt: new Date('2030-01-01T00:00:00Z') };
      const second: StoredImage = { ...base, id: randomUUID(), sha256: 'b'.repeat(64), createdAt: new Date('2030-01-02T00:00:00Z') };
      expect(await repo.create(first)).toBe(true);
      expect(await repo.create(second)).toBe(true);
      expect(await repo.create({ ...first, id: randomUUID() })).toBe(false); // same (org, sha256)
      expect(await repo.create({ ...first, orgId: org.id, id: randomUUID() })).toBe(true); // another organisation
      const found = await repo.find(other.id, first.id);
      expect(found?.bytes.equals(bytes)).toBe(true);
      expect(found).toMatchObject({ ...base, id: first.id, sha256: first.sha256, createdAt: first.createdAt });
      expect(await repo.find(org.id, first.id)).toBeUndefined();
      expect((await repo.findPublic(second.id))?.orgId).toBe(other.id);
      expect(await repo.findPublic(randomUUID())).toBeUndefined();
      expect((await repo.findBySha256(other.id, 'b'.repeat(64)))?.id).toBe(second.id);
      const list = await repo.listForOrg(other.id);
      expect(list.slice(0, 2).map((i) => i.id)).toEqual([second.id, first.id]);
      expect(list.every((i) => !('bytes' in i))).toBe(true);
    });
  });
