/**
 * A webhook towards a private, loopback or link-local address is refused when it is created (its host name resolved),
 * with a localised message, unless the operator allows that range (WEBHOOKS_ALLOWED_PRIVATE_CIDRS; the older
 * WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true allows them all). Nothing here leaves the machine: IP literals, `localhost`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createGuardedPost, createWebhookTargetCheck } from '../../src/crypto/guarded-fetch.js';
import type { Organization } from '../../src/domain/organizations/model.js';
import { type Agent, createTestApp } from '../support/app.js';
import { Receiver } from './receiver.js';
import { createApiKey } from '../../src/domain/organizations/api-keys.js';

async function world(config: Parameters<typeof createTestApp>[0] = {}) {
  const t = await createTestApp(config);
  const org: Organization = await t.createOrg({ name: 'Alpha', slug: 'alpha' });
  await t.createUser({ email: 'admin@alpha.test', org, role: 'admin' });
  const key = (await createApiKey(t.container.deps, { kind: 'system' }, { slug: org.slug, label: 'A' })).key;
  const admin: Agent = t.agent();
  await admin.signIn('admin@alpha.test');
  const api = (url: string, lang = 'fr') =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/webhooks',
      payload: { url, events: ['credential.issued'] },
      headers: { authorization: `Bearer ${key}`, 'accept-language': lang },
    });
  return { t, org, admin, api };
}

describe('webhook targets on private networks', () => {
  describe('default: no private network allowed', () => {
    let w: Awaited<ReturnType<typeof world>>;
    beforeAll(async () => {
      w = await world();
    });
    afterAll(async () => {
      await w.t.close();
    });

    it('refuses private, loopback and link-local addresses at creation, in the console and the API, in both languages', async () => {
      for (const url of [
        'https://10.1.2.3/hook',
        'https://192.168.1.10/hook',
        'http://127.0.0.1:8080/hook',
        'https://[::1]/hook',
        'https://169.254.169.254/latest/meta-data/',
        'https://100.64.0.1/h',
      ]) {
        const res = await w.api(url);
        expect(res.statusCode, url).toBe(400);
        expect(res.json(), url).toMatchObject({ code: 'WEBHOOK_URL_PRIVATE' });
      }
      const page = await w.admin.post('/console/alpha/webhooks', { url: 'https://10.1.2.3/hook', events: ['credential.issued'] });
      expect(page.statusCode).toBe(400);
      expect(page.body).toContain('L’adresse 10.1.2.3 mène à un réseau privé ou local (10.1.2.3) : Sceau n’y envoie pas de webhooks.');
      expect(page.body).toContain('value="https://10.1.2.3/hook"'); // what was typed is kept
      const en = await w.api('https://192.168.1.10/hook', 'en');
      expect(en.json().detail).toBe(
        'The address 192.168.1.10 leads to a private or local network (192.168.1.10): Sceau does not send webhooks there. Give a public https:// address, or ask the platform administrator to allow this network.',
      );
      expect(await w.t.container.store.webhooks.list(w.org.id)).toEqual([]);
    });

    it('resolves the host name: localhost (loopback) is refused, naming the address', async () => {
      const res = await w.admin.post('/console/alpha/webhooks', { url: 'https://localhost/hook', events: ['credential.issued'] });
      expect(res.statusCode).toBe(400);
      expect(res.body).toContain('L’adresse localhost mène à un réseau privé ou local (127.0.0.1)');
    });

    it('accepts a public address, and a name that does not resolve yet (each delivery checks again)', async () => {
      expect((await w.api('https://93.184.216.34/hook')).statusCode).toBe(201);
      expect((await w.api('https://hooks.example.org/sceau')).statusCode).toBe(201);
    });

    it('the check resolves names with the system resolver (localhost, from the hosts file)', async () => {
      const check = createWebhookTargetCheck();
      expect(await check('https://localhost/x')).toMatch(/^(127\.0\.0\.1|::1)$/);
      expect(await check('https://[fe80::1]/x')).toBe('fe80::1');
      expect(await check('https://93.184.216.34/x')).toBeUndefined();
      expect(await createWebhookTargetCheck({ allowedPrivateCidrs: ['127.0.0.0/8', '::1/128'] })('https://localhost/x')).toBeUndefined();
    });
  });

  describe('WEBHOOKS_ALLOWED_PRIVATE_CIDRS', () => {
    let w: Awaited<ReturnType<typeof world>>, receiver: Receiver;
    beforeAll(async () => {
      receiver = await Receiver.start();
      const cidrs = loadConfig({ WEBHOOKS_ALLOWED_PRIVATE_CIDRS: '10.0.0.0/8, 127.0.0.1, 169.254.0.0/16' }).webhooks!;
      w = await world({ config: { webhooks: cidrs } });
    });
    afterAll(async () => {
      await w.t.close();
      await receiver.close();
    });

    it('reads the list (and refuses a malformed one); the older flag keeps working', () => {
      expect(loadConfig({ WEBHOOKS_ALLOWED_PRIVATE_CIDRS: '10.0.0.0/8, 192.168.1.0/24' }).webhooks).toEqual({
        allowPrivateNetworks: false,
        allowedPrivateCidrs: ['10.0.0.0/8', '192.168.1.0/24'],
      });
      expect(() => loadConfig({ WEBHOOKS_ALLOWED_PRIVATE_CIDRS: '10.0.0.0/8,intranet' })).toThrow(/WEBHOOKS_ALLOWED_PRIVATE_CIDRS/);
      expect(loadConfig({ WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true' }).webhooks).toEqual({ allowPrivateNetworks: true });
    });

    it('creates webhooks in the listed ranges only; metadata addresses stay refused', async () => {
      expect((await w.api('https://10.20.30.40/hook')).statusCode).toBe(201);
      expect((await w.api(`${receiver.url}/hook`)).statusCode).toBe(201);
      expect((await w.api('https://192.168.1.10/hook')).json()).toMatchObject({ code: 'WEBHOOK_URL_PRIVATE' });
      expect((await w.api('https://169.254.169.254/latest/meta-data/')).json()).toMatchObject({ code: 'WEBHOOK_URL_PRIVATE' });
      // localhost also resolves to ::1, which is not listed.
      expect((await w.api('https://localhost/hook')).json()).toMatchObject({ code: 'WEBHOOK_URL_PRIVATE', detail: expect.stringContaining('(::1)') });
    });

    it('deliveries follow the same list', async () => {
      const post = createGuardedPost({ allowedPrivateCidrs: ['127.0.0.1'] });
      await expect(post(`${receiver.url}/ok`, '{}', {})).resolves.toEqual({ status: 200 });
      await expect(post('https://10.1.2.3/x', '{}', {})).rejects.toMatchObject({ code: 'FETCH_BLOCKED_ADDRESS' });
      await expect(createGuardedPost({ allowedPrivateCidrs: ['169.254.0.0/16'] })('http://169.254.169.254/', '{}', {})).rejects.toMatchObject({
        code: 'FETCH_BLOCKED_ADDRESS',
      });
    });
  });
});
