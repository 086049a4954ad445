/**
 * Accounts through HTTP, as a browser uses them: sign-up, sign-in, sessions, reset, change, e-mails.
 * Security checks A3–A9, A12 (security.md §3.5).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CODE_TTL_MS, RESET_TTL_MS, SESSION_ABSOLUTE_MS, SESSION_IDLE_MS } from '../../src/domain/accounts/account-rules.js';
import { MINUTE } from '../../src/domain/shared/clock.js';
import { type Agent, TEST_PASSWORD, createTestApp, extractCode, extractLink, type TestApp } from '../support/app.js';

const flowOf = (location: unknown) => new URL(String(location), 'http://x').searchParams.get('flow')!;

describe('accounts', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  async function startSignUp(a: Agent, email: string) {
    const res = await a.post('/signup', { displayName: 'Zoé Tremblay', email, password: 'une phrase de passe', locale: 'fr' });
    expect(res.statusCode).toBe(303);
    return flowOf(res.headers.location);
  }

  describe('sign-up with an e-mail code (A7, A8)', () => {
    it('refuses bad input with localised field errors and keeps what was typed', async () => {
      const a = t.agent();
      const res = await a.post('/signup', { displayName: 'Zoé', email: 'pas-une-adresse', password: 'motdepasse', locale: 'fr' });
      expect(res.statusCode).toBe(400);
      expect(res.body).toContain('Cette adresse courriel n’est pas valide.');
      expect(res.body).toContain('value="pas-une-adresse"');
      const weak = await a.post(
        '/signup',
        { displayName: 'Zoé', email: 'zoe@example.org', password: 'password1', locale: 'en' },
        { headers: { 'accept-language': 'en' } },
      );
      expect(weak.statusCode).toBe(400);
      expect(weak.body).toContain('too common');
      expect((await t.mails()).filter((m) => m.to === 'zoe@example.org')).toHaveLength(0);
    });

    it('accepts the code at lifetime − 1 s and refuses it at lifetime + 1 s', async () => {
      const a = t.agent();
      const flow = await startSignUp(a, 'otp-edge@example.org');
      const code = extractCode((await t.lastMailTo('otp-edge@example.org')).text);
      t.clock.advance(CODE_TTL_MS + 1000);
      const late = await a.post('/signup/verify', { flow, code });
      expect(late.statusCode).toBe(400);
      expect(late.body).toContain('expiré');

      const b = t.agent();
      const flow2 = await startSignUp(b, 'otp-edge2@example.org');
      const code2 = extractCode((await t.lastMailTo('otp-edge2@example.org')).text);
      t.clock.advance(CODE_TTL_MS - 1000);
      const ok = await b.post('/signup/verify', { flow: flow2, code: code2 });
      expect(ok.statusCode).toBe(303);
      expect((await b.get('/account')).statusCode).toBe(200);
    });

    it('kills a code after 5 wrong attempts, even for the right code', async () => {
      const a = t.agent();
      const flow = await startSignUp(a, 'five@example.org');
      const code = extractCode((await t.lastMailTo('five@example.org')).text);
      const wrong = code === '000000' ? '111111' : '000000';
      const bodies: string[] = [];
      for (let i = 0; i < 5; i++) bodies.push((await a.post('/signup/verify', { flow, code: wrong })).body);
      expect(bodies[0]).toContain('Il vous reste 4 essais.');
      expect(bodies[4]).toContain('expiré');
      const right = await a.post('/signup/verify', { flow, code });
      expect(right.statusCode).toBe(400);
      expect(right.body).toContain('expiré');
    });

    it('a new code replaces the old one (resend)', async () => {
      const a = t.agent();
      const flow = await startSignUp(a, 'resend@example.org');
      const first = extractCode((await t.lastMailTo('resend@example.org')).text);
      const resent = await a.post('/signup/resend', { flow });
      const flow2 = flowOf(resent.headers.location);
      const second = extractCode((await t.lastMailTo('resend@example.org')).text);
      if (first !== second) {
        expect((await a.post('/signup/verify', { flow, code: first })).statusCode).toBe(400);
      }
      expect((await a.post('/signup/verify', { flow: flow2, code: second })).statusCode).toBe(303);
    });

    it('evaluates at most 10 codes an hour per account across 20 parallel flows', async () => {
      await t.createUser({ email: 'many-flows@example.org' });
      const a = t.agent();
      await a.signIn('many-flows@example.org');
      const flows: string[] = [];
      for (let i = 0; i < 20; i++) {
        const res = await a.post('/account/emails', { email: `extra${i}@example.org`, password: TEST_PASSWORD });
        expect(res.statusCode).toBe(200);
        flows.push(/name="flow" value="([^"]+)"/.exec(res.body)![1]!);
      }
      const csrf = await a.csrf();
      const results = await Promise.all(
        flows.flatMap((flow) => Array.from({ length: 5 }, () => a.post('/account/emails/verify', { flow, code: '999999' }, { csrf }))),
      );
      const throttled = results.filter((r) => r.statusCode === 429).length;
      const evaluated = results.filter((r) => r.statusCode === 400 || r.statusCode === 410).length;
      expect(evaluated).toBeLessThanOrEqual(10);
      expect(evaluated + throttled).toBe(100);
      // An hour later the budget is back.
      t.clock.advance(61 * MINUTE);
      const again = await a.post('/account/emails/verify', { flow: flows[19]!, code: '999999' });
      expect(again.body).not.toContain('Réessayez dans une heure');
    });
  });

  describe('sign-in throttling (A3)', () => {
    it('evaluates ≤ 20 of 200 wrong passwords in an hour, whatever X-Forwarded-For says, then lets the right one in', async () => {
      await t.createUser({ email: 'target@example.org' });
      for (const email of ['target@example.org', 'nobody-here@example.org']) {
        const a = t.agent();
        const csrf = await a.csrf();
        let evaluated = 0;
        let throttled = 0;
        for (let i = 0; i < 200; i++) {
          const res = await a.post('/signin', { email, password: `wrong-${i}` }, { csrf, headers: { 'x-forwarded-for': `203.0.113.${i}` } });
          if (res.statusCode === 401) evaluated++;
          else if (res.statusCode === 429) {
            throttled++;
            expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
          } else throw new Error(`unexpected ${res.statusCode}`);
          t.clock.advance(18_000);
        }
        expect(evaluated).toBeLessThanOrEqual(20);
        expect(evaluated + throttled).toBe(200);
        if (email === 'target@example.org') {
          t.clock.advance(15 * MINUTE + 1000);
          expect((await a.post('/signin', { email, password: TEST_PASSWORD })).statusCode).toBe(303);
        }
      }
    });
  });

  describe('no account enumeration (A4)', () => {
    it('answers sign-in, sign-up and forgot-password identically for known and unknown addresses', async () => {
      await t.createUser({ email: 'known@example.org' });
      const a = t.agent();
      const csrf = await a.csrf();
      const normalise = (body: string) => body.replace(/flow=[\w-]+/g, 'flow=X');
      const timings: Record<'known' | 'unknown', number[]> = { known: [], unknown: [] };
      const seen: Record<string, Set<string>> = {};
      const record = (kind: string, status: number, body: string, location: unknown) => {
        (seen[kind] ??= new Set()).add(`${status}|${normalise(String(location ?? ''))}|${normalise(body)}`);
      };
      for (let i = 0; i < 200; i++) {
        for (const who of ['known', 'unknown'] as const) {
          const email = who === 'known' ? 'known@example.org' : 'unknown-person@example.org';
          t.clock.advance(16 * MINUTE);
          const start = performance.now();
          const res = await a.post('/signin', { email, password: `wrong password ${i}` }, { csrf });
          timings[who].push(performance.now() - start);
          record('signin', res.statusCode, res.body, res.headers.location);
          if (i < 20) {
            const f = await a.post('/password/forgot', { email }, { csrf });
            record('forgot', f.statusCode, f.body, undefined);
            const s = await a.post('/signup', { displayName: 'X', email, password: 'une phrase de passe', locale: 'fr' }, { csrf });
            record('signup', s.statusCode, s.body, s.headers.location);
          }
        }
      }
      for (const kind of ['signin', 'forgot', 'signup']) expect(seen[kind]!.size, kind).toBe(1);
      const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
      expect(Math.abs(median(timings.known) - median(timings.unknown))).toBeLessThan(15);
    }, 120_000);
  });

  describe('password reset (A6, A7, A9)', () => {
    it('is single use, race-safe, ends every session and sends a notice; the link uses BASE_URL, never Host', async () => {
      await t.createUser({ email: 'reset@example.org' });
      const other = t.agent();
      await other.signIn('reset@example.org');
      expect((await other.get('/account')).statusCode).toBe(200);

      const a = t.agent();
      await a.post('/password/forgot', { email: 'reset@example.org' }, { headers: { host: 'evil.test' } });
      const mail = await t.lastMailTo('reset@example.org');
      expect(mail.text).toContain('http://sceau.test:3000/password/reset?token=');
      expect(mail.text + mail.html).not.toContain('evil.test');
      const link = extractLink(mail.text, '/password/reset');
      const token = new URL(link, 'http://x').searchParams.get('token')!;
      expect((await a.get(link)).statusCode).toBe(200);

      const csrf = await a.csrf();
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => a.post('/password/reset', { token, password: `nouvelle phrase ${i}` }, { csrf })));
      expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
      expect(results.filter((r) => r.statusCode === 410)).toHaveLength(49);
      expect((await a.post('/password/reset', { token, password: 'encore une autre phrase' })).statusCode).toBe(410);

      expect((await other.get('/account')).statusCode).toBe(401);
      const notice = await t.lastMailTo('reset@example.org');
      expect(notice.kind).toBe('password.changed');
    });

    it('expires after 30 minutes and a new link kills the previous one', async () => {
      await t.createUser({ email: 'reset2@example.org' });
      const a = t.agent();
      await a.post('/password/forgot', { email: 'reset2@example.org' });
      const first = extractLink((await t.lastMailTo('reset2@example.org')).text, '/password/reset');
      await a.post('/password/forgot', { email: 'reset2@example.org' });
      const second = extractLink((await t.lastMailTo('reset2@example.org')).text, '/password/reset');
      expect(first).not.toBe(second);
      expect((await a.get(first)).statusCode).toBe(410);
      t.clock.advance(RESET_TTL_MS - 1000);
      expect((await a.get(second)).statusCode).toBe(200);
      t.clock.advance(2000);
      expect((await a.get(second)).statusCode).toBe(410);
      const token = new URL(second, 'http://x').searchParams.get('token')!;
      expect((await a.post('/password/reset', { token, password: 'une phrase toute neuve' })).statusCode).toBe(410);
    });
  });

  describe('sessions and CSRF (A12)', () => {
    it('rotates the session id at sign-in and refuses a replayed cookie after sign-out', async () => {
      await t.createUser({ email: 'session@example.org' });
      const a = t.agent();
      await a.post('/signin', { email: 'session@example.org', password: TEST_PASSWORD });
      const first = a.cookies.get('sceau_session')!;
      await a.post('/signin', { email: 'session@example.org', password: TEST_PASSWORD });
      const second = a.cookies.get('sceau_session')!;
      expect(second).not.toBe(first);
      const replayFirst = await t.app.inject({ method: 'GET', url: '/account', headers: { cookie: `sceau_session=${first}` } });
      expect(replayFirst.statusCode).toBe(401);
      await a.post('/signout', {});
      const replay = await t.app.inject({ method: 'GET', url: '/account', headers: { cookie: `sceau_session=${second}` } });
      expect(replay.statusCode).toBe(401);
    });

    it('ends a session idle for 30 minutes, and any session after 12 hours', async () => {
      await t.createUser({ email: 'idle@example.org' });
      const a = t.agent();
      await a.signIn('idle@example.org');
      t.clock.advance(SESSION_IDLE_MS - 1000);
      expect((await a.get('/account')).statusCode).toBe(200);
      t.clock.advance(SESSION_IDLE_MS + 1000);
      expect((await a.get('/account')).statusCode).toBe(401);

      const b = t.agent();
      await b.signIn('idle@example.org');
      for (let elapsed = 0; elapsed < SESSION_ABSOLUTE_MS - 20 * MINUTE; elapsed += 20 * MINUTE) {
        t.clock.advance(20 * MINUTE);
        expect((await b.get('/account')).statusCode).toBe(200);
      }
      t.clock.advance(21 * MINUTE);
      expect((await b.get('/account')).statusCode).toBe(401);
    });

    it('refuses state changes without the CSRF token, with a wrong one, or from another origin', async () => {
      await t.createUser({ email: 'csrf@example.org' });
      const a = t.agent();
      await a.signIn('csrf@example.org');
      expect((await a.post('/account/profile', { displayName: 'X', locale: 'fr' }, { csrf: null })).statusCode).toBe(403);
      expect((await a.post('/account/profile', { displayName: 'X', locale: 'fr' }, { csrf: 'A'.repeat(43) })).statusCode).toBe(403);
      expect((await a.post('/account/profile', { displayName: 'X', locale: 'fr' }, { headers: { origin: 'https://evil.test' } })).statusCode).toBe(403);
      expect(
        (await a.post('/account/profile', { displayName: 'Nouveau Nom', locale: 'en' }, { headers: { origin: 'http://sceau.test:3000' } })).statusCode,
      ).toBe(303);
      expect((await a.get('/account')).body).toContain('Nouveau Nom');
    });

    it('sets __Host- cookies with Secure, HttpOnly and SameSite=Lax when BASE_URL is https', async () => {
      const s = await createTestApp({ config: { baseUrl: new URL('https://certs.example.org'), isSecure: true } });
      try {
        await s.createUser({ email: 'secure@example.org' });
        const page = await s.app.inject({ method: 'GET', url: '/signin' });
        const pre = page.cookies.find((c) => c.name === '__Host-sceau_pre')!;
        expect(pre).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Lax', path: '/' });
        const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
        const res = await s.app.inject({
          method: 'POST',
          url: '/signin',
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `__Host-sceau_pre=${pre.value}` },
          payload: new URLSearchParams({ _csrf: csrf, email: 'secure@example.org', password: TEST_PASSWORD }).toString(),
        });
        expect(res.statusCode).toBe(303);
        const session = res.cookies.find((c) => c.name === '__Host-sceau_session')!;
        expect(session).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Lax', path: '/' });
        expect(session.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(String(res.headers['strict-transport-security'])).toContain('max-age');
      } finally {
        await s.close();
      }
    });
  });

  describe('account settings', () => {
    it('adds a second address with a code, makes it primary, and signs in with either', async () => {
      await t.createUser({ email: 'multi@example.org' });
      const a = t.agent();
      await a.signIn('multi@example.org');
      const wrongPw = await a.post('/account/emails', { email: 'multi.perso@example.org', password: 'pas le bon mot de passe' });
      expect(wrongPw.statusCode).toBe(400);
      expect(wrongPw.body).toContain('Le mot de passe actuel est incorrect.');
      const started = await a.post('/account/emails', { email: 'Multi.Perso@Example.org', password: TEST_PASSWORD });
      const flow = /name="flow" value="([^"]+)"/.exec(started.body)![1]!;
      const code = extractCode((await t.lastMailTo('multi.perso@example.org')).text);
      expect((await a.post('/account/emails/verify', { flow, code })).statusCode).toBe(303);
      const notice = await t.lastMailTo('multi@example.org');
      expect(notice.kind).toBe('email.added-notice');
      const page = (await a.get('/account')).body;
      const id = /action="\/account\/emails\/([^/]+)\/primary"/.exec(page)![1]!;
      expect((await a.post(`/account/emails/${id}/primary`, {})).statusCode).toBe(303);
      const primaryRemove = await a.post(`/account/emails/${id}/remove`, {});
      expect(primaryRemove.statusCode).toBe(409);
      expect(primaryRemove.body).toContain('L’adresse principale ne peut pas être retirée');
      expect((await t.agent().post('/signin', { email: 'multi@example.org', password: TEST_PASSWORD })).statusCode).toBe(303);
      expect((await t.agent().post('/signin', { email: 'multi.perso@example.org', password: TEST_PASSWORD })).statusCode).toBe(303);
    });

    it('changes the password (current one required) and ends the other sessions', async () => {
      await t.createUser({ email: 'change@example.org' });
      const a = t.agent();
      const b = t.agent();
      await a.signIn('change@example.org');
      await b.signIn('change@example.org');
      const bad = await a.post('/account/password', { currentPassword: 'faux', newPassword: 'une toute nouvelle phrase' });
      expect(bad.statusCode).toBe(400);
      expect((await a.post('/account/password', { currentPassword: TEST_PASSWORD, newPassword: 'une toute nouvelle phrase' })).statusCode).toBe(303);
      expect((await a.get('/account')).statusCode).toBe(200);
      expect((await b.get('/account')).statusCode).toBe(401);
      expect((await t.agent().post('/signin', { email: 'change@example.org', password: 'une toute nouvelle phrase' })).statusCode).toBe(303);
      expect((await t.lastMailTo('change@example.org')).kind).toBe('password.changed');
    });
  });

  describe('secrets at rest and in logs (A5, P3)', () => {
    it('stores no raw token, code or password, and logs none of them', async () => {
      const secrets: string[] = [];
      const a = t.agent();
      const flow = await startSignUp(a, 'dump@example.org');
      const code = extractCode((await t.lastMailTo('dump@example.org')).text);
      secrets.push(code);
      await a.post('/signup/verify', { flow, code });
      secrets.push(a.cookies.get('sceau_session')!, a.cookies.get('sceau_pre')!);
      await a.post('/password/forgot', { email: 'dump@example.org' });
      const link = extractLink((await t.lastMailTo('dump@example.org')).text, '/password/reset');
      const token = new URL(link, 'http://x').searchParams.get('token')!;
      secrets.push(token);
      await a.get(link);
      await a.post('/password/reset', { token, password: 'phrase secrète du test' });
      secrets.push('phrase secrète du test', 'une phrase de passe');

      const sqlite = t.container.handle.sqlite!;
      const tables = sqlite.prepare(`select name from sqlite_master where type = 'table'`).all() as { name: string }[];
      const dump = tables.map(({ name }) => JSON.stringify(sqlite.prepare(`select * from "${name}"`).all())).join('\n');
      const logs = t.logs.join('\n');
      const present = (haystack: string, secret: string) =>
        /^\d{6}$/.test(secret) ? new RegExp(`(?<![0-9])${secret}(?![0-9])`).test(haystack) : haystack.includes(secret);
      for (const s of secrets) {
        expect(present(dump, s), `raw secret in the database: ${s.slice(0, 6)}…`).toBe(false);
        expect(present(logs, s), `secret in the logs`).toBe(false);
      }
      expect(logs).toContain('[redacted]');
    });

    it('draws tokens from 256 random bits: 10,000 unique base64url samples', () => {
      const seen = new Set<string>();
      for (let i = 0; i < 10_000; i++) {
        const tok = t.container.deps.secrets.newToken();
        expect(tok).toMatch(/^[A-Za-z0-9_-]{43}$/);
        seen.add(tok);
      }
      expect(seen.size).toBe(10_000);
    });
  });
});
