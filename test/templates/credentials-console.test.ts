/**
 * Console pages of issued credentials: list (search, filters, keyset pages), CSV export, detail, re-send, suspend /
 * reactivate / revoke with a reason, roles (reviewers read only), isolation between organisations, analytics with its
 * server-side SVG chart, and escaping of hostile names.
 */
import { decodeList } from '@digitalbazaar/vc-bitstring-status-list';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Template } from '../../src/domain/templates/model.js';
import { createTemplate } from '../../src/domain/templates/manage-templates.js';
import { credentialDelivered } from '../../src/mail/credential-delivery.js';
import { deliverMail, type MailTransport } from '../../src/mail/sender.js';
import { type Agent, type TestApp, createTestApp } from '../support/app.js';
import { testDialects } from '../support/db.js';
import { issueTestAwards } from '../support/factories.js';
import { TEMPLATE_INPUT, type World, seedTemplateWorld } from './support.js';
import type { OutboxMail } from '../../src/domain/shared/mail.js';

const DAY_MS = 86_400_000;
const XSS_NAME = '<script>alert("nom")</script>';
const XSS_TEMPLATE = '<img src=x onerror=alert(1)>';

/** Hrefs of the detail links of a list page (award ids). */
const rowIds = (body: string, slug: string) => [...body.matchAll(new RegExp(`<a href="/console/${slug}/credentials/([0-9a-f-]{36})">`, 'g'))].map((m) => m[1]!);
const unescape = (s: string) => s.replace(/&amp;/g, '&');
const nextHref = (body: string) => {
  const m = /<a href="([^"]+)" rel="next">/.exec(body);
  return m ? unescape(m[1]!) : null;
};

describe.each(testDialects())('console credentials on %s', (dialect) => {
  let t: TestApp, w: World, staff: Agent;
  let first: { awardId: string; credentialId: string; email: string; link: string };

  async function issue(people: { name: string; email: string; learnerId?: string }[], template: Template = w.template, world: World = w) {
    return issueTestAwards(t, { actor: world.actor, org: world.org, template, people });
  }
  const pathOf = (link: string) => {
    const u = new URL(link);
    return u.pathname + u.search;
  };

  beforeAll(async () => {
    t = await createTestApp({ dialect });
    w = await seedTemplateWorld(t);
    await t.createUser({ email: 'reviewer@ecole.example', name: 'Rita Réviseure', org: w.org, role: 'reviewer' });
    // 60 credentials in one batch: they share one creation time, so pages are cut on the id.
    const issued = await issue(
      Array.from({ length: 60 }, (_, i) => ({
        name: `Élève ${String(i).padStart(2, '0')}`,
        email: `eleve${String(i).padStart(2, '0')}@example.org`,
        learnerId: `MAT-${String(i).padStart(3, '0')}`,
      })),
    );
    first = { awardId: issued[0]!.award.id, credentialId: issued[0]!.credentialId, email: 'eleve00@example.org', link: issued[0]!.link };
  });
  afterAll(async () => t?.close());
  // A fresh session per test: some tests move the clock by days (sessions end after 12 hours).
  beforeEach(async () => {
    staff = t.agent();
    await staff.signIn('staff@ecole.example');
  });

  it('lists 50 per page with keyset pagination (no duplicates, nothing missed), total and a tamper-proof cursor', async () => {
    const page1 = await staff.get('/console/ecole/credentials');
    expect(page1.statusCode, page1.body).toBe(200);
    expect(page1.body).toContain('60 attestations au total');
    expect(page1.body).toContain('aria-current="page">Attestations</a>');
    expect(page1.body).toContain('href="/console/ecole/analytics"');
    const ids1 = rowIds(page1.body, 'ecole');
    expect(ids1).toHaveLength(50);
    const next = nextHref(page1.body);
    expect(next).toMatch(/^\/console\/ecole\/credentials\?cursor=/);
    const page2 = await staff.get(next!);
    expect(page2.statusCode).toBe(200);
    const ids2 = rowIds(page2.body, 'ecole');
    expect(ids2).toHaveLength(10);
    expect(new Set([...ids1, ...ids2]).size).toBe(60);
    expect(nextHref(page2.body)).toBeNull();
    expect(page2.body).toContain('Revenir à la première page');

    const cursor = new URL(next!, 'http://x').searchParams.get('cursor')!;
    const forged = await staff.get(`/console/ecole/credentials?cursor=${encodeURIComponent(`${cursor.split('.')[0]}.${'0'.repeat(32)}`)}`);
    expect(forged.statusCode).toBe(400);
    expect(forged.body).toContain('curseur de pagination est invalide');
    expect((await staff.get('/console/ecole/credentials?cursor=%%%')).statusCode).toBe(400);
  });

  it('searches by name, e-mail or learner id and filters by template, status and dates', async () => {
    const q = async (query: string) => {
      const res = await staff.get(`/console/ecole/credentials?${query}`);
      expect(res.statusCode, res.body).toBe(200);
      return rowIds(res.body, 'ecole');
    };
    expect(await q('q=MAT-007')).toHaveLength(1);
    expect(await q('q=eleve12%40example')).toHaveLength(1);
    expect(await q('q=l%C3%A8ve%2003')).toHaveLength(1);
    expect(await q('q=ELEVE1')).toHaveLength(10);
    expect(await q('q=%25')).toHaveLength(0); // LIKE wildcards are literal
    const other = await createTemplate(t.container.deps, w.actor, { slug: w.org.slug, template: { ...TEMPLATE_INPUT, name: { fr: 'Anglais des affaires' } } });
    t.clock.advance(3 * DAY_MS);
    staff = t.agent();
    await staff.signIn('staff@ecole.example');
    const later = await issue([{ name: 'Nouvelle Venue', email: 'venue@example.org' }], other);
    const filtered = await staff.get(`/console/ecole/credentials?template=${other.id}`);
    expect(rowIds(filtered.body, 'ecole')).toEqual([later[0]!.award.id]);
    expect(filtered.body).toContain('1 attestation au total');
    const today = t.clock.now().toISOString().slice(0, 10);
    const before = new Date(t.clock.now().getTime() - 2 * DAY_MS).toISOString().slice(0, 10);
    expect(await q(`from=${today}`)).toEqual([later[0]!.award.id]);
    expect(await q(`to=${before}&status=`)).toHaveLength(50);
    expect((await staff.get(`/console/ecole/credentials?to=${before}`)).body).toContain('60 attestations au total');
    // The date form also accepts dd/mm/yyyy; nonsense is reported on its field (400), never a 500.
    const [y, m, d] = today.split('-');
    expect(await q(`from=${encodeURIComponent(`${d}/${m}/${y}`)}`)).toEqual([later[0]!.award.id]);
    const bad = await staff.get('/console/ecole/credentials?from=31%2F02%2F2026');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Date attendue');
    expect(await q('status=suspended')).toEqual([]);
    expect((await staff.get('/console/ecole/credentials?status=perdu')).statusCode).toBe(400);
  });

  it('exports the filtered list as CSV with formulas neutralised', async () => {
    await issue([{ name: '=HYPERLINK("x")', email: 'formule@example.org', learnerId: '+33 1 23' }]);
    const res = await staff.get('/console/ecole/credentials.csv?q=formule');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="attestations-ecole-\d{4}-\d{2}-\d{2}\.csv"$/);
    const text = res.rawPayload.toString('utf8');
    expect(text.charCodeAt(0)).toBe(0xfeff);
    const lines = text.slice(1).trim().split('\r\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^Nom,Courriel,Matricule,Modèle,Version,Identifiant,/);
    expect(lines[1]).toContain(`"'=HYPERLINK(""x"")",formule@example.org,'+33 1 23,Secourisme en milieu de travail,1,urn:uuid:`);
    expect(lines[1]).toContain(',Active,');
    const all = await staff.get('/console/ecole/credentials.csv');
    expect(all.rawPayload.toString('utf8').trim().split('\r\n')).toHaveLength(1 + 62);
    expect((await staff.get('/console/ecole/credentials.csv?from=demain')).statusCode).toBe(400);
  });

  it('shows the detail: card, data, delivery, history; re-sends with a new link (the old one dies)', async () => {
    const detail = await staff.get(`/console/ecole/credentials/${first.awardId}`);
    expect(detail.statusCode).toBe(200);
    for (const text of [
      'Élève 00',
      'eleve00@example.org',
      'MAT-000',
      'Secourisme en milieu de travail (version 1)',
      first.credentialId,
      'class="credential-card',
      'En attente d’envoi',
      'Pas encore ouvert',
      'Renvoyer le courriel',
      'Suspendre',
      'Révoquer',
      'Je comprends que la révocation est définitive',
      `/console/ecole/credentials/${first.awardId}/credential.json`,
    ]) {
      expect(detail.body).toContain(text);
    }
    const json = await staff.get(`/console/ecole/credentials/${first.awardId}/credential.json`);
    expect(json.statusCode).toBe(200);
    expect(json.headers['content-disposition']).toMatch(/^attachment; filename="attestation-[0-9a-f-]{36}\.json"$/);
    expect(JSON.parse(json.body).id).toBe(first.credentialId);

    const oldLink = pathOf(first.link);
    expect((await t.agent().get(oldLink)).statusCode).toBe(200);
    const before = (await t.mails()).filter((m) => m.to === first.email);
    expect(before).toHaveLength(1);
    const resent = await staff.post(`/console/ecole/credentials/${first.awardId}/resend`, {});
    expect(resent.statusCode).toBe(303);
    expect(resent.headers.location).toBe(`/console/ecole/credentials/${first.awardId}?done=resent`);
    const notice = await staff.get(String(resent.headers.location));
    expect(notice.body).toContain('Courriel renvoyé avec un nouveau lien. L’ancien lien ne fonctionne plus.');
    expect(notice.body).toContain('Courriel renvoyé</td>');
    const after = (await t.mails()).filter((m) => m.to === first.email);
    expect(after).toHaveLength(2);
    const newLink = /\/c\/[0-9a-f-]{36}\?t=[A-Za-z0-9_-]{43}/.exec(after[0]!.text)![0];
    expect(newLink).not.toBe(oldLink);
    expect((await t.agent().get(oldLink)).statusCode).toBe(404);
    expect((await t.agent().get(newLink)).statusCode).toBe(200);
    // The opening is shown to the issuer.
    expect((await staff.get(`/console/ecole/credentials/${first.awardId}`)).body).toContain('Ouvert le');
  });

  it('highlights a dead letter (bounce or failure after every attempt) in the list and the detail', async () => {
    const [c] = await issue([{ name: 'Adresse Morte', email: 'morte@example.org' }]);
    await t.container.store.outbox.recordAttempt(c!.award.mailId!, '550 5.1.1 mailbox unavailable', false);
    await t.container.store.outbox.recordAttempt(c!.award.mailId!, '550 5.1.1 mailbox unavailable', true);
    const list = await staff.get('/console/ecole/credentials?q=morte');
    expect(list.body).toContain('<tr class="row-dead">');
    expect(list.body).toContain('<strong class="tag tag-error mail-dead">Échec de l’envoi</strong> <span class="meta">(2 tentatives)</span>');
    const detail = await staff.get(`/console/ecole/credentials/${c!.award.id}`);
    expect(detail.body).toContain('Vérifiez l’adresse avec le destinataire, puis renvoyez le courriel.');
    expect(detail.body).toContain('550 5.1.1 mailbox unavailable');
    // Re-sending queues a new e-mail (with a new link): the failure is no longer the current state.
    await staff.post(`/console/ecole/credentials/${c!.award.id}/resend`, {});
    expect((await staff.get(`/console/ecole/credentials/${c!.award.id}`)).body).toContain('En attente d’envoi');
  });

  it('suspends with a reason, reactivates, revokes permanently (confirmed); the status list bit flips', async () => {
    const [c] = await issue([{ name: 'Statut Changeant', email: 'statut@example.org' }]);
    const id = c!.award.id;
    const url = `/console/ecole/credentials/${id}`;
    const suspend = await staff.post(`${url}/status`, { status: 'suspended', reason: 'Vérification du dossier en cours' });
    expect(suspend.statusCode).toBe(303);
    expect(suspend.headers.location).toBe(`${url}?done=suspended`);
    let page = await staff.get(`${url}?done=suspended`);
    expect(page.body).toContain('Attestation suspendue.');
    expect(page.body).toContain('credential-status-suspended');
    expect(page.body).toContain('Vérification du dossier en cours');
    expect(page.body).toContain('Réactiver');
    expect((await staff.get('/console/ecole/credentials?status=suspended')).body).toContain(url);

    expect((await staff.post(`${url}/status`, { status: 'active', reason: 'Dossier complet' })).headers.location).toBe(`${url}?done=reactivated`);
    page = await staff.get(url);
    expect(page.body).toContain('credential-status-active');
    expect(page.body).toContain('Réactivée</td>');
    expect(page.body).toContain('Dossier complet');

    const doc = JSON.parse((await t.container.store.credentials.findByCredentialId(w.org.id, c!.credentialId))[0]!.document);
    const bit = async () => {
      const list = await t.container.deps.getOwnStatusList(doc.credentialStatus.statusListCredential);
      return (await decodeList({ encodedList: (list as { credentialSubject: { encodedList: string } }).credentialSubject.encodedList })).getStatus(
        Number(doc.credentialStatus.statusListIndex),
      );
    };
    expect(await bit()).toBe(false);
    const unconfirmed = await staff.post(`${url}/status`, { status: 'revoked', reason: 'Plagiat' });
    expect(unconfirmed.statusCode).toBe(400);
    expect(unconfirmed.body).toContain('Cochez la case pour confirmer que la révocation est définitive.');
    expect(unconfirmed.body).toContain('>Plagiat</textarea>');
    expect(await bit()).toBe(false);
    const revoked = await staff.post(`${url}/status`, { status: 'revoked', reason: 'Plagiat', confirm: 'on' });
    expect(revoked.headers.location).toBe(`${url}?done=revoked`);
    expect(await bit()).toBe(true);
    page = await staff.get(url);
    expect(page.body).toContain('credential-status-revoked');
    expect(page.body).toContain('Plagiat');
    expect(page.body).toContain('la révocation est définitive, aucune autre action n’est possible');
    expect(page.body).not.toContain(`action="${url}/resend"`);

    const later = await staff.post(`${url}/status`, { status: 'suspended', reason: '' });
    expect(later.statusCode).toBe(409);
    expect(later.body).toContain('la révocation est définitive, elle ne peut être ni réactivée ni suspendue');
    expect((await staff.post(`${url}/resend`, {})).statusCode).toBe(409);
    expect((await staff.post(`${url}/status`, { status: 'active' })).statusCode).toBe(409);
    expect(await bit()).toBe(true);
    const tooLong = await staff.post(`/console/ecole/credentials/${first.awardId}/status`, { status: 'suspended', reason: 'x'.repeat(501) });
    expect(tooLong.statusCode).toBe(400);
  });

  it('lets reviewers read but not act (403, nothing changes)', async () => {
    const a = t.agent();
    await a.signIn('reviewer@ecole.example');
    expect((await a.get('/console/ecole/credentials')).statusCode).toBe(200);
    expect((await a.get('/console/ecole/analytics')).statusCode).toBe(200);
    expect((await a.get('/console/ecole/credentials.csv')).statusCode).toBe(200);
    const detail = await a.get(`/console/ecole/credentials/${first.awardId}`);
    expect(detail.statusCode).toBe(200);
    expect(detail.body).toContain('Votre rôle permet de consulter les attestations, pas de les modifier.');
    expect(detail.body).not.toContain('/resend"');
    const mails = (await t.mails()).length;
    const resend = await a.post(`/console/ecole/credentials/${first.awardId}/resend`, {});
    expect(resend.statusCode).toBe(403);
    const status = await a.post(`/console/ecole/credentials/${first.awardId}/status`, { status: 'revoked', confirm: 'on' });
    expect(status.statusCode).toBe(403);
    expect((await t.mails()).length).toBe(mails);
    expect((await t.container.store.awards.find(w.org.id, first.awardId))?.status).toBe('active');
  });

  it("answers 404 to another organisation's admin, byte-identical to an unknown id, and changes nothing", async () => {
    const b = await seedTemplateWorld(t, 'autre');
    const [own] = await issue([{ name: 'Élève de B', email: 'b@example.org' }], b.template, b);
    const admin = t.agent();
    await admin.signIn('admin@autre.example');
    expect((await admin.get(`/console/autre/credentials/${own!.award.id}`)).statusCode).toBe(200);
    expect(rowIds((await admin.get('/console/autre/credentials')).body, 'autre')).toEqual([own!.award.id]);

    const unknown = await admin.get(`/console/autre/credentials/${crypto.randomUUID()}`);
    expect(unknown.statusCode).toBe(404);
    const probes = [
      await admin.get(`/console/autre/credentials/${first.awardId}`),
      await admin.get(`/console/autre/credentials/${first.awardId}/credential.json`),
      await admin.post(`/console/autre/credentials/${first.awardId}/resend`, {}),
      await admin.post(`/console/autre/credentials/${first.awardId}/status`, { status: 'revoked', confirm: 'on', reason: 'x' }),
      await admin.post(`/console/autre/credentials/${first.awardId}/status`, { status: 'revoked' }),
      await admin.get('/console/ecole/credentials'),
      await admin.get(`/console/ecole/credentials/${first.awardId}`),
      await admin.get('/console/ecole/credentials.csv'),
      await admin.get('/console/ecole/analytics'),
      await admin.post(`/console/ecole/credentials/${first.awardId}/resend`, {}),
      await admin.get(`/console/autre/analytics?template=${w.template.id}`),
    ];
    for (const p of probes) {
      expect(p.statusCode).toBe(404);
      expect(p.body).toBe(unknown.body);
    }
    expect((await t.container.store.awards.find(w.org.id, first.awardId))?.status).toBe('active');
    expect((await t.mails()).filter((m) => m.to === first.email)).toHaveLength(2);
    // A foreign template in the list filter finds nothing of the caller's organisation either.
    expect(rowIds((await admin.get(`/console/autre/credentials?template=${w.template.id}`)).body, 'autre')).toEqual([]);
  });

  it('shows analytics totals and a server-side SVG chart with the same numbers in a table', async () => {
    const s = await seedTemplateWorld(t, 'stats');
    const issued = await issue(
      [
        { name: 'Un', email: 'un@example.org' },
        { name: 'Deux', email: 'deux@example.org' },
        { name: 'Trois', email: 'trois@example.org' },
      ],
      s.template,
      s,
    );
    // Delivery through an SMTP transport: each credential e-mail counts as delivered, once.
    const transport: MailTransport = { kind: 'smtp', send: async () => undefined, close: () => undefined };
    const deps = t.container.deps;
    const onDelivered = credentialDelivered({ store: t.container.store, secrets: deps.secrets, clock: deps.clock });
    const delivered: OutboxMail[] = [];
    for (const i of issued) {
      const mailDeps = {
        store: t.container.store,
        clock: deps.clock,
        transport,
        from: 'x@sceau.test',
        host: 'sceau.test',
        onDelivered: async (m: OutboxMail) => {
          delivered.push(m);
          await onDelivered(m);
        },
      };
      await deliverMail(mailDeps, { mailId: i.award.mailId!, attempt: 1, maxAttempts: 8 });
      await deliverMail(mailDeps, { mailId: i.award.mailId!, attempt: 1, maxAttempts: 8 });
    }
    expect(delivered).toHaveLength(3);
    // Opened twice by one holder: counted once; verified once.
    const path = pathOf(issued[0]!.link);
    await t.agent().get(path);
    await t.agent().get(path);
    const u = new URL(issued[0]!.link);
    expect((await t.agent().get(`${u.pathname}/verification${u.search}`)).statusCode).toBe(200);

    const admin = t.agent();
    await admin.signIn('admin@stats.example');
    const page = await admin.get(`/console/stats/analytics?template=${s.template.id}&days=30`);
    expect(page.statusCode, page.body).toBe(200);
    const stat = (kind: string) => Number(new RegExp(`<div class="stat stat-${kind}"><dt>[^<]+</dt><dd>(\\d+)</dd>`).exec(page.body)?.[1]);
    expect([stat('issued'), stat('delivered'), stat('opened'), stat('claimed'), stat('shared'), stat('verified')]).toEqual([3, 3, 1, 0, 0, 1]);
    expect(page.body).toMatch(/<svg class="chart" viewBox="0 0 720 300"[^>]*role="img" aria-labelledby="chart-title chart-desc"/);
    expect(page.body).toContain('<title id="chart-title">Événements par jour');
    for (const k of ['issued', 'delivered', 'opened', 'claimed', 'shared', 'verified']) expect(page.body).toContain(`<g class="chart-series chart-${k}">`);
    expect(page.body).not.toContain('<script');
    expect(page.body).not.toContain('style=');
    // The accessible table: 30 day rows, today's row carries the counts.
    const rows = [...page.body.matchAll(/<tr><th scope="row"><time datetime="(\d{4}-\d{2}-\d{2})">[^<]+<\/time><\/th>((?:<td>\d+<\/td>)+)<\/tr>/g)];
    expect(rows).toHaveLength(30);
    const today = t.clock.now().toISOString().slice(0, 10);
    const last = rows.at(-1)!;
    expect(last[1]).toBe(today);
    expect([...last[2]!.matchAll(/<td>(\d+)<\/td>/g)].map((m) => Number(m[1]))).toEqual([3, 3, 1, 0, 0, 1]);
    // No per-verifier data anywhere.
    expect(page.body).not.toMatch(/user-agent|adresse IP|127\.0\.0\.1/i);

    const year = await admin.get('/console/stats/analytics?days=365');
    expect(year.statusCode).toBe(200);
    expect(year.body).toContain('Événements par semaine');
    expect([...year.body.matchAll(/<tr><th scope="row">/g)].length).toBe(53);
    expect((await admin.get('/console/stats/analytics?days=7')).statusCode).toBe(400);
    expect((await admin.get('/console/stats/analytics?lang=en')).body).toContain('Events per day');
  });

  it('escapes a hostile recipient name and template name on every console page', async () => {
    const template = await createTemplate(t.container.deps, w.actor, {
      slug: w.org.slug,
      template: { ...TEMPLATE_INPUT, name: { fr: XSS_TEMPLATE, en: XSS_TEMPLATE } },
    });
    const [c] = await issue([{ name: XSS_NAME, email: 'xss@example.org' }], template);
    const pages = [
      await staff.get('/console/ecole/credentials?q=script'),
      await staff.get(`/console/ecole/credentials/${c!.award.id}`),
      await staff.get(`/console/ecole/analytics?template=${template.id}`),
      await staff.get('/console/ecole/credentials'),
    ];
    for (const p of pages) {
      expect(p.statusCode).toBe(200);
      expect(p.body).not.toContain('<script>alert');
      expect(p.body).not.toContain('<img src=x');
      expect(p.body).toContain('&lt;img src=x onerror=alert(1)&gt;');
    }
    expect(pages[0]!.body).toContain('&lt;script&gt;alert(&quot;nom&quot;)&lt;/script&gt;');
    expect(pages[1]!.body).toContain('&lt;script&gt;alert(&quot;nom&quot;)&lt;/script&gt;');
  });
});
