/** The outbox shows a message's HTML version as the recipient sees it, sandboxed, beside its text version. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';

describe('outbox message: HTML version', () => {
  let t: TestApp, mailId: string;
  beforeAll(async () => {
    t = await createTestApp();
    await t.createUser({ email: 'root@sceau.test', isPlatformAdmin: true });
    await t.createUser({ email: 'someone@example.org' });
    mailId = await t.container.store.transaction((tx) =>
      tx.outbox.add({ kind: 'password.changed', to: 'zoe@example.org', locale: 'fr', params: { name: '<script>alert(1)</script> Zoé' } }),
    );
  });
  afterAll(async () => t?.close());

  it('the message page frames the HTML version in a sandboxed iframe (no inline markup, no script allowed)', async () => {
    const admin = t.agent();
    await admin.signIn('root@sceau.test');
    const page = await admin.get(`/admin/outbox/${mailId}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(
      `<iframe class="mail-html" sandbox src="/admin/outbox/${mailId}?view=html" title="Version HTML (telle que le destinataire la voit) — Votre mot de passe Sceau a été changé" referrerpolicy="no-referrer" loading="lazy"></iframe>`,
    );
    expect(page.body).not.toContain('srcdoc');
    expect(page.body).not.toContain('<script>alert(1)</script>');
    expect(page.body).toContain('Version texte');
    // The page's own CSP lets it frame its own origin only.
    expect(String(page.headers['content-security-policy'])).toContain("default-src 'self'");
    expect(String(page.headers['content-security-policy'])).not.toMatch(/frame-src/);

    const frame = await admin.get(`/admin/outbox/${mailId}?view=html`);
    expect(frame.statusCode).toBe(200);
    expect(frame.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(frame.headers['content-security-policy']).toBe(
      "default-src 'none'; img-src https: data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox",
    );
    expect(frame.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(frame.headers['referrer-policy']).toBe('no-referrer');
    expect(frame.headers['cache-control']).toBe('no-store');
    const sent = (await t.mails()).find((m) => m.id === mailId)!;
    expect(frame.body).toBe(sent.html);
    expect(frame.body).toContain('style="font-family:system-ui');
    expect(frame.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt; Zoé');
  });

  it('is hidden like the rest of the outbox', async () => {
    expect((await t.agent().get(`/admin/outbox/${mailId}?view=html`)).statusCode).toBe(401);
    const other = t.agent();
    await other.signIn('someone@example.org');
    expect((await other.get(`/admin/outbox/${mailId}?view=html`)).statusCode).toBe(404);
  });
});
