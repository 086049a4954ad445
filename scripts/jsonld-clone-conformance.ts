/**
 * Differential conformance of Sceau's copy-on-write jsonld active-context clone (src/crypto/jsonld-context-clone.ts)
 * against stock jsonld.js over the W3C JSON-LD 1.1 API test suites (expand, toRdf, compact, flatten).
 *
 *   node --import tsx scripts/jsonld-clone-conformance.ts <checkout of w3c/json-ld-api>
 *
 * Every test runs in two fresh processes (scripts/jsonld-diff-child.ts): stock and with the clone installed; each
 * outcome (output or error code) must be identical. The suite is not bundled with Sceau (bring a checkout, e.g.
 * `git clone https://github.com/w3c/json-ld-api`); documents are read from it, nothing is fetched. As a control, the
 * same tests also run with a deliberately wrong clone that shares term definitions, which must differ somewhere.
 * Exit code 1 on any difference.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DiffCase } from './jsonld-diff-child.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const checkout = process.argv[2];
if (!checkout) {
  console.error('usage: scripts/jsonld-clone-conformance.ts <checkout of w3c/json-ld-api>');
  process.exit(2);
}
const testsDir = path.join(checkout, 'tests');
const BASE = 'https://w3c.github.io/json-ld-api/tests/';

interface ManifestEntry {
  '@id': string;
  '@type': string[];
  input: string;
  context?: string;
  option?: Record<string, unknown>;
}

const OPTION_KEYS = [
  'processingMode',
  'produceGeneralizedRdf',
  'rdfDirection',
  'useNativeTypes',
  'useRdfType',
  'compactArrays',
  'compactToRelative',
  'omitGraph',
];

function cases(): DiffCase[] {
  const out: DiffCase[] = [];
  for (const [manifest, op] of [
    ['expand', 'expand'],
    ['toRdf', 'toRdf'],
    ['compact', 'compact'],
    ['flatten', 'flatten'],
  ] as const) {
    const m = JSON.parse(fs.readFileSync(path.join(testsDir, `${manifest}-manifest.jsonld`), 'utf8')) as { sequence: ManifestEntry[] };
    for (const t of m.sequence) {
      if (!t.input.endsWith('.jsonld') && !t.input.endsWith('.json')) continue; // HTML inputs need a parser jsonld.js lacks
      const o = t.option ?? {};
      const options: Record<string, unknown> = { base: typeof o['base'] === 'string' ? new URL(o['base'] as string, BASE).href : BASE + t.input };
      for (const k of OPTION_KEYS) if (k in o) options[k] = o[k];
      if (typeof o['expandContext'] === 'string') {
        options['expandContext'] = JSON.parse(fs.readFileSync(path.join(testsDir, o['expandContext'] as string), 'utf8')) as unknown;
      }
      out.push({ id: `${manifest}${t['@id']}`, op, input: BASE + t.input, ...(t.context ? { context: BASE + t.context } : {}), options });
    }
  }
  return out;
}

function run(mode: string, list: DiffCase[]): Map<string, string> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'scripts/jsonld-diff-child.ts'), mode, `files:${BASE}=${testsDir}/`], {
    input: JSON.stringify(list),
    cwd: root,
    maxBuffer: 512 * 1024 * 1024,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`${mode} child failed: ${r.stderr}`);
  return new Map((JSON.parse(r.stdout) as { id: string }[]).map((x) => [x.id, JSON.stringify(x)]));
}

const list = cases();
const stock = run('stock', list);
const clone = run('clone', list);
const control = run('no-copy', list);
const differ = list.filter((c) => stock.get(c.id) !== clone.get(c.id));
const controlDiffers = list.filter((c) => stock.get(c.id) !== control.get(c.id)).length;
const errors = [...stock.values()].filter((v) => v.includes('"error"')).length;
console.log(`W3C JSON-LD API tests: ${list.length} cases (${errors} end in an error, compared too)`);
console.log(`copy-on-write clone vs stock: ${list.length - differ.length} identical, ${differ.length} different`);
for (const c of differ.slice(0, 20)) console.log(`  ${c.id}\n    stock: ${stock.get(c.id)!.slice(0, 300)}\n    clone: ${clone.get(c.id)!.slice(0, 300)}`);
console.log(
  `control (a clone that shares term definitions) vs stock: ${controlDiffers} different — ${controlDiffers ? 'the suite detects a wrong clone' : 'WARNING: the suite cannot tell'}`,
);
process.exitCode = differ.length || !controlDiffers ? 1 : 0;
