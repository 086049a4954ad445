/**
 * The holder link `/c/<id>?t=<token>`: the card and the status from the database, the JSON download, verification on
 * demand (named steps), one 404 for every failure, no caching and no Referer; "Mon porte-document" for a signed-in
 * holder; escaping of hostile names.
 */
import { describe, expect, it } from 'vitest';
import { analytics, setAwardStatus } from '../../src/domain/credentials/manage-credentials.js';
import { createTemplate } from '../../src/domain/templates/manage-templates.js';
import type { Template } from '../../src/domain/templates/model.js';
import { type TestApp } from '../support/app.js';
import { testDialects } from '../support/db.js';
import { issueTestAwards } from '../support/factories.js';
import { TEMPLATE_INPUT, type World, useTemplateWorld } from './support.js';

const XSS_NAME = '<script>alert("nom")</script>';
const XSS_TEMPLATE = '<img src=x onerror=alert(1)>';

describe.each(testDialects())('holder link on %s', (dialect) => {
  let t: TestApp, w: World;
  useTemplateWorld({ dialect }, (world) => ({ t, w } = world));

  async function issue(person: { name: string; email: string }, template: Template = w.template) {
    const [issued] = await issueTestAwards(t, { actor: w.actor, org: w.org, template, people: [person] });
    const u = new URL(issued!.link);
    return { ...issued!, path: u.pathname, token: u.searchParams.get('t')!, url: u.pathname + u.search };
  }

  it('opens the credential with its token: card, issuer, status from the database, download, verify; opened counted once', async () => {
    const c = await issue({ name: 'Zoé Tremblay', email: 'zoe@example.org' });
    const a = t.agent();
    const res = await a.get(c.url);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.body).toContain('class="credential-card');
    expect(res.body).toContain('Attestation décernée à Zoé Tremblay');
    expect(res.body).toContain('Décernée par École Démo');
    expect(res.body).toContain('Secourisme en milieu de travail');
    expect(res.body).toContain('credential-status-active');
    expect(res.body).toContain(`href="${c.path}/credential.json?t=${c.token}"`);
    expect(res.body).toContain(`href="${c.path}/verification?t=${c.token}"`);
    expect(res.body).toContain('Ajouter à mon porte-document');
    expect(res.body).toContain('prochaine version');
    // No RDFC on a page view: the status comes from the database; verification is a separate, explicit page.
    expect(res.body).not.toContain('data-step=');

    expect((await a.get(c.url)).statusCode).toBe(200);
    expect((await t.agent().get(`${c.url}&lang=en`)).body).toContain('Credential awarded to Zoé Tremblay');
    const award = await t.container.store.awards.find(w.org.id, c.award.id);
    expect(award?.openedAt).not.toBeNull();
    const stats = await analytics(t.container.deps, w.actor, { slug: w.org.slug, templateId: w.template.id, days: 30 });
    expect(stats.totals.opened).toBe(1);
    expect(stats.days.at(-1)!.counts.opened).toBe(1);
    // The token never reaches the logs.
    expect(t.logs.join('\n')).not.toContain(c.token);

    const file = await a.get(`${c.path}/credential.json?t=${c.token}`);
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-disposition']).toMatch(/^attachment; filename="attestation-[0-9a-f-]{36}\.json"$/);
    expect(file.headers['referrer-policy']).toBe('no-referrer');
    const [stored] = await t.container.store.credentials.findByCredentialId(w.org.id, c.credentialId);
    expect(file.body).toBe(stored!.document);
  });

  it('answers the same 404 for no token, a wrong token, an unknown id and a malformed id', async () => {
    const c = await issue({ name: 'Léo Gagnon', email: 'leo@example.org' });
    const wrong = `${c.token.slice(0, -2)}${c.token.endsWith('AA') ? 'BB' : 'AA'}`;
    const unknown = `/c/${crypto.randomUUID()}?t=${c.token}`;
    const cases = [c.path, `${c.path}?t=${wrong}`, `${c.path}?t=`, unknown, '/c/pas-un-identifiant?t=x'];
    const responses = await Promise.all(cases.map((u) => t.agent().get(u)));
    for (const r of responses) {
      expect(r.statusCode).toBe(404);
      expect(r.headers['cache-control']).toBe('no-store');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
      expect(r.body).toBe(responses[0]!.body);
    }
    expect(responses[0]!.body).toContain('Lien inconnu ou incomplet');
    for (const sub of ['credential.json', 'verification']) {
      expect((await t.agent().get(`${c.path}/${sub}`)).statusCode).toBe(404);
      expect((await t.agent().get(`${c.path}/${sub}?t=${wrong}`)).body).toBe(responses[0]!.body);
    }
    // Nothing was counted as opened.
    expect((await t.container.store.awards.find(w.org.id, c.award.id))?.openedAt).toBeNull();
  });

  it('verifies on demand: every step passes for an active credential, revocation shows after revoking', async () => {
    const c = await issue({ name: 'Amélie Roy', email: 'amelie@example.org' });
    const page = await t.agent().get(`${c.path}/verification?t=${c.token}`);
    expect(page.statusCode, page.body).toBe(200);
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.body).toContain('data-verified="true"');
    expect(page.body).toContain('Attestation vérifiée');
    const steps = [...page.body.matchAll(/class="step step-(ok|failed)" data-step="([a-z_]+)"/g)].map((m) => [m[2], m[1]]);
    expect(steps.length).toBeGreaterThanOrEqual(6);
    expect(steps.filter(([, r]) => r !== 'ok')).toEqual([]);
    for (const id of ['valid_signature', 'revocation_status', 'suspension_status', 'expiration']) expect(steps.map(([s]) => s)).toContain(id);
    expect(page.body).toContain('Signature intacte');
    expect(page.body).toContain('Non révoqué.');
    expect(page.body).not.toMatch(/Valide (depuis le|jusqu’au) \d{4}-/); // dates as people read them
    expect((await analytics(t.container.deps, w.actor, { slug: w.org.slug, templateId: w.template.id, days: 30 })).totals.verified).toBeGreaterThanOrEqual(1);

    await setAwardStatus(t.container.deps, w.actor, { slug: w.org.slug, id: c.award.id, status: 'revoked', reason: 'Fraude' });
    const after = await t.agent().get(`${c.path}/verification?t=${c.token}`);
    expect(after.body).toContain('data-verified="false"');
    expect(after.body).toMatch(/class="step step-failed" data-step="revocation_status" data-code="REVOKED"/);
    expect(after.body).toContain('Révoqué par l’émetteur.');
    const en = await t.agent().get(`${c.path}/verification?t=${c.token}&lang=en`);
    expect(en.body).toContain('Revoked by the issuer.');
    const holder = await t.agent().get(c.url);
    expect(holder.body).toContain('Révoquée par l’émetteur');
    // The reason stays in the issuer's audit log, not on the holder's page.
    expect(holder.body).not.toContain('Fraude');
  });

  it('a credential sent to an account goes into its wallet, opens without a token for its holder only', async () => {
    await t.createUser({ email: 'titulaire@example.org', name: 'Tina Titulaire' });
    await t.createUser({ email: 'autre@example.org', name: 'Autre Personne' });
    const c = await issue({ name: 'Tina Titulaire', email: 'titulaire@example.org' });
    expect(c.award.holderUserId).not.toBeNull();
    const holder = t.agent();
    await holder.signIn('titulaire@example.org');
    const account = await holder.get('/account');
    expect(account.body).toContain('href="/account/credentials"');
    const wallet = await holder.get('/account/credentials');
    expect(wallet.statusCode).toBe(200);
    expect(wallet.body).toContain('Mon porte-document');
    expect(wallet.body).toContain(`href="${c.path}"`);
    expect(wallet.body).toContain('École Démo');
    const page = await holder.get(c.path);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('est dans un porte-document Sceau');
    expect(page.body).not.toContain('Ajouter à mon porte-document');
    expect((await holder.get(`${c.path}/credential.json`)).statusCode).toBe(200);

    const other = t.agent();
    await other.signIn('autre@example.org');
    expect((await other.get(c.path)).statusCode).toBe(404);
    expect((await other.get('/account/credentials')).body).not.toContain(c.path);
    // With the token, anyone holding the link may open it (it is the e-mailed link).
    expect((await other.get(c.url)).statusCode).toBe(200);
    expect((await t.agent().get('/account/credentials')).statusCode).toBe(401);
  });

  it('escapes a hostile recipient name and template name on the holder pages', async () => {
    const template = await createTemplate(t.container.deps, w.actor, {
      slug: w.org.slug,
      template: { ...TEMPLATE_INPUT, name: { fr: XSS_TEMPLATE, en: XSS_TEMPLATE } },
    });
    await t.createUser({ email: 'xss@example.org', name: 'X' });
    const c = await issue({ name: XSS_NAME, email: 'xss@example.org' }, template);
    const holder = t.agent();
    await holder.signIn('xss@example.org');
    const pages = [await t.agent().get(c.url), await t.agent().get(`${c.path}/verification?t=${c.token}`), await holder.get('/account/credentials')];
    for (const p of pages) {
      expect(p.statusCode).toBe(200);
      expect(p.body).not.toContain('<script>alert');
      expect(p.body).not.toContain('<img src=x');
    }
    expect(pages[0]!.body).toContain('&lt;script&gt;alert(&quot;nom&quot;)&lt;/script&gt;');
    expect(pages[0]!.body).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(pages[2]!.body).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  // Last: moves the clock past the template's 3-year validity.
  it('says when a credential has expired, from the stored dates and in the verification', async () => {
    const c = await issue({ name: 'Ancien Élève', email: 'ancien@example.org' });
    t.clock.advance(3 * 366 * 86_400_000);
    const page = await t.agent().get(c.url);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Expirée depuis le');
    const v = await t.agent().get(`${c.path}/verification?t=${c.token}`);
    expect(v.body).toContain('data-verified="false"');
    expect(v.body).toMatch(/class="step step-failed" data-step="expiration" data-code="EXPIRED"/);
  });
});
