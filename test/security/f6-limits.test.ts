/**
 * F6: hard limits, and A12's CSRF refusals on every state-changing form.
 *  - a body over 1 MiB → 413 (JSON API, web form, web JSON); exactly 1 MiB is parsed;
 *  - JSON nested 33 deep → 400 VALIDATION_TOO_DEEP (32 is parsed);
 *  - text fields over their maximum → 400 (domain limits: names 200, API-key label 100, e-mail 254, password 128;
 *    schema caps above those), exactly at the maximum → accepted;
 *  - URL fields (organisation logoUrl): `javascript:`, `data:`, plain `http:` and friends → 400, the settings form
 *    re-rendered with URL_INVALID, nothing saved;
 *  - every state-changing web form with a missing, wrong or foreign CSRF token, or a foreign / null Origin → 403,
 *    nothing written.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.mock('fastify', async (importOriginal) => (await import('./support/route-capture.js')).wrapFastify(await importOriginal<object>()));

import type { ErrorCode } from '../../src/domain/shared/errors.js';
import { BODY_LIMIT, MAX_JSON_DEPTH } from '../../src/http/server.js';
import { format, messages } from '../../src/i18n/t.js';
import { escapeHtml } from '../../src/shared/html.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { CSRF, describeBody } from './support/fuzz-cases.js';
import {
  type Client,
  type Multipart,
  type World,
  dbHash,
  diffDumps,
  dumpDb,
  fillPath,
  isApiPath,
  seedWorld,
  sqliteOf,
  TEST_PASSWORD,
} from './support/harness.js';
import { solidPng } from '../images/fixtures.js';
import { csvOf } from '../templates/support.js';
import { type CapturedRoute, routeKey, routeTable } from './support/route-capture.js';

/** The French message of an error code, as it appears in an HTML page. */
const htmlMessage = (code: ErrorCode, params: Record<string, string | number> = {}) => escapeHtml(format(messages('fr').errors[code], params));

/** A JSON document `{"email": …, "role": "staff"}` whose email value nests so the whole document is `depth` deep. */
const nestedEmail = (depth: number) => `{"email":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)},"role":"staff"}`;

describe('F6 hard limits', () => {
  let t: TestApp, w: World, admin: Client, api: Client;

  beforeAll(async () => {
    t = await createTestApp();
    w = await seedWorld(t);
    admin = await w.signIn('adminA');
    api = w.apiClient(w.apiKeyA.key);
  });
  afterAll(async () => {
    await t?.close();
  });

  const orgRow = () => sqliteOf(t).prepare('select name, logo_url, languages from organizations where id = ?').get(w.orgA.id);
  const userRow = (id: string) => sqliteOf(t).prepare('select display_name, locale, password_hash, is_platform_admin from users where id = ?').get(id);

  describe('request bodies over 1 MiB → 413', () => {
    it('the limit is 1 MiB', () => {
      expect(BODY_LIMIT).toBe(1024 * 1024);
    });

    it('JSON API: 1 MiB + 1 byte → 413 problem+json PAYLOAD_TOO_LARGE; exactly 1 MiB is parsed (then refused as invalid)', async () => {
      const before = dbHash(t);
      const wrap = (n: number) => {
        const head = '{"email":"';
        const tail = '","role":"staff"}';
        return head + 'a'.repeat(n - head.length - tail.length) + tail;
      };
      const over = await api.send({ method: 'POST', url: '/api/v1/organization/invitations', payload: wrap(BODY_LIMIT + 1), contentType: 'application/json' });
      expect(over.statusCode).toBe(413);
      expect(over.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(over.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413 });
      const exact = await api.send({ method: 'POST', url: '/api/v1/organization/invitations', payload: wrap(BODY_LIMIT), contentType: 'application/json' });
      expect(exact.statusCode).toBe(400);
      expect(exact.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(dbHash(t)).toBe(before);
    });

    it('web form (urlencoded) and web JSON over 1 MiB → 413, HTML for a browser, problem+json otherwise', async () => {
      const before = dbHash(t);
      const token = await admin.csrf();
      const form = `_csrf=${token}&locale=fr&displayName=${'a'.repeat(BODY_LIMIT)}`;
      const html = await admin.send({ method: 'POST', url: '/account/profile', payload: form, contentType: 'application/x-www-form-urlencoded' });
      expect(html.statusCode).toBe(413);
      expect(html.headers['content-type']).toMatch(/^text\/html/);
      expect(html.body).toContain(htmlMessage('PAYLOAD_TOO_LARGE'));
      const json = await admin.send({
        method: 'POST',
        url: '/account/profile',
        payload: JSON.stringify({ _csrf: token, locale: 'fr', displayName: 'a'.repeat(BODY_LIMIT) }),
        contentType: 'application/json',
        headers: { accept: 'application/json' },
      });
      expect(json.statusCode).toBe(413);
      expect(json.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
      const anon = w.anonymous();
      const signup = await anon.send({
        method: 'POST',
        url: '/signup',
        payload: `_csrf=${await anon.csrf()}&displayName=x&email=x%40example.org&password=${'p'.repeat(BODY_LIMIT)}`,
        contentType: 'application/x-www-form-urlencoded',
      });
      expect(signup.statusCode).toBe(413);
      expect(dbHash(t)).toBe(before);
    });
  });

  describe(`JSON nesting deeper than ${MAX_JSON_DEPTH} → 400 VALIDATION_TOO_DEEP`, () => {
    it('the documented maximum is 32', () => {
      expect(MAX_JSON_DEPTH).toBe(32);
    });

    it('API: depth 32 is parsed (then fails validation), depth 33 and 10,000 are refused as too deep', async () => {
      const before = dbHash(t);
      const at32 = await api.send({ method: 'POST', url: '/api/v1/organization/invitations', payload: nestedEmail(32), contentType: 'application/json' });
      expect(at32.statusCode).toBe(400);
      expect(at32.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
      for (const depth of [33, 34, 10_000]) {
        const res = await api.send({ method: 'POST', url: '/api/v1/organization/invitations', payload: nestedEmail(depth), contentType: 'application/json' });
        expect(res.statusCode, `depth ${depth}`).toBe(400);
        expect(res.json(), `depth ${depth}`).toMatchObject({ code: 'VALIDATION_TOO_DEEP', params: { max: 32 } });
      }
      // Objects count too: {"a":{"a":…}}.
      const objects = `{"email":${'{"a":'.repeat(32)}1${'}'.repeat(32)},"role":"staff"}`;
      const deepObjects = await api.send({ method: 'POST', url: '/api/v1/organization/invitations', payload: objects, contentType: 'application/json' });
      expect(deepObjects.json()).toMatchObject({ code: 'VALIDATION_TOO_DEEP' });
      expect(dbHash(t)).toBe(before);
    });

    it('web route with a JSON body: depth 33 → 400 VALIDATION_TOO_DEEP', async () => {
      const token = await admin.csrf();
      const body = `{"_csrf":"${token}","locale":"fr","displayName":${'['.repeat(32)}${']'.repeat(32)}}`;
      const res = await admin.send({
        method: 'POST',
        url: '/account/profile',
        payload: body,
        contentType: 'application/json',
        headers: { accept: 'application/json' },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_TOO_DEEP' });
    });
  });

  describe('text fields over their maximum → 400, at the maximum → accepted', () => {
    it('display name (200): 201 → 400 NAME_INVALID on the re-rendered form, nothing saved; 501 → 400 (schema cap); 200 → saved', async () => {
      const before = userRow(w.users.adminA.id);
      for (const [name, code] of [
        ['n'.repeat(201), 'NAME_INVALID'],
        ['n'.repeat(501), 'VALIDATION_FAILED'],
      ] as const) {
        const res = await admin.send({ method: 'POST', url: '/account/profile', form: { displayName: name, locale: 'fr' } });
        expect(res.statusCode).toBe(400);
        expect(res.headers['content-type']).toMatch(/^text\/html/);
        expect(res.body).toContain(code === 'NAME_INVALID' ? htmlMessage('NAME_INVALID', { max: 200 }) : htmlMessage('VALIDATION_FAILED'));
        expect(userRow(w.users.adminA.id)).toEqual(before);
      }
      const ok = await admin.send({ method: 'POST', url: '/account/profile', form: { displayName: 'n'.repeat(200), locale: 'fr' } });
      expect(ok.statusCode).toBe(303);
      expect((userRow(w.users.adminA.id) as { display_name: string }).display_name).toBe('n'.repeat(200));
      await admin.send({ method: 'POST', url: '/account/profile', form: { displayName: 'User adminA', locale: 'fr' } });
    });

    it('sign-up: display name 201 and password 129 characters → 400; password 128 → accepted', async () => {
      const anon = w.anonymous();
      const before = dbHash(t);
      const long = await anon.send({
        method: 'POST',
        url: '/signup',
        form: { displayName: 'd'.repeat(201), email: 'long.name@example.org', password: 'un mot de passe solide' },
      });
      expect(long.statusCode).toBe(400);
      expect(long.body).toContain(htmlMessage('NAME_INVALID', { max: 200 }));
      const pw = await anon.send({
        method: 'POST',
        url: '/signup',
        form: { displayName: 'Long Password', email: 'long.pw@example.org', password: 'é'.repeat(129) },
      });
      expect(pw.statusCode).toBe(400);
      expect(pw.body).toContain(htmlMessage('PASSWORD_TOO_LONG', { max: 128 }));
      expect(dbHash(t)).toBe(before);
      const ok = await anon.send({
        method: 'POST',
        url: '/signup',
        form: { displayName: 'Long Password', email: 'long.pw@example.org', password: 'é'.repeat(128) },
      });
      expect(ok.statusCode).toBe(303);
    });

    it('organisation name (200) and API-key label (100)', async () => {
      const org = orgRow();
      const name = await admin.send({ method: 'POST', url: `/console/${w.orgA.slug}/settings`, form: { name: 'o'.repeat(201), logoUrl: '', languages: 'fr' } });
      expect(name.statusCode).toBe(400);
      expect(name.body).toContain(htmlMessage('NAME_INVALID', { max: 200 }));
      expect(orgRow()).toEqual(org);
      const keys = () => (sqliteOf(t).prepare('select count(*) as n from api_keys').get() as { n: number }).n;
      const count = keys();
      const label = await admin.send({ method: 'POST', url: `/console/${w.orgA.slug}/api-keys`, form: { label: 'l'.repeat(101) } });
      expect(label.statusCode).toBe(400);
      expect(label.body).toContain(htmlMessage('NAME_INVALID', { max: 100 }));
      expect(keys()).toBe(count);
      const okLabel = await admin.send({ method: 'POST', url: `/console/${w.orgA.slug}/api-keys`, form: { label: 'l'.repeat(100) } });
      expect(okLabel.statusCode).toBe(201);
      const okName = await admin.send({
        method: 'POST',
        url: `/console/${w.orgA.slug}/settings`,
        form: { name: 'o'.repeat(200), logoUrl: '', languages: 'fr' },
      });
      expect(okName.statusCode).toBe(303);
      await admin.send({ method: 'POST', url: `/console/${w.orgA.slug}/settings`, form: { name: 'Org A', logoUrl: '', languages: ['fr', 'en'] } });
    });

    it('e-mail (254): 255 characters → 400 on the API and the console; 254 → accepted', async () => {
      const invitations = () => (sqliteOf(t).prepare('select count(*) as n from invitations').get() as { n: number }).n;
      const n = invitations();
      const email = (len: number) => `${'e'.repeat(len - '@example.org'.length)}@example.org`;
      const apiLong = await api.send({ method: 'POST', url: '/api/v1/organization/invitations', json: { email: email(255), role: 'staff' } });
      expect(apiLong.statusCode).toBe(400);
      expect(apiLong.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(['VALIDATION_FAILED', 'EMAIL_INVALID']).toContain((apiLong.json() as { code: string }).code);
      const webLong = await admin.send({ method: 'POST', url: `/console/${w.orgA.slug}/invitations`, form: { email: email(255), role: 'staff' } });
      expect(webLong.statusCode).toBe(400);
      expect(webLong.body).toContain(htmlMessage('EMAIL_INVALID'));
      expect(invitations()).toBe(n);
      const ok = await api.send({ method: 'POST', url: '/api/v1/organization/invitations', json: { email: email(254), role: 'staff' } });
      expect(ok.statusCode).toBe(201);
    });
  });

  describe('URL fields accept https only', () => {
    const BAD = [
      'javascript:alert(1)',
      'JavaScript:alert(document.domain)',
      ' javascript:alert(1)',
      'java\tscript:alert(1)',
      'java\nscript:alert(1)',
      'javascript://example.com/%0Aalert(1)',
      'data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+',
      'data:text/html,<script>alert(1)</script>',
      'http://example.com',
      'http://example.com/logo.png',
      'HTTP://EXAMPLE.COM/logo.png',
      'vbscript:msgbox(1)',
      'file:///etc/passwd',
      'ftp://example.com/logo.png',
      '//example.com/logo.png',
      '/logo.png',
      'example.com/logo.png',
      'blob:https://example.com/x',
      `https://${'a'.repeat(2100)}.example`,
    ];
    it.each(BAD.map((u) => [u.length > 60 ? `${u.slice(0, 30)}…(${u.length} chars)` : u, u]))(
      'logoUrl %j → 400, the settings form again with URL_INVALID, nothing saved',
      async (_label, logoUrl) => {
        const before = orgRow();
        const res = await admin.send({ method: 'POST', url: `/console/${w.orgA.slug}/settings`, form: { name: 'Org A changed', logoUrl, languages: 'en' } });
        expect(res.statusCode).toBe(400);
        expect(res.headers['content-type']).toMatch(/^text\/html/);
        // Over the schema cap (2,100) the generic validation error answers instead of URL_INVALID.
        expect(res.body).toContain(logoUrl.length > 2100 ? htmlMessage('VALIDATION_FAILED') : htmlMessage('URL_INVALID'));
        expect(res.body).not.toMatch(/<img[^>]+src="(javascript|data|http):/i);
        expect(orgRow()).toEqual(before);
      },
    );

    it('an https logo is saved (control)', async () => {
      const res = await admin.send({
        method: 'POST',
        url: `/console/${w.orgA.slug}/settings`,
        form: { name: 'Org A', logoUrl: 'https://example.com/logo.png', languages: ['fr', 'en'] },
      });
      expect(res.statusCode).toBe(303);
      expect(orgRow()).toMatchObject({ logo_url: 'https://example.com/logo.png' });
    });
  });
});

describe('A12 CSRF on every state-changing form → 403, nothing written', () => {
  let t: TestApp, w: World, forms: CapturedRoute[];

  beforeAll(async () => {
    t = await createTestApp();
    w = await seedWorld(t);
    // The JSON APIs (/api/v1, the VC-API) take no cookies and no CSRF token.
    forms = routeTable(t.app)
      .filter((r) => !['GET', 'HEAD', 'OPTIONS'].includes(r.method) && !isApiPath(r.url))
      .sort((a, b) => routeKey(a).localeCompare(routeKey(b)));
  });
  afterAll(async () => {
    await t?.close();
  });

  it('covers every web form of the route table', () => {
    expect(forms.length).toBeGreaterThan(15);
  });

  it("missing, wrong or someone else's token, and a foreign or null Origin, are refused before anything happens", async () => {
    const failures: string[] = [];
    const origin = t.config.baseUrl.origin;
    for (const route of forms) {
      const key = routeKey(route);
      const signedIn = /^\/(account|console|admin)(\/|$)/.test(route.url);
      const fresh = async () => (signedIn ? w.signIn('adminA') : w.anonymous());
      const client = await fresh();
      const other = await fresh();
      const otherToken = await other.csrf();
      const ownToken = await client.csrf();
      // A body that passes the schema, so the request reaches the CSRF check (fields are strings or enums).
      const info = describeBody(route.schema!['body']);
      const body: Record<string, string> = Object.fromEntries(
        info.fields.filter((f) => f.name !== '_csrf' && !f.binary).map((f) => [f.name, String(f.base === CSRF ? 'x' : f.base)]),
      );
      // Org A's real ids (the draft job, the template, the credential…): only the token can stop the request.
      const url = fillPath(route.url, w.paramsFor(route.url));
      // Uploads: the same refusals for a multipart body that carries a file.
      const fileField = info.fields.find((f) => f.binary)?.name;
      const upload = (fields: Record<string, string>): Multipart => ({
        fields,
        file: { field: fileField!, filename: fileField === 'image' ? 'badge.png' : 'cohorte.csv', content: fileField === 'image' ? solidPng(8, 8) : csvOf(2) },
      });
      const variants: { name: string; send: () => ReturnType<Client['send']> }[] = [
        { name: 'missing token (form)', send: () => client.send({ method: 'POST', url, form: body, csrf: null }) },
        { name: 'missing token (JSON)', send: () => client.send({ method: 'POST', url, json: body, csrf: null, headers: { accept: 'application/json' } }) },
        { name: 'empty token', send: () => client.send({ method: 'POST', url, form: body, csrf: '' }) },
        { name: 'wrong token', send: () => client.send({ method: 'POST', url, form: body, csrf: 'A'.repeat(43) }) },
        { name: 'truncated token', send: () => client.send({ method: 'POST', url, form: body, csrf: ownToken.slice(0, -1) }) },
        { name: "someone else's token", send: () => client.send({ method: 'POST', url, form: body, csrf: otherToken }) },
        { name: 'foreign Origin', send: () => client.send({ method: 'POST', url, form: body, headers: { origin: 'https://evil.example' } }) },
        { name: 'look-alike Origin', send: () => client.send({ method: 'POST', url, form: body, headers: { origin: `${origin}.evil.example` } }) },
        { name: 'null Origin', send: () => client.send({ method: 'POST', url, form: body, headers: { origin: 'null' } }) },
        { name: 'token in the query string only', send: () => client.send({ method: 'POST', url: `${url}?_csrf=${ownToken}`, form: body, csrf: null }) },
        ...(fileField
          ? [
              { name: 'missing token (multipart)', send: () => client.send({ method: 'POST', url, multipart: upload(body), csrf: null }) },
              { name: 'wrong token (multipart)', send: () => client.send({ method: 'POST', url, multipart: upload(body), csrf: 'A'.repeat(43) }) },
              { name: "someone else's token (multipart)", send: () => client.send({ method: 'POST', url, multipart: upload(body), csrf: otherToken }) },
              {
                name: 'foreign Origin (multipart)',
                send: () => client.send({ method: 'POST', url, multipart: upload(body), headers: { origin: 'https://evil.example' } }),
              },
            ]
          : []),
      ];
      for (const v of variants) {
        const before = dumpDb(t);
        const beforeHash = dbHash(t);
        const res = await v.send();
        if (res.statusCode !== 403) failures.push(`${key} ${v.name}: ${res.statusCode}, expected 403`);
        else if (/problem\+json/.test(String(res.headers['content-type'])) && (res.json() as { code: string }).code !== 'CSRF_INVALID')
          failures.push(`${key} ${v.name}: code ${(res.json() as { code: string }).code}`);
        else if (/^text\/html/.test(String(res.headers['content-type'])) && !res.body.includes(htmlMessage('CSRF_INVALID')))
          failures.push(`${key} ${v.name}: HTML page without the CSRF message`);
        if (dbHash(t) !== beforeHash) failures.push(`${key} ${v.name}: wrote ${diffDumps(before, dumpDb(t)).join('; ')}`);
      }
      // Control: the same request with the token and a same-origin Origin gets past the check.
      const ok = await client.send({ method: 'POST', url, form: body, headers: { origin } });
      if (ok.statusCode === 403 && ok.body.includes(htmlMessage('CSRF_INVALID'))) failures.push(`${key} control: refused with a valid token and Origin`);
    }
    expect(failures).toEqual([]);
  });

  it('a pre-session token stops working once the visitor signs in (it is bound to the session)', async () => {
    const visitor = w.anonymous();
    const preToken = await visitor.csrf();
    const signin = await visitor.send({ method: 'POST', url: '/signin', form: { email: w.address.l2, password: TEST_PASSWORD }, csrf: preToken });
    expect(signin.statusCode).toBe(303);
    const before = dbHash(t);
    const res = await visitor.send({ method: 'POST', url: '/account/profile', form: { displayName: 'Hijacked', locale: 'fr' }, csrf: preToken });
    expect(res.statusCode).toBe(403);
    expect(dbHash(t)).toBe(before);
  });
});
