/** Real plural forms (Intl.PluralRules) in both languages instead of "(s)", and no stray separator before the counts. */
import { describe, expect, it } from 'vitest';
import { createImport } from '../../src/domain/issuance/import-spreadsheet.js';
import { en } from '../../src/i18n/en.js';
import { fr } from '../../src/i18n/fr.js';
import { formatMessage, plural } from '../../src/i18n/plural.js';
import { type Agent, type TestApp } from '../support/app.js';
import { type World, csvOf, useTemplateWorld } from './support.js';

/** Every string of a message tree. */
function strings(node: unknown): string[] {
  if (typeof node === 'string') return [node];
  if (node && typeof node === 'object') return Object.values(node).flatMap(strings);
  return [];
}

describe('plural helper', () => {
  it('picks the form by Intl.PluralRules: French 0 and 1 singular, English only 1', () => {
    const fr1 = { one: '# ligne invalide', other: '# lignes invalides' };
    const en1 = { one: '# invalid row', other: '# invalid rows' };
    expect([0, 1, 2, 1500].map((n) => plural('fr', fr1, { count: n }))).toEqual([
      '0 ligne invalide',
      '1 ligne invalide',
      '2 lignes invalides',
      '1\u00a0500 lignes invalides',
    ]);
    expect([0, 1, 2, 1500].map((n) => plural('en', en1, { count: n }))).toEqual(['0 invalid rows', '1 invalid row', '2 invalid rows', '1,500 invalid rows']);
    expect(plural('fr', { other: '# de {org}' }, { count: 3, params: { org: 'Institut' } })).toBe('3 de Institut');
  });

  it('resolves plural variants embedded in catalogue strings', () => {
    expect(formatMessage('fr', fr.errors.CODE_INVALID, { remaining: 1 })).toBe('Code incorrect. Il vous reste 1 essai.');
    expect(formatMessage('fr', fr.errors.CODE_INVALID, { remaining: 4 })).toBe('Code incorrect. Il vous reste 4 essais.');
    expect(formatMessage('en', en.errors.CODE_INVALID, { remaining: 1 })).toBe('Wrong code. 1 attempt left.');
    expect(formatMessage('en', en.errors.IMPORT_HAS_INVALID_ROWS, { count: 1 })).toBe('1 invalid row: fix or exclude it before publishing.');
    expect(formatMessage('fr', fr.errors.IMPORT_HAS_INVALID_ROWS, { count: 2 })).toBe('2 lignes invalides : corrigez-les ou excluez-les avant de publier.');
    expect(formatMessage('fr', fr.verification.codes.NESTED_INVALID, { count: 1 })).toBe('1 attestation incluse non vérifiée.');
    // A value is inserted as text: its braces are not read as a placeholder.
    expect(formatMessage('en', '{count, plural, one {# for {org}} other {# for {org}}}', { count: 2, org: '{count}' })).toBe('2 for {count}');
  });

  it('leaves no "(s)" in either language', () => {
    expect(strings(fr).filter((s) => /\((s|e|es|x)\)/.test(s))).toEqual([]);
    expect(strings(en).filter((s) => /\((s|e|es|x)\)/.test(s))).toEqual([]);
  });
});

describe('bulk job page wording', () => {
  let t: TestApp, w: World, staff: Agent;
  useTemplateWorld({ signIn: true }, (world) => ({ t, w, staff } = world));

  it('one invalid row: singular forms; no file name: no separator before the counts', async () => {
    const job = await createImport(t.container.deps, w.actor, {
      slug: w.org.slug,
      templateId: w.template.id,
      bytes: csvOf(3, { bad: { 3: 'Mauvais;pas-un-courriel;A;' } }),
      filename: null,
    });
    const page = await staff.get(`/console/${w.org.slug}/bulk/${job.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('2 valides, 1 invalide, 0 exclue sur 3 lignes.');
    expect(page.body).toContain('>Exclure la ligne invalide</button>');
    expect(page.body).toContain('La publication est bloquée : 1 ligne invalide.');
    expect(page.body).toMatch(/<p class="meta">2 valides/);
    expect(page.body).not.toContain('(s)');
    const refused = await staff.post(`/console/${w.org.slug}/bulk/${job.id}/publish`, {});
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain('1 ligne invalide : corrigez-la ou excluez-la avant de publier.');

    const english = await staff.get(`/console/${w.org.slug}/bulk/${job.id}?lang=en`);
    expect(english.body).toContain('2 valid, 1 invalid, 0 excluded out of 3 rows.');
    expect(english.body).toContain('>Exclude the invalid row</button>');
    expect(english.body).toContain('Publishing is blocked: 1 invalid row.');
  });
});
