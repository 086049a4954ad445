/**
 * Sceau's copy-on-write jsonld active-context clone (src/crypto/jsonld-context-clone.ts) must give exactly what stock
 * jsonld.js gives. A corpus (the shared vectors, Sceau's own credentials of every kind, scoped/protected-context edge
 * cases) is expanded and canonicalised in separate processes — stock, with the clone, and with a deliberately wrong
 * clone as the check's control — and every outcome (N-Quads, expanded JSON, error code) is compared. The same
 * comparison over the W3C JSON-LD test suites is `scripts/jsonld-clone-conformance.ts`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextCloneInstalled, installContextClone } from '../../src/crypto/jsonld-context-clone.js';
import { issueBatch } from '../../src/domain/issuance/issue-batch.js';
import { createTemplate } from '../../src/domain/templates/manage-templates.js';
import type { DiffCase } from '../../scripts/jsonld-diff-child.js';
import { VECTORS } from '../credentials/verifier/support.js';
import { type TestApp, createTestApp } from '../support/app.js';
import { TEMPLATE_INPUT, seedTemplateWorld } from '../templates/support.js';

const root = path.resolve(__dirname, '../..');

function vectorDocuments(): { name: string; doc: unknown }[] {
  const out: { name: string; doc: unknown }[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.jsonl?d?$/.test(e.name)) {
        try {
          const doc = JSON.parse(fs.readFileSync(p, 'utf8')) as Record<string, unknown>;
          if (doc && typeof doc === 'object' && '@context' in doc) out.push({ name: path.relative(VECTORS, p), doc });
        } catch {
          /* not JSON */
        }
      }
    }
  };
  walk(VECTORS);
  return out;
}

const V = 'https://ex.test/vocab#';
/** Inline-context documents around what cloning touches: type- and property-scoped contexts, propagation, reverting,
 * protected terms (allowed and refused redefinitions), nullification, @vocab/@language/@base inside scopes. */
const EDGE_CASES: Record<string, unknown> = {
  nestedTypeScoped: {
    '@context': {
      '@vocab': V,
      A: { '@id': `${V}A`, '@context': { p: { '@id': `${V}pa` }, B: { '@id': `${V}B`, '@context': { p: { '@id': `${V}pb` } } } } },
      B: `${V}Bout`,
    },
    '@type': 'A',
    p: 'in A',
    child: { '@type': 'B', p: 'in B', grand: { p: 'reverted', '@type': 'A' } },
    sibling: { p: 'outside' },
  },
  propertyScopedPropagates: {
    '@context': { '@vocab': V, wrap: { '@id': `${V}wrap`, '@context': { name: `${V}innerName`, '@language': 'fr' } }, name: `${V}name` },
    name: 'outer',
    wrap: { name: 'inner', deeper: { name: 'still inner', label: 'langue' } },
  },
  typeScopedNoPropagate: {
    '@context': { '@vocab': V, T: { '@id': `${V}T`, '@context': { '@vocab': 'https://other.test/#', x: { '@id': 'https://other.test/#x', '@type': '@id' } } } },
    '@type': 'T',
    x: 'rel',
    nested: { x: 'back to outer vocab', y: 1 },
  },
  propagateTrue: {
    '@context': { '@vocab': V, T: { '@id': `${V}T`, '@context': { '@propagate': true, n: `${V}scoped` } } },
    '@type': 'T',
    n: 1,
    nested: { n: 2, more: { n: 3 } },
  },
  propagateFalseProperty: {
    '@context': { '@vocab': V, p: { '@id': `${V}p`, '@context': { '@propagate': false, q: `${V}scopedQ` } } },
    p: { q: 'scoped', r: { q: 'not propagated' } },
  },
  protectedSameDefinition: {
    '@context': [{ '@protected': true, '@vocab': V, name: `${V}name` }, { name: `${V}name` }],
    name: 'same definition is allowed',
  },
  protectedRedefinitionRefused: {
    '@context': [{ '@protected': true, name: `${V}name` }, { name: `${V}other` }],
    name: 'refused',
  },
  protectedOverriddenByPropertyScope: {
    '@context': { '@protected': true, '@vocab': V, name: `${V}name`, box: { '@id': `${V}box`, '@context': { name: `${V}boxName` } } },
    name: 'outer',
    box: { name: 'property-scoped contexts may override protected terms' },
  },
  protectedInTypeScope: {
    '@context': { '@vocab': V, T: { '@id': `${V}T`, '@context': { '@protected': true, k: `${V}k` } } },
    '@type': 'T',
    k: 1,
    nested: { '@context': { k: `${V}k2` }, k: 2 },
  },
  nullificationRefused: {
    '@context': [{ '@protected': true, name: `${V}name` }, null],
    name: 'x',
  },
  nullificationInPropertyScope: {
    '@context': { '@vocab': V, p: { '@id': `${V}p`, '@context': null } },
    p: { '@id': 'https://ex.test/n', q: 'dropped without vocab' },
    q: 'kept',
  },
  embeddedContextsAndTypes: {
    '@context': {
      '@vocab': V,
      Person: { '@id': `${V}Person`, '@context': { knows: { '@id': `${V}knows`, '@type': '@id' }, name: { '@id': `${V}personName`, '@language': 'en' } } },
    },
    '@graph': [
      { '@id': 'https://ex.test/a', '@type': 'Person', name: 'A', knows: 'https://ex.test/b' },
      { '@id': 'https://ex.test/b', '@type': ['Person'], name: 'B', knows: { '@id': 'https://ex.test/a', '@type': 'Person', name: 'A again' } },
      { '@id': 'https://ex.test/c', name: 'C (no type scope)', knows: 'plain' },
    ],
  },
  reverseAndContainers: {
    '@context': {
      '@vocab': V,
      parentOf: { '@reverse': `${V}childOf` },
      tags: { '@id': `${V}tag`, '@container': '@set' },
      labels: { '@id': `${V}label`, '@container': '@language' },
      byId: { '@id': `${V}item`, '@container': '@id', '@context': { v: `${V}scopedV` } },
    },
    '@id': 'https://ex.test/p',
    parentOf: [{ '@id': 'https://ex.test/k1' }],
    tags: ['a', 'b'],
    labels: { fr: 'étiquette', en: 'label' },
    byId: { 'https://ex.test/i1': { v: 1 }, 'https://ex.test/i2': { v: 2 } },
  },
  baseInScope: {
    '@context': {
      '@vocab': V,
      '@base': 'https://base.test/root/',
      T: { '@id': `${V}T`, '@context': { '@base': 'https://base.test/scoped/' } },
      link: { '@id': `${V}link`, '@type': '@id' },
    },
    link: 'outer',
    inner: { '@type': 'T', link: 'inner', deeper: { link: 'deeper' } },
  },
};

describe('jsonld copy-on-write active-context clone', () => {
  let t: TestApp;
  const cases: DiffCase[] = [];

  beforeAll(async () => {
    // Sceau's own credentials: one per kind of template, with skills (alignments and tags), typed fields (results),
    // a recipient name, a validity period and a status entry, as issued by the bulk engine.
    t = await createTestApp();
    const w = await seedTemplateWorld(t, 'ecole-clone');
    const deps = t.container.deps;
    for (const kind of ['badge', 'certificate', 'diploma', 'attestation', 'transcript'] as const) {
      const template = await createTemplate(deps, w.actor, {
        slug: w.org.slug,
        template: { ...TEMPLATE_INPUT, kind, name: { fr: `Modèle ${kind}`, en: `Template ${kind}` } },
      });
      const [award] = await issueBatch(deps, w.actor, {
        org: w.org,
        template,
        version: template.version,
        recipients: [
          { name: `Élève ${kind}`, email: `${kind}@example.org`, learnerId: 'L-42', locale: 'fr', fields: { note: 'A+', date_examen: '2026-06-15' } },
        ],
      });
      const [stored] = await deps.store.credentials.findByCredentialId(w.org.id, award!.credentialId);
      const doc = JSON.parse(stored!.document) as Record<string, unknown>;
      cases.push({ id: `sceau-${kind}`, op: 'canonize', input: doc }, { id: `sceau-${kind}-expand`, op: 'expand', input: doc });
      const { proof, ...unsigned } = doc;
      void proof;
      cases.push({ id: `sceau-${kind}-unsigned`, op: 'canonize', input: unsigned, options: { safe: true } });
    }
    for (const v of vectorDocuments()) {
      cases.push({ id: `vector ${v.name}`, op: 'canonize', input: v.doc }, { id: `vector ${v.name} expand`, op: 'expand', input: v.doc });
    }
    for (const [name, doc] of Object.entries(EDGE_CASES)) {
      cases.push(
        { id: name, op: 'toRdf', input: doc },
        { id: `${name} expand`, op: 'expand', input: doc },
        { id: `${name} canonize`, op: 'canonize', input: doc },
      );
    }
  });
  afterAll(async () => t?.close());

  const run = (mode: string): Map<string, string> => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'scripts/jsonld-diff-child.ts'), mode, 'bundled'], {
      input: JSON.stringify(cases),
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.status !== 0) throw new Error(`${mode} child failed: ${r.stderr}`);
    return new Map((JSON.parse(r.stdout) as { id: string }[]).map((x) => [x.id, JSON.stringify(x)]));
  };

  it('is active in Sceau (the signer and the verifier install it on the checked jsonld version)', () => {
    // Installed by the test app's signer (beforeAll), before this test calls anything.
    expect(contextCloneInstalled()).toBe(true);
    expect(installContextClone()).toBe(true); // idempotent
  });

  it('gives exactly the stock output and errors on every document of the corpus; a wrong clone is caught', () => {
    expect(cases.length).toBeGreaterThan(60);
    const stock = run('stock');
    const clone = run('clone');
    const control = run('no-copy');
    expect(stock.size).toBe(cases.length);
    const differ = cases.filter((c) => stock.get(c.id) !== clone.get(c.id)).map((c) => ({ id: c.id, stock: stock.get(c.id), clone: clone.get(c.id) }));
    expect(differ).toEqual([]);
    // The corpus is not trivial: real values (credentials canonicalise to many quads), errors compared too, and a
    // clone that shares term definitions between contexts gives different results.
    const sceau = JSON.parse(stock.get('sceau-certificate')!) as { value: string };
    expect(sceau.value.split('\n').length).toBeGreaterThan(40);
    expect(JSON.parse(stock.get('protectedRedefinitionRefused expand')!)).toMatchObject({ error: { code: 'protected term redefinition' } });
    expect(JSON.parse(stock.get('nullificationRefused expand')!)).toMatchObject({ error: { code: 'invalid context nullification' } });
    expect(cases.filter((c) => stock.get(c.id) !== control.get(c.id)).length).toBeGreaterThan(0);
  }, 120_000);
});
