/**
 * Every view of an issued credential presents the stored signed document: the presenter over a stored Sceau
 * credential (French and English recipients), and the holder page, the wallet and the console card still showing
 * what was signed after the template was edited (new name, another kind) and the organisation renamed.
 */
import { describe, expect, it } from 'vitest';
import { requireRecipient } from '../../src/domain/issuance/check-recipients.js';
import { issueBatch } from '../../src/domain/issuance/issue-batch.js';
import { updateOrganization } from '../../src/domain/organizations/manage-organizations.js';
import { updateTemplate } from '../../src/domain/templates/manage-templates.js';
import type { Template } from '../../src/domain/templates/model.js';
import { credentialView } from '../../src/http/presenters/credential.js';
import { type TestApp } from '../support/app.js';
import { testDialects } from '../support/db.js';
import { TEMPLATE_INPUT, type World, seedTemplateWorld, useTemplateWorld } from './support.js';

/** The credential card of a page (the console page around it also shows the organisation's current name). */
const cardOf = (body: string) => /<article class="credential-card[\s\S]*?<\/article>/.exec(body)?.[0] ?? '';

describe.each(testDialects())('views of the signed credential on %s', (dialect) => {
  let t: TestApp, w: World;
  useTemplateWorld({ dialect }, (world) => ({ t, w } = world));

  async function issue(
    person: { name: string; email: string; locale?: string },
    fields: Record<string, string>,
    template: Template = w.template,
    world: World = w,
  ) {
    const recipient = requireRecipient(template.content, { ...person, fields });
    const [issued] = await issueBatch(t.container.deps, world.actor, { org: world.org, template, version: template.version, recipients: [recipient] });
    const [stored] = await t.container.store.credentials.findByCredentialId(world.org.id, issued!.credentialId);
    const u = new URL(issued!.link);
    return { ...issued!, stored: stored!, path: u.pathname, url: u.pathname + u.search };
  }

  it('presents a stored Sceau credential from its signed document, in the language it was signed in', async () => {
    const c = await issue({ name: 'Zoé Tremblay', email: 'zoe.view@example.org' }, { note: 'A', date_examen: '30/06/2026' });
    const v = credentialView(c.stored);
    const doc = JSON.parse(c.stored.document) as { validFrom: string; validUntil: string; issuer: { id: string; url: string } };
    expect(v).toMatchObject({
      credentialId: c.credentialId,
      name: 'Secourisme en milieu de travail',
      description: 'Formation de 16 heures en secourisme.',
      criteria: 'Réussir l’examen pratique.',
      achievementType: 'Certificate',
      kind: 'certificate',
      imageUrl: null,
      language: 'fr',
      issuer: { id: doc.issuer.id, name: 'École Démo', url: doc.issuer.url, imageUrl: null },
      recipientName: 'Zoé Tremblay',
      results: [
        { label: 'Note', value: 'A', resultType: 'LetterGrade' },
        { label: 'Date de l’examen', value: '2026-06-30', resultType: 'ext:Date' },
      ],
      alignments: [{ name: 'Premiers secours', url: TEMPLATE_INPUT.skills[0]!.frameworkUri, code: null, framework: 'ESCO' }],
      tags: ['Travail d’équipe'],
      status: 'active',
      links: { page: c.path, download: `${c.path}/credential.json`, verification: `${c.path}/verification` },
    });
    expect(doc.issuer.id).toBe(`did:web:${new URL(t.container.deps.baseUrl).host.replace(':', '%3A')}:orgs:ecole`);
    expect(v.validFrom?.toISOString()).toBe(new Date(doc.validFrom).toISOString());
    expect(v.issuedOn).toEqual(v.validFrom);
    expect(v.validUntil?.toISOString()).toBe(new Date(doc.validUntil).toISOString());
    expect(v.validUntil!.getUTCFullYear() - v.validFrom!.getUTCFullYear()).toBe(3);

    // One language per credential: the recipient's. The template's French texts are not in an English credential.
    const en = credentialView((await issue({ name: 'Ann Lee', email: 'ann.view@example.org', locale: 'en' }, { note: 'B' })).stored);
    expect(en).toMatchObject({
      name: 'Workplace first aid',
      description: '16-hour first-aid training.',
      language: 'en',
      criteria: 'Réussir l’examen pratique.', // the template has French criteria only: signed as they are
      results: [{ label: 'Grade', value: 'B', resultType: 'LetterGrade' }],
    });
  });

  it('shows what was signed after the template is edited (new name, another kind) and the organisation renamed', async () => {
    const world = await seedTemplateWorld(t, 'renommee');
    const admin = { kind: 'user' as const, userId: world.admin.id, isPlatformAdmin: false as const, ip: null };
    await t.createUser({ email: 'holder.view@example.org', name: 'Hugo Holder' });
    const c = await issue({ name: 'Hugo Holder', email: 'holder.view@example.org' }, { note: 'A' }, world.template, world);

    const edited = await updateTemplate(t.container.deps, world.actor, {
      slug: world.org.slug,
      id: world.template.id,
      template: { ...TEMPLATE_INPUT, kind: 'diploma', name: { fr: 'Nouveau nom du modèle', en: 'New template name' } },
    });
    expect(edited.version).toBe(2);
    await updateOrganization(t.container.deps, admin, { slug: world.org.slug, name: 'Institut Renommé', logoUrl: null, languages: ['fr', 'en'] });

    const page = await t.agent().get(c.url);
    expect(page.statusCode, page.body).toBe(200);
    const card = cardOf(page.body);
    expect(card).toContain('Secourisme en milieu de travail');
    expect(card).toContain('<p class="credential-card-kind">Certificat</p>');
    expect(card).toContain('École Démo');
    expect(page.body).toContain('<title>Secourisme en milieu de travail · Sceau</title>');
    expect(page.body).toContain('Décernée par École Démo');
    for (const later of ['Nouveau nom du modèle', 'Diplôme', 'Institut Renommé']) expect(page.body).not.toContain(later);

    const holder = t.agent();
    await holder.signIn('holder.view@example.org');
    const wallet = await holder.get('/account/credentials');
    expect(wallet.statusCode).toBe(200);
    expect(wallet.body).toContain(`<a href="${c.path}">Secourisme en milieu de travail</a>`);
    expect(wallet.body).toContain('<td>École Démo</td>');
    for (const later of ['Nouveau nom du modèle', 'Institut Renommé']) expect(wallet.body).not.toContain(later);

    const console = t.agent();
    await console.signIn('admin@renommee.example');
    const detail = await console.get(`/console/${world.org.slug}/credentials/${c.award.id}`);
    expect(detail.statusCode, detail.body).toBe(200);
    const consoleCard = cardOf(detail.body);
    expect(consoleCard).toContain('Secourisme en milieu de travail');
    expect(consoleCard).toContain('Certificat');
    expect(consoleCard).toContain('École Démo');
    for (const later of ['Nouveau nom du modèle', 'Diplôme', 'Institut Renommé']) expect(consoleCard).not.toContain(later);
  });
});
