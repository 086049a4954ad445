/** Organisations through HTTP: invitations, roles, API keys, the JSON API and the audit log. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY } from '../../src/domain/shared/clock.js';
import { TEST_PASSWORD, createTestApp, extractLink, type TestApp } from '../support/app.js';
import { testDialects } from '../support/db.js';
import type { Organization } from '../../src/domain/organizations/model.js';
import { INVITATION_TTL_MS } from '../../src/domain/organizations/invitations.js';

for (const dialect of testDialects())
  describe(`${dialect}: organisations`, () => {
    let t: TestApp, org: Organization;
    beforeAll(async () => {
      t = await createTestApp({ dialect });
      org = await t.createOrg({ name: 'Centre d’examen Liège', slug: 'liege' });
      await t.createUser({ email: 'admin@liege.example', name: 'Anne Admin', org, role: 'admin' });
    });
    afterAll(async () => {
      await t.close();
    });

    async function invite(email: string, role = 'staff') {
      const a = t.agent();
      await a.signIn('admin@liege.example');
      const res = await a.post('/console/liege/invitations', { email, role, locale: 'fr' });
      return { a, res };
    }

    it('invites a newcomer who sets a password and lands in the organisation', async () => {
      const { a, res } = await invite('Nouveau@Example.org');
      expect(res.statusCode).toBe(303);
      expect((await a.get(String(res.headers.location))).body).toContain('Invitation envoyée à nouveau@example.org.');
      const mail = await t.lastMailTo('nouveau@example.org');
      expect(mail.subject).toBe('Invitation à rejoindre Centre d’examen Liège sur Sceau');
      const link = extractLink(mail.text, '/invitations/accept');

      const b = t.agent();
      const page = await b.get(link);
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('Personnel (émission)');
      const token = new URL(link, 'http://x').searchParams.get('token')!;
      const weak = await b.post('/invitations/accept', { token, displayName: 'Noé', password: '12345678' });
      expect(weak.statusCode).toBe(400);
      expect(weak.body).toContain('trop courant');
      const accepted = await b.post('/invitations/accept', { token, displayName: 'Noé Nouveau', password: 'une phrase de bienvenue' });
      expect(accepted.statusCode).toBe(303);
      expect(accepted.headers.location).toBe('/console/liege');
      const landing = await b.get('/console/liege');
      expect(landing.body).toContain('Centre d’examen Liège');
      expect(landing.body).toContain('Personnel (émission)');
      // Single use.
      expect((await t.agent().get(link)).statusCode).toBe(410);
      // The new account signs in with the invited address.
      expect((await t.agent().post('/signin', { email: 'nouveau@example.org', password: 'une phrase de bienvenue' })).statusCode).toBe(303);
    });

    it('asks an existing account to sign in, and refuses a signed-in account the address does not belong to', async () => {
      await t.createUser({ email: 'existing@example.org', name: 'Eve Existante' });
      await t.createUser({ email: 'someone-else@example.org' });
      await invite('existing@example.org', 'reviewer');
      const link = extractLink((await t.lastMailTo('existing@example.org')).text, '/invitations/accept');
      const token = new URL(link, 'http://x').searchParams.get('token')!;

      const anon = t.agent();
      expect((await anon.get(link)).body).toContain('Un compte existe pour cette adresse');
      const hijack = await anon.post('/invitations/accept', { token, displayName: 'Intrus', password: 'une phrase de pirate' });
      expect(hijack.statusCode).toBe(409);

      const other = t.agent();
      await other.signIn('someone-else@example.org');
      const mismatch = await other.post('/invitations/accept', { token });
      expect(mismatch.statusCode).toBe(403);
      expect(mismatch.body).toContain('envoyée à une autre adresse');

      const eve = t.agent();
      await eve.signIn('existing@example.org');
      const ok = await eve.post('/invitations/accept', { token });
      expect(ok.statusCode).toBe(303);
      expect((await eve.get('/console/liege')).body).toContain('Réviseur');
    });

    it('expires invitations after 14 days and lets the admin revoke one', async () => {
      await invite('late@example.org');
      const link = extractLink((await t.lastMailTo('late@example.org')).text, '/invitations/accept');
      t.clock.advance(INVITATION_TTL_MS - 1000);
      expect((await t.agent().get(link)).statusCode).toBe(200);
      t.clock.advance(2000);
      expect((await t.agent().get(link)).statusCode).toBe(410);

      const { a } = await invite('revoked@example.org');
      const members = await a.get('/console/liege/members');
      const id = /action="\/console\/liege\/invitations\/([^/]+)\/revoke"/.exec(members.body)![1]!;
      expect((await a.post(`/console/liege/invitations/${id}/revoke`, {})).statusCode).toBe(303);
      const revokedLink = extractLink((await t.lastMailTo('revoked@example.org')).text, '/invitations/accept');
      expect((await t.agent().get(revokedLink)).statusCode).toBe(410);
      expect((await a.post(`/console/liege/invitations/${id}/revoke`, {})).statusCode).toBe(404);
    });

    it('keeps at least one admin and lets admins change roles', async () => {
      const a = t.agent();
      await a.signIn('admin@liege.example');
      const admin = (await t.container.store.users.findByEmail('admin@liege.example'))!.user;
      const demote = await a.post(`/console/liege/members/${admin.id}/role`, { role: 'staff' });
      expect(demote.statusCode).toBe(409);
      expect(demote.body).toContain('au moins un administrateur');
      const noe = (await t.container.store.users.findByEmail('nouveau@example.org'))!.user;
      expect((await a.post(`/console/liege/members/${noe.id}/role`, { role: 'admin' })).statusCode).toBe(303);
      expect((await t.container.store.memberships.find(org.id, noe.id))!.role).toBe('admin');
      expect((await a.post(`/console/liege/members/${noe.id}/role`, { role: 'boss' })).statusCode).toBe(400);
    });

    it('hides admin pages from staff (403) and the organisation from outsiders (404, as if it did not exist)', async () => {
      await t.createUser({ email: 'staff@liege.example', org, role: 'staff' });
      await t.createUser({ email: 'outsider@example.org' });
      const staff = t.agent();
      await staff.signIn('staff@liege.example');
      expect((await staff.get('/console/liege')).statusCode).toBe(200);
      expect((await staff.get('/console/liege/api-keys')).statusCode).toBe(403);
      expect((await staff.post('/console/liege/invitations', { email: 'x@example.org', role: 'admin' })).statusCode).toBe(403);
      const outsider = t.agent();
      await outsider.signIn('outsider@example.org');
      const foreign = await outsider.get('/console/liege/members');
      const missing = await outsider.get('/console/does-not-exist/members');
      expect(foreign.statusCode).toBe(404);
      expect(foreign.body).toBe(missing.body);
    });

    it('creates an API key shown once, stores only its hash, authenticates the API and stops working once revoked', async () => {
      const a = t.agent();
      await a.signIn('admin@liege.example');
      const created = await a.post('/console/liege/api-keys', { label: 'SIS Banner' });
      expect(created.statusCode).toBe(201);
      const key = /<code class="secret">(sceau_[A-Za-z0-9_-]+)<\/code>/.exec(created.body)![1]!;
      expect((await a.get('/console/liege/api-keys')).body).not.toContain(key);
      expect(JSON.stringify(await t.container.handle.db.selectFrom('api_keys').selectAll().execute())).not.toContain(key);

      const api = (method: 'GET' | 'POST', url: string, payload?: unknown, k = key) =>
        t.app.inject({ method, url, payload: payload as object, headers: { authorization: `Bearer ${k}`, 'accept-language': 'en' } });
      const me = await api('GET', '/api/v1/organization');
      expect(me.statusCode).toBe(200);
      expect(me.json()).toMatchObject({ slug: 'liege', name: 'Centre d’examen Liège', languages: ['fr', 'en'], parentSlug: null });
      const members = await api('GET', '/api/v1/organization/members');
      expect(members.json().data.some((m: { email: string; role: string }) => m.email === 'admin@liege.example' && m.role === 'admin')).toBe(true);

      const inv = await api('POST', '/api/v1/organization/invitations', { email: 'api-invitee@example.org', role: 'reviewer', locale: 'en' });
      expect(inv.statusCode).toBe(201);
      expect(inv.json()).toMatchObject({ email: 'api-invitee@example.org', role: 'reviewer' });
      expect((await t.lastMailTo('api-invitee@example.org')).subject).toBe('Invitation to join Centre d’examen Liège on Sceau');

      const bad = await api('POST', '/api/v1/organization/invitations', { email: 'not-an-email', role: 'reviewer' });
      expect(bad.statusCode).toBe(400);
      expect(bad.headers['content-type']).toContain('application/problem+json');
      expect(bad.json()).toMatchObject({ code: 'EMAIL_INVALID', status: 400, detail: 'This e-mail address is not valid.' });

      const page = await a.get('/console/liege/api-keys');
      const id = /action="\/console\/liege\/api-keys\/([^/]+)\/revoke"/.exec(page.body)![1]!;
      expect((await a.post(`/console/liege/api-keys/${id}/revoke`, {})).statusCode).toBe(303);
      const after = await api('GET', '/api/v1/organization');
      expect(after.statusCode).toBe(401);
      expect(after.json().code).toBe('AUTH_INVALID_API_KEY');
      expect((await api('GET', '/api/v1/organization', undefined, 'sceau_' + 'x'.repeat(43))).json().code).toBe('AUTH_INVALID_API_KEY');
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/organization' })).json().code).toBe('AUTH_REQUIRED');
    });

    it('records an audit trail visible to admins', async () => {
      const a = t.agent();
      await a.signIn('admin@liege.example');
      const audit = await a.get('/console/liege/audit');
      expect(audit.statusCode).toBe(200);
      for (const action of ['invitation.created', 'invitation.accepted', 'invitation.revoked', 'member.role_changed', 'apikey.created', 'apikey.revoked']) {
        expect(audit.body, action).toContain(action);
      }
      const events = await t.container.store.audit.listForOrg(org.id, 500);
      const created = events.find((e) => e.action === 'apikey.created')!;
      expect(created.actorUserId).toBeTruthy();
      expect(created.at).toBeInstanceOf(Date);
    });

    it('updates organisation settings and refuses non-https logos', async () => {
      const a = t.agent();
      await a.signIn('admin@liege.example');
      const bad = await a.post('/console/liege/settings', { name: 'Liège', logoUrl: 'javascript:alert(1)', languages: ['fr'] });
      expect(bad.statusCode).toBe(400);
      expect(bad.body).toContain('https://');
      const ok = await a.post('/console/liege/settings', {
        name: 'Centre d’examen de Liège',
        logoUrl: 'https://liege.example/logo.png',
        languages: ['fr', 'en'],
      });
      expect(ok.statusCode).toBe(303);
      expect(await t.container.store.organizations.findBySlug('liege')).toMatchObject({
        name: 'Centre d’examen de Liège',
        logoUrl: 'https://liege.example/logo.png',
      });
    });

    it('shows a network and its member centres', async () => {
      const network = await t.createOrg({ name: 'Réseau Certassur', slug: 'reseau' });
      await t.createOrg({ name: 'Centre Namur', slug: 'namur', parentSlug: 'reseau' });
      await t.createUser({ email: 'net@example.org', org: network, role: 'admin' });
      const a = t.agent();
      await a.signIn('net@example.org');
      const page = await a.get('/console/reseau');
      expect(page.body).toContain('Centres membres du réseau');
      expect(page.body).toContain('Centre Namur');
      t.clock.advance(DAY);
    });

    it('serves the OpenAPI document with every API route', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/docs/json' });
      expect(res.statusCode).toBe(200);
      const doc = res.json();
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining(['/api/v1/organization', '/api/v1/organization/members', '/api/v1/organization/invitations', '/health']),
      );
      expect(doc.paths['/api/v1/organization/invitations'].post.requestBody).toBeTruthy();
      expect(Object.keys(doc.paths).some((p: string) => p.startsWith('/console'))).toBe(false);
      expect((await t.app.inject({ method: 'GET', url: '/docs' })).statusCode).toBeLessThan(400);
      void TEST_PASSWORD;
    });
  });
