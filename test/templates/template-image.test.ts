import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueBatch } from '../../src/domain/issuance/issue-batch.js';
import { createTemplate } from '../../src/domain/templates/manage-templates.js';
import { uploadImage } from '../../src/domain/templates/images.js';
import { type TestApp, createTestApp } from '../support/app.js';
import { schemaErrors, stockVerify } from '../credentials/issuing/support.js';
import { solidPng } from '../images/fixtures.js';
import { TEMPLATE_INPUT, type World, seedTemplateWorld } from './support.js';

describe('a template with an image uploaded to Sceau', () => {
  let t: TestApp, w: World;
  beforeAll(async () => {
    t = await createTestApp();
    w = await seedTemplateWorld(t, 'ecole-image');
  });
  afterAll(async () => t?.close());

  it('issues credentials whose achievement image is served by Sceau, even on a plain-http BASE_URL', async () => {
    const deps = t.container.deps;
    const image = await uploadImage(deps, w.actor, { slug: w.org.slug, bytes: solidPng(64, 64) });
    const template = await createTemplate(deps, w.actor, { slug: w.org.slug, template: { ...TEMPLATE_INPUT, imageId: image.id } });
    const [award] = await issueBatch(deps, w.actor, {
      org: w.org,
      template,
      version: template.version,
      recipients: [{ name: 'Avec Image', email: 'image@example.org', learnerId: null, locale: 'fr', fields: { note: 'A' } }],
    });
    const [cred] = await deps.store.credentials.findByCredentialId(w.org.id, award!.credentialId);
    const doc = JSON.parse(cred!.document);
    expect(doc.credentialSubject.achievement.image.id).toBe(`http://sceau.test:3000/orgs/${w.org.slug}/images/${image.id}`);
    expect(schemaErrors(doc)).toEqual([]);
    expect((await stockVerify(deps, doc)).verified).toBe(true);
    const served = await t.app.inject({ method: 'GET', url: `/orgs/${w.org.slug}/images/${image.id}` });
    expect(served.statusCode).toBe(200);
    expect(served.headers['content-type']).toBe('image/png');
  });
});
