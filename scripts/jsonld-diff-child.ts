/**
 * One side of the jsonld differential check (src/crypto/jsonld-context-clone.ts): runs JSON-LD operations over a list
 * of cases read from stdin and prints every outcome (value or error) as JSON on stdout.
 *
 *   node --import tsx scripts/jsonld-diff-child.ts <mode> <loader>
 *     mode:   stock    jsonld.js as published
 *             clone    with Sceau's copy-on-write active-context clone installed
 *             no-copy  a deliberately wrong clone that shares the term definitions between contexts (the check's
 *                      own control: the corpus must tell it apart from stock)
 *     loader: bundled              Sceau's strict loader over the bundled contexts (nothing fetched)
 *             files:<base>=<dir>   URLs under <base> read from <dir> (a W3C test-suite checkout), nothing else
 *
 * A case: { id, op: 'expand' | 'toRdf' | 'canonize' | 'compact' | 'flatten', input: object | URL, context?: object |
 * URL, options?: jsonld options }. Output: [{ id, value } | { id, error: { name, code, message } }].
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createDocumentLoader } from '../src/crypto/document-loader.js';
import { initialContexts, installContextClone } from '../src/crypto/jsonld-context-clone.js';

const require = createRequire(import.meta.url);
const jsonld = require('jsonld') as Record<string, (...a: unknown[]) => Promise<unknown>>;

type Loader = (url: string) => Promise<{ contextUrl: null; documentUrl: string; document: unknown }>;

export interface DiffCase {
  id: string;
  op: 'expand' | 'toRdf' | 'canonize' | 'compact' | 'flatten';
  input: unknown;
  context?: unknown;
  options?: Record<string, unknown>;
}

function loaderFor(spec: string): Loader {
  if (spec === 'bundled') {
    const strict = createDocumentLoader();
    return async (url) => ({ ...(await strict(url)), contextUrl: null }) as Awaited<ReturnType<Loader>>;
  }
  const m = /^files:(.+?)=(.+)$/.exec(spec);
  if (!m) throw new Error(`unknown loader ${spec}`);
  const [, base, dir] = m as unknown as [string, string, string];
  return async (url) => {
    if (!url.startsWith(base))
      throw Object.assign(new Error(`not loadable: ${url}`), { name: 'jsonld.LoadDocumentError', details: { code: 'loading document failed' } });
    const file = path.join(dir, url.slice(base.length).split(/[?#]/)[0]!);
    const text = fs.readFileSync(file, 'utf8');
    return { contextUrl: null, documentUrl: url, document: file.endsWith('.nq') ? text : JSON.parse(text) };
  };
}

function installNoCopy(): void {
  for (const context of initialContexts()) {
    context.clone = function noCopy(this: typeof context) {
      return { ...this, inverse: null };
    };
  }
}

function describe(e: unknown): { name: string; code: string; message: string } {
  const err = e as { name?: string; message?: string; details?: { code?: string }; code?: string };
  return { name: String(err?.name ?? typeof e), code: String(err?.details?.code ?? err?.code ?? ''), message: String(err?.message ?? e).slice(0, 300) };
}

async function main(): Promise<void> {
  const [mode, loaderSpec] = process.argv.slice(2);
  if (mode === 'clone' && !installContextClone()) throw new Error('the copy-on-write clone did not install');
  if (mode === 'no-copy') installNoCopy();
  else if (mode !== 'stock' && mode !== 'clone') throw new Error(`unknown mode ${mode}`);
  const documentLoader = loaderFor(loaderSpec ?? 'bundled');
  const cases = JSON.parse(fs.readFileSync(0, 'utf8')) as DiffCase[];
  const out: unknown[] = [];
  for (const c of cases) {
    const options = { documentLoader, safe: false, ...(c.options ?? {}) };
    try {
      let value: unknown;
      if (c.op === 'expand') value = await jsonld['expand']!(c.input, options);
      else if (c.op === 'toRdf') value = await jsonld['toRDF']!(c.input, { format: 'application/n-quads', ...options });
      else if (c.op === 'canonize') value = await jsonld['canonize']!(c.input, { algorithm: 'RDFC-1.0', format: 'application/n-quads', ...options });
      else if (c.op === 'compact') value = await jsonld['compact']!(c.input, c.context ?? {}, options);
      else value = await jsonld['flatten']!(c.input, c.context ?? null, options);
      out.push({ id: c.id, value });
    } catch (e) {
      out.push({ id: c.id, error: describe(e) });
    }
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
