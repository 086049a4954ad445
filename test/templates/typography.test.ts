/** Punctuation follows the page's language (no French "Status : Valid" in English), and buttons styled as links use the page's font. */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRecipient } from '../../src/domain/issuance/check-recipients.js';
import { issueBatch } from '../../src/domain/issuance/issue-batch.js';
import { createImport } from '../../src/domain/issuance/import-spreadsheet.js';
import { type TestApp, createTestApp } from '../support/app.js';
import { type World, csvOf, seedTemplateWorld } from './support.js';

describe('typography', () => {
  let t: TestApp, w: World, link: string;
  beforeAll(async () => {
    t = await createTestApp();
    w = await seedTemplateWorld(t);
    const [issued] = await issueBatch(t.container.deps, w.actor, {
      org: w.org,
      template: w.template,
      version: w.template.version,
      recipients: [requireRecipient(w.template.content, { name: 'Léa', email: 'lea@example.org', fields: { note: 'A' } })],
    });
    const u = new URL(issued!.link);
    link = u.pathname + u.search;
  });
  afterAll(async () => t?.close());

  it('the holder page says "Status: " in English and "État : " (no-break space) in French', async () => {
    const en = await t.agent().get(`${link}&lang=en`);
    expect(en.statusCode).toBe(200);
    expect(en.body).toContain('<span class="visually-hidden">Status: </span>');
    expect(en.body).not.toContain('Status : ');
    const fr = await t.agent().get(`${link}&lang=fr`);
    expect(fr.body).toContain('<span class="visually-hidden">État\u00a0: </span>');
  });

  it('row problems of a bulk job: "Line 3: …; …" in English', async () => {
    const job = await createImport(t.container.deps, w.actor, {
      slug: w.org.slug,
      templateId: w.template.id,
      bytes: csvOf(2, { bad: { 3: 'Mauvais;pas-un-courriel;;' } }),
      filename: 'x.csv',
    });
    // A reviewer sees the read-only report (one line per row).
    await t.createUser({ email: 'reviewer@ecole.example', org: w.org, role: 'reviewer' });
    const a = t.agent();
    await a.signIn('reviewer@ecole.example');
    const en = await a.get(`/console/ecole/bulk/${job.id}?lang=en`);
    expect(en.body).toMatch(/<li>Line 3: [^<;]+; [^<]+<\/li>/);
    expect(en.body).not.toMatch(/<li>Line 3 : /);
    const fr = await a.get(`/console/ecole/bulk/${job.id}?lang=fr`);
    expect(fr.body).toMatch(/<li>Ligne 3\u00a0: [^<;]+\u00a0; [^<]+<\/li>/);
  });

  it('a button styled as a link (sign out) takes the font of the links beside it', () => {
    const css = fs.readFileSync(new URL('../../src/web/assets/app.css', import.meta.url), 'utf8');
    expect(css).toMatch(/button, input, select, textarea \{ font-family: inherit; \}/);
    expect(css).toMatch(/button\.link \{[^}]*font: inherit;[^}]*\}/);
    expect(css).toMatch(/button\.link:hover, button\.link:focus \{ background: none;/);
  });
});
