/** Template pages of the issuer console: list, editor, validation, live preview, archive/restore, one-off issuance. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Agent, type TestApp, createTestApp } from '../support/app.js';
import type { Organization } from '../../src/domain/organizations/model.js';

/** A complete editor form, French only, as a browser would post it (empty rows included). */
function editorForm(overrides: Record<string, string> = {}): Record<string, string> {
  const form: Record<string, string> = {
    kind: 'certificate',
    'name.fr': 'Secourisme en milieu de travail',
    'name.en': '',
    'description.fr': 'Formation de 16 heures en secourisme.',
    'description.en': '',
    'criteria.fr': 'Réussir l’examen pratique.',
    'criteria.en': '',
    defaultLocale: 'fr',
    imageId: '',
    'validity.unit': 'years',
    'validity.n': '3',
    'email.subject.fr': 'Votre attestation {{titre}}',
    'email.body.fr': 'Bonjour {{nom}},\n\nVotre note : {{note}}. Votre attestation : {{lien}}',
    'email.subject.en': '',
    'email.body.en': '',
  };
  for (let i = 0; i < 8; i++) {
    Object.assign(form, { [`skills.${i}.name`]: '', [`skills.${i}.frameworkUri`]: '', [`skills.${i}.code`]: '' });
    Object.assign(form, { [`fields.${i}.key`]: '', [`fields.${i}.label.fr`]: '', [`fields.${i}.label.en`]: '', [`fields.${i}.type`]: 'text' });
  }
  Object.assign(form, {
    'skills.0.name': 'Premiers secours',
    'skills.0.frameworkUri': 'http://data.europa.eu/esco/skill/1e4a1d5b-0a5e-4e1f-9c2d-0a1b2c3d4e5f',
    'skills.0.code': 'S1.2',
    'skills.1.name': 'Travail d’équipe',
    'fields.0.key': 'note',
    'fields.0.label.fr': 'Note',
    'fields.0.type': 'grade',
    'fields.0.required': 'on',
    'fields.1.key': 'date_examen',
    'fields.1.label.fr': 'Date de l’examen',
    'fields.1.type': 'date',
  });
  return { ...form, ...overrides };
}

const fieldError = (body: string, name: string) => new RegExp(`<p class="error" id="f-${name.replace(/\./g, '\\.')}-error">([^<]*)</p>`).exec(body)?.[1];
const inputValue = (body: string, name: string) => new RegExp(`name="${name.replace(/\./g, '\\.')}" type="[a-z]+" value="([^"]*)"`).exec(body)?.[1];

describe('console: templates', () => {
  let t: TestApp, org: Organization, admin: Agent, staff: Agent, reviewer: Agent, otherAdmin: Agent, templateId: string;

  beforeAll(async () => {
    t = await createTestApp();
    org = await t.createOrg({ name: 'Cégep Démo', slug: 'cegep' });
    const other = await t.createOrg({ name: 'Autre collège', slug: 'autre' });
    await t.createUser({ email: 'admin@cegep.example', name: 'Anne Admin', org, role: 'admin' });
    await t.createUser({ email: 'staff@cegep.example', name: 'Sam Staff', org, role: 'staff' });
    await t.createUser({ email: 'reviewer@cegep.example', name: 'Rémi Réviseur', org, role: 'reviewer' });
    await t.createUser({ email: 'admin@autre.example', org: other, role: 'admin' });
    admin = t.agent();
    await admin.signIn('admin@cegep.example');
    staff = t.agent();
    await staff.signIn('staff@cegep.example');
    reviewer = t.agent();
    await reviewer.signIn('reviewer@cegep.example');
    otherAdmin = t.agent();
    await otherAdmin.signIn('admin@autre.example');
  });
  afterAll(async () => t?.close());

  it('creates a template through the form (French only) and shows it with its preview', async () => {
    const empty = await staff.get('/console/cegep/templates');
    expect(empty.statusCode).toBe(200);
    expect(empty.body).toContain('Aucun modèle pour l’instant.');
    expect(empty.body).toContain('href="/console/cegep/templates/new"');
    expect(empty.body).toMatch(/<a href="\/console\/cegep\/templates" aria-current="page">Modèles<\/a>/);

    const blank = await staff.get('/console/cegep/templates/new');
    expect(blank.statusCode).toBe(200);
    expect(blank.body).toContain('Nouveau modèle');
    expect(blank.body).toContain('<script src="/assets/template-preview.js" defer></script>');
    expect(blank.body).toContain('{{organisation}}');
    expect(blank.body).toContain('href="/console/cegep/images"');

    const res = await staff.post('/console/cegep/templates', editorForm());
    expect(res.statusCode).toBe(303);
    const m = /^\/console\/cegep\/templates\/([^/?]+)\?done=created$/.exec(String(res.headers.location));
    expect(m).not.toBeNull();
    templateId = m![1]!;
    const stored = (await t.container.store.templates.find(org.id, templateId))!;
    expect(stored).toMatchObject({ kind: 'certificate', version: 1, status: 'active' });
    expect(stored.content).toMatchObject({
      name: { fr: 'Secourisme en milieu de travail' },
      validity: { unit: 'years', n: 3 },
      skills: [
        { name: 'Premiers secours', frameworkUri: 'http://data.europa.eu/esco/skill/1e4a1d5b-0a5e-4e1f-9c2d-0a1b2c3d4e5f', code: 'S1.2' },
        { name: 'Travail d’équipe', frameworkUri: null, code: null },
      ],
      fields: [
        { key: 'note', label: { fr: 'Note' }, type: 'grade', required: true },
        { key: 'date_examen', label: { fr: 'Date de l’examen' }, type: 'date', required: false },
      ],
    });
    expect(stored.content.name.en).toBeUndefined();

    const page = await staff.get(String(res.headers.location));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Modèle créé.');
    expect(page.body).toContain('Version 1');
    expect(page.body).toContain(`href="/console/cegep/templates/${templateId}/issue"`);
    expect(inputValue(page.body, 'name.fr')).toBe('Secourisme en milieu de travail');
    expect(page.body).toContain('<code>{{note}}</code>');
    // The preview: the card for the sample recipient, with sample values by type.
    expect(page.body).toContain('class="credential-card credential-card-certificate"');
    expect(page.body).toContain('Camille Exemple');
    expect(page.body).toContain('Cégep Démo');
    expect(page.body).toMatch(/<dt>Note<\/dt><dd>A<\/dd>/);
    expect(page.body).toContain('href="http://data.europa.eu/esco/skill/1e4a1d5b-0a5e-4e1f-9c2d-0a1b2c3d4e5f"');

    const list = await staff.get('/console/cegep/templates');
    expect(list.body).toContain('Secourisme en milieu de travail');
    expect(list.body).toContain('Certificat');
  });

  it('saves a new version, and refuses a stale version with the conflict message (409), keeping what was typed', async () => {
    const page = await admin.get(`/console/cegep/templates/${templateId}`);
    expect(page.body).toContain('name="version" value="1"');
    const saved = await admin.post(
      `/console/cegep/templates/${templateId}`,
      editorForm({ version: '1', 'name.fr': 'Secourisme (RCR)', 'name.en': 'First aid (CPR)' }),
    );
    expect(saved.statusCode).toBe(303);
    expect(saved.headers.location).toBe(`/console/cegep/templates/${templateId}?done=saved`);
    const current = (await t.container.store.templates.find(org.id, templateId))!;
    expect(current.version).toBe(2);
    expect(current.content.name).toEqual({ fr: 'Secourisme (RCR)', en: 'First aid (CPR)' });
    expect(await t.container.store.templates.findVersion(templateId, 1)).toMatchObject({ name: { fr: 'Secourisme en milieu de travail' } });
    expect((await admin.get(String(saved.headers.location))).body).toContain('Version 2');

    const stale = await staff.post(`/console/cegep/templates/${templateId}`, editorForm({ version: '1', 'name.fr': 'Écrasement' }));
    expect(stale.statusCode).toBe(409);
    expect(stale.body).toContain('Ce modèle a été modifié entre-temps.');
    expect(inputValue(stale.body, 'name.fr')).toBe('Écrasement');
    expect((await t.container.store.templates.find(org.id, templateId))!.version).toBe(2);
  });

  it('shows validation errors next to their fields (400) and keeps the values', async () => {
    const badKey = await staff.post('/console/cegep/templates', editorForm({ 'fields.2.key': 'Mauvais Code!', 'fields.2.label.fr': 'Mention' }));
    expect(badKey.statusCode).toBe(400);
    expect(fieldError(badKey.body, 'fields.2.key')).toContain('Le code du champ doit commencer');
    expect(inputValue(badKey.body, 'fields.2.key')).toBe('Mauvais Code!');
    expect(inputValue(badKey.body, 'fields.2.label.fr')).toBe('Mention');
    expect(badKey.body).toContain('role="alert"');

    const merge = await staff.post('/console/cegep/templates', editorForm({ 'email.body.fr': 'Bonjour {{inconnu}}' }));
    expect(merge.statusCode).toBe(400);
    expect(fieldError(merge.body, 'email.body.fr')).toContain('Champ de fusion inconnu : {{inconnu}}');
    expect(merge.body).toContain('>Bonjour {{inconnu}}</textarea>');

    const long = await staff.post('/console/cegep/templates', editorForm({ 'name.fr': 'é'.repeat(201) }));
    expect(long.statusCode).toBe(400);
    expect(fieldError(long.body, 'name.fr')).toBe('Ce texte est trop long (200 caractères au plus).');
    expect(inputValue(long.body, 'name.fr')).toBe('é'.repeat(201));

    const js = await staff.post('/console/cegep/templates', editorForm({ 'skills.0.frameworkUri': 'javascript:alert(1)' }));
    expect(js.statusCode).toBe(400);
    expect(fieldError(js.body, 'skills.0.frameworkUri')).toBeTruthy();
    expect(inputValue(js.body, 'skills.0.frameworkUri')).toBe('javascript:alert(1)');
    expect(js.body).not.toContain('href="javascript:');

    const required = await staff.post('/console/cegep/templates', editorForm({ 'name.fr': '  ' }));
    expect(required.statusCode).toBe(400);
    expect(fieldError(required.body, 'name.fr')).toBe('Ce texte est obligatoire, en français ou en anglais.');

    const validity = await staff.post('/console/cegep/templates', editorForm({ 'validity.n': 'zéro' }));
    expect(validity.statusCode).toBe(400);
    expect(fieldError(validity.body, 'validity.n')).toContain('entre 1 et 100');

    const image = await staff.post('/console/cegep/templates', editorForm({ imageId: 'abcdefgh12345678' }));
    expect(image.statusCode).toBe(400);
    expect(fieldError(image.body, 'imageId')).toBeTruthy();

    for (const kind of ['trophy', '']) expect((await staff.post('/console/cegep/templates', editorForm({ kind }))).statusCode).toBe(400);
    // Over the schema's caps: a plain 400, never a 500.
    expect((await staff.post('/console/cegep/templates', editorForm({ 'description.fr': 'x'.repeat(30_000) }))).statusCode).toBe(400);
    expect((await staff.post('/console/cegep/templates', { ...editorForm(), 'name.fr': ['a', 'b'] })).statusCode).toBe(400);
    expect((await t.container.store.templates.list(org.id)).length).toBe(1);
  });

  it('previews the card as an escaped fragment, a 400 fragment on errors, and a full page without JavaScript', async () => {
    const xss = '<img src=x onerror=alert(1)>';
    const res = await staff.post('/console/cegep/templates/preview?fragment=1', editorForm({ 'name.fr': xss, 'fields.0.label.fr': `"${xss}` }));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).not.toContain('<html');
    expect(res.body).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(res.body).toContain('&quot;&lt;img');
    expect(res.body).not.toContain('<img src=x');
    expect(res.body).toContain('Camille Exemple');
    expect(res.body).toContain('<h3 class="credential-card-title">');

    const bad = await staff.post('/console/cegep/templates/preview?fragment=1', editorForm({ 'email.subject.fr': '{{inconnu}}' }));
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Champ de fusion inconnu');
    expect(bad.body).not.toContain('<html');

    const full = await staff.post('/console/cegep/templates/preview', editorForm({ 'name.fr': 'Aperçu sans script', templateId }));
    expect(full.statusCode).toBe(200);
    expect(full.body).toContain('<!doctype html>');
    expect(full.body).toContain(`action="/console/cegep/templates/${templateId}"`);
    expect(inputValue(full.body, 'name.fr')).toBe('Aperçu sans script');
    expect(full.body).toMatch(/<h3 class="credential-card-title">Aperçu sans script<\/h3>/);
    const fullBad = await staff.post('/console/cegep/templates/preview', editorForm({ 'fields.0.key': 'email' }));
    expect(fullBad.statusCode).toBe(400);
    expect(fieldError(fullBad.body, 'fields.0.key')).toBeTruthy();

    const script = await t.app.inject({ method: 'GET', url: '/assets/template-preview.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toContain('javascript');
  });

  it('issues one credential: a credential, its award and the e-mail to the recipient', async () => {
    const form = await staff.get(`/console/cegep/templates/${templateId}/issue`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('Note (obligatoire)');
    expect(form.body).toContain('name="fields.1" type="date"');

    const missing = await staff.post(`/console/cegep/templates/${templateId}/issue`, {
      name: 'Zoé Tremblay',
      email: 'zoe@example.org',
      locale: 'fr',
      'fields.0': '',
      'fields.1': '',
    });
    expect(missing.statusCode).toBe(400);
    expect(fieldError(missing.body, 'fields.0')).toBe('Valeur obligatoire manquante.');
    expect(inputValue(missing.body, 'name')).toBe('Zoé Tremblay');
    const badEmail = await staff.post(`/console/cegep/templates/${templateId}/issue`, { name: 'Zoé Tremblay', email: 'pas-un-courriel', 'fields.0': 'A' });
    expect(badEmail.statusCode).toBe(400);
    expect(fieldError(badEmail.body, 'email')).toBeTruthy();
    const badDate = await staff.post(`/console/cegep/templates/${templateId}/issue`, {
      name: 'Zoé Tremblay',
      email: 'zoe@example.org',
      'fields.0': 'A',
      'fields.1': '31/02/2026',
    });
    expect(badDate.statusCode).toBe(400);
    expect(fieldError(badDate.body, 'fields.1')).toContain('Date attendue');
    const stale = await staff.post(`/console/cegep/templates/${templateId}/issue`, {
      version: '1',
      name: 'Zoé Tremblay',
      email: 'zoe@example.org',
      'fields.0': 'A',
    });
    expect(stale.statusCode).toBe(409);
    expect(stale.body).toContain('name="version" value="2"');
    expect(await t.container.store.credentials.countForOrg(org.id)).toBe(0);

    const res = await staff.post(`/console/cegep/templates/${templateId}/issue`, {
      version: '2',
      name: 'Zoé Tremblay',
      email: 'Zoe@Example.org',
      learnerId: 'M-42',
      locale: 'fr',
      'fields.0': 'A+',
      'fields.1': '2026-06-15',
    });
    expect(res.statusCode).toBe(303);
    const m = /^\/console\/cegep\/credentials\/([^/?]+)\?done=issued$/.exec(String(res.headers.location));
    expect(m).not.toBeNull();
    const award = (await t.container.store.awards.find(org.id, m![1]!))!;
    expect(award).toMatchObject({
      templateId,
      templateVersion: 2,
      recipient: { name: 'Zoé Tremblay', email: 'zoe@example.org', learnerId: 'M-42', locale: 'fr', fields: { note: 'A+', date_examen: '2026-06-15' } },
    });
    expect(await t.container.store.credentials.countForOrg(org.id)).toBe(1);
    const mails = (await t.mails()).filter((x) => x.kind === 'credential.issued');
    expect(mails.map((x) => x.to)).toEqual(['zoe@example.org']);
    expect(mails[0]!.subject).toBe('Votre attestation Secourisme (RCR)');
    expect(mails[0]!.text).toContain('Votre note : A+.');
  });

  it('archives and restores; an archived template issues nothing (409)', async () => {
    const archived = await staff.post(`/console/cegep/templates/${templateId}/archive`, {});
    expect(archived.statusCode).toBe(303);
    expect((await t.container.store.templates.find(org.id, templateId))!.status).toBe('archived');
    const page = await staff.get(String(archived.headers.location));
    expect(page.body).toContain('Modèle archivé.');
    expect(page.body).toContain('Ce modèle est archivé');
    expect(page.body).toContain(`action="/console/cegep/templates/${templateId}/restore"`);
    expect((await staff.get('/console/cegep/templates')).body).not.toContain(`/templates/${templateId}"`);
    expect((await staff.get('/console/cegep/templates?status=archived')).body).toContain(`/templates/${templateId}"`);

    const issueForm = await staff.get(`/console/cegep/templates/${templateId}/issue`);
    expect(issueForm.statusCode).toBe(409);
    const issue = await staff.post(`/console/cegep/templates/${templateId}/issue`, { name: 'Léa Roy', email: 'lea@example.org', 'fields.0': 'B' });
    expect(issue.statusCode).toBe(409);
    expect(issue.body).toContain('Ce modèle est archivé : restaurez-le avant de l’utiliser.');
    const edit = await staff.post(`/console/cegep/templates/${templateId}`, editorForm({ version: '2' }));
    expect(edit.statusCode).toBe(409);
    expect(await t.container.store.credentials.countForOrg(org.id)).toBe(1);

    const restored = await staff.post(`/console/cegep/templates/${templateId}/restore`, {});
    expect(restored.statusCode).toBe(303);
    expect((await staff.get(String(restored.headers.location))).body).toContain('Modèle restauré.');
    expect((await t.container.store.templates.find(org.id, templateId))!.status).toBe('active');
  });

  it('lets reviewers read (200) but not write (403)', async () => {
    const list = await reviewer.get('/console/cegep/templates');
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain('/templates/new');
    expect(list.body).toContain('seuls les administrateurs et le personnel');
    const view = await reviewer.get(`/console/cegep/templates/${templateId}`);
    expect(view.statusCode).toBe(200);
    expect(view.body).not.toContain('<form method="post" action="/console/cegep/templates/');
    expect(view.body).toContain('Camille Exemple');
    expect((await reviewer.get('/console/cegep/templates/new')).statusCode).toBe(403);
    expect((await reviewer.get(`/console/cegep/templates/${templateId}/issue`)).statusCode).toBe(403);
    for (const [url, form] of [
      ['/console/cegep/templates', editorForm()],
      [`/console/cegep/templates/${templateId}`, editorForm({ version: '2' })],
      ['/console/cegep/templates/preview?fragment=1', editorForm()],
      [`/console/cegep/templates/${templateId}/archive`, {}],
      [`/console/cegep/templates/${templateId}/restore`, {}],
      [`/console/cegep/templates/${templateId}/issue`, { name: 'Léa Roy', email: 'lea@example.org', 'fields.0': 'B' }],
    ] as const) {
      expect((await reviewer.post(url, form)).statusCode, url).toBe(403);
    }
    expect((await t.container.store.templates.find(org.id, templateId))!.version).toBe(2);
  });

  it('answers 404 to another organisation’s admin, exactly like a missing template', async () => {
    const missing = await otherAdmin.get('/console/autre/templates/01900000-0000-7000-8000-000000000000');
    const foreign = await otherAdmin.get(`/console/autre/templates/${templateId}`);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.body).toBe(missing.body);
    expect((await otherAdmin.get(`/console/cegep/templates/${templateId}`)).statusCode).toBe(404);
    expect((await otherAdmin.get('/console/cegep/templates')).statusCode).toBe(404);
    expect((await otherAdmin.get(`/console/autre/templates/${templateId}/issue`)).statusCode).toBe(404);
    expect((await otherAdmin.post(`/console/autre/templates/${templateId}/issue`, { name: 'X', email: 'x@example.org', 'fields.0': 'A' })).statusCode).toBe(
      404,
    );
    expect((await otherAdmin.post(`/console/autre/templates/${templateId}/archive`, {})).statusCode).toBe(404);
    expect((await otherAdmin.post(`/console/autre/templates/${templateId}`, editorForm({ version: '2' }))).statusCode).toBe(404);
    expect((await otherAdmin.post('/console/autre/templates/preview', editorForm({ templateId }))).statusCode).toBe(404);
    expect((await t.container.store.templates.find(org.id, templateId))!).toMatchObject({ version: 2, status: 'active' });
    expect((await t.agent().get('/console/cegep/templates')).statusCode).toBe(401);
  });

  it('renders the pages in English', async () => {
    const en = t.agent();
    await en.signIn('admin@cegep.example');
    const list = await en.get('/console/cegep/templates?lang=en');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('Credential templates');
    expect(list.body).toContain('>Templates</a>');
    expect(list.body).toContain('Certificate');
    const editor = await en.get(`/console/cegep/templates/${templateId}?lang=en`);
    expect(editor.statusCode).toBe(200);
    expect(editor.body).toContain('Kind of credential');
    expect(editor.body).toContain('<code>{{organization}}</code>');
    // The sample recipient reads the English text.
    expect(editor.body).toMatch(/<h3 class="credential-card-title">First aid \(CPR\)<\/h3>/);
    expect(editor.body).toContain('Valid until');
    const issue = await en.get(`/console/cegep/templates/${templateId}/issue?lang=en`);
    expect(issue.body).toContain('Issue a credential');
    expect(issue.body).toContain('Holder’s e-mail address');
    expect((await en.get('/console/cegep/templates/new?lang=en')).body).toContain('New template');
  });
});
