/**
 * Copy-on-write active contexts for jsonld.js — the one place where Sceau replaces part of a stock library.
 *
 * Why: profiling bulk issuance (performance.md, design rule "measure first") shows `jsonld/lib/util.js` `clone`
 * taking ~32 % of a worker's CPU and much of its garbage collection. jsonld.js deep-copies the whole active context
 * (every term definition of the VC 2.0 + Open Badges contexts, hundreds of them) each time a type-scoped context is
 * entered or reverted — the known, open upstream problem digitalbazaar/jsonld.js#414. Canonicalising one Open Badges
 * credential costs ~6 ms stock, ~1.5 ms with this change.
 *
 * What: the active context's `clone` (jsonld `context.js` `_cloneActiveContext`) is replaced by one that copies the
 * term-definition Map and the `protected` flags one level deep instead of recursively. It is equivalent because
 * jsonld.js never mutates a term definition after `createTermDefinition` has built it: every write in `context.js`
 * goes to the fresh `mapping` object that function creates and inserts into the child context's own Map (or restores
 * `previousMapping` by reference); `protected` holds booleans. Everything else (`previousContext` still cloned,
 * inverse reset, `@base`/`@language`/`@vocab`) is as in the original.
 *
 * Proof: `test/unit/jsonld-context-clone.test.ts` canonicalises a corpus (the shared vectors, Sceau's own credentials
 * of every kind, scoped/protected-context edge cases) with stock jsonld in a separate process and with this clone,
 * and requires identical N-Quads and identical errors; `scripts/jsonld-clone-conformance.ts` runs the same comparison
 * over the W3C JSON-LD 1.1 expand, toRdf, compact and flatten test suites given a checkout of w3c/json-ld-api.
 *
 * Safety: installed only on the jsonld version it was checked against (an upgrade turns it off until re-checked)
 * and only over the stock function; `contextCloneInstalled()` says whether it is active. Process-wide, for good: the
 * contexts jsonld caches carry the clone they were made with.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The jsonld.js version whose `context.js` this replacement was checked against. */
const CHECKED_JSONLD_VERSION = '9.0.0';
const PROCESSING_MODES = [undefined, 'json-ld-1.0', 'json-ld-1.1'] as const;

interface ActiveContext {
  mappings: Map<string, unknown>;
  protected: Record<string, boolean>;
  previousContext?: ActiveContext;
  inverse: unknown;
  clone(this: ActiveContext): ActiveContext;
  getInverse: unknown;
  revertToPreviousContext: unknown;
  '@base'?: unknown;
  '@language'?: unknown;
  '@vocab'?: unknown;
}

interface ContextApi {
  getInitialContext(options: { processingMode?: string }): ActiveContext;
}

function shallowCloneActiveContext(this: ActiveContext): ActiveContext {
  const child = {} as ActiveContext;
  child.mappings = new Map(this.mappings);
  child.clone = this.clone;
  child.inverse = null;
  child.getInverse = this.getInverse;
  child.protected = { ...this.protected };
  if (this.previousContext) child.previousContext = this.previousContext.clone();
  child.revertToPreviousContext = this.revertToPreviousContext;
  if ('@base' in this) child['@base'] = this['@base'];
  if ('@language' in this) child['@language'] = this['@language'];
  if ('@vocab' in this) child['@vocab'] = this['@vocab'];
  return child;
}

let installed = false;

/** jsonld's initial context of each processing mode (also used by the differential check's control). */
export function initialContexts(): ActiveContext[] {
  const api = require('jsonld/lib/context.js') as ContextApi;
  // jsonld caches one initial context per processing mode and hands out that same object; every active context is
  // derived from it by `clone`, which copies `clone` itself onto the child.
  return PROCESSING_MODES.map((processingMode) => api.getInitialContext(processingMode ? { processingMode } : {}));
}

/** Turns the copy-on-write clone on (idempotent). Returns whether it is active. */
export function installContextClone(): boolean {
  if (installed) return true;
  const version = (require('jsonld/package.json') as { version: string }).version;
  if (version !== CHECKED_JSONLD_VERSION) return false;
  const contexts = initialContexts();
  // Each initial context carries its own instance of the stock function (declared inside getInitialContext).
  if (contexts.some((c) => c.clone.name !== '_cloneActiveContext')) return false;
  for (const c of contexts) c.clone = shallowCloneActiveContext;
  installed = true;
  return true;
}

export function contextCloneInstalled(): boolean {
  return installed;
}
