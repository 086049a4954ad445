/**
 * Sceau's credential verifier: one function for every page and API. Never throws; returns a log of named
 * steps (ids after digitalcredentials/verifier-core plus `schema`, `issuer_binding`, `validity_start`).
 *
 * Order of work (T7: nothing is fetched for a document that fails what can be checked locally):
 *   1. `schema`            VC data model structure; the declared OB 3.0 JSON schema (bundled, Ajv 2019-09).
 *   2. `valid_signature`   contexts must all be bundled; every known proof verifies (keys resolved locally when
 *                          possible; did:web / https keys through the SSRF-guarded fetcher).
 *   3. `issuer_binding`    the key's controller is the issuer and lists it under `assertionMethod`.
 *   4. `registered_issuer` Sceau's own organisation, or a resolved did:web / did:key / https controller; a key
 *                          taken from an https fragment or a JWT header is confirmed only by its controller's
 *                          document, fetched after the signature checked out — otherwise ISSUER_UNCONFIRMED.
 *   5. `validity_start`, `expiration` with the injected clock.
 *   6. `revocation_status`, `suspension_status` (bits read here; lists fetched only for a trusted issuer with an
 *      intact signature; Sceau's own lists and suspension records without network).
 *   7. `endorsements`, `nested_credentials` (each verified the same way, depth- and count-limited).
 */
import sjson from 'secure-json-parse';
import type { Clock } from '../../domain/shared/ports.js';
import type { CredentialVerifier, VerificationResult } from '../../domain/credentials/verification.js';
import { type DocumentLoader, staticContextLoader } from '../document-loader.js';
import { installContextClone } from '../jsonld-context-clone.js';
import { type GuardedFetch, GuardedFetchError } from '../guarded-fetch.js';
import { problemOf, verifyDataIntegrity } from './data-integrity.js';
import {
  type JsonObject,
  type ValidityWindow,
  asArray,
  checkCredentialStructure,
  checkDeclaredSchemas,
  checkPresentationStructure,
  documentShape,
  isObject,
  issuerIdOf,
  MAX_DOCUMENT_DEPTH,
  MAX_DOCUMENT_NODES,
  parseDateTime,
  scanContexts,
  typesOf,
} from './document-checks.js';
import { type DecodedJwt, checkCredentialClaims, decodeJwt, looksLikeJwt, verifyJws } from './jwt.js';
import { type Problem, Report } from './report.js';
import { ResolutionError, type ResolvedMethod, Resolver, listsUnder } from './resolver.js';
import { type StatusEntry, parseEntry, readStatus } from './status.js';

export interface CredentialVerifierDeps {
  clock: Clock;
  /** Sceau's own organisations' DID documents, from the database (no network). */
  resolveOwnDid?: (did: string) => Promise<object | undefined>;
  /** Sceau's own published BitstringStatusListCredentials, by URL (no network; trusted, not re-verified). */
  getOwnStatusList?: (url: string) => Promise<object | undefined>;
  /** Sceau's own suspension records, by credential id and issuer DID (consulted for Sceau's own issuers' credentials). */
  isSuspended?: (credentialId: string, issuer?: string) => Promise<boolean | undefined>;
  /** The SSRF-guarded fetcher (src/crypto/guarded-fetch.ts). */
  fetchJson: GuardedFetch;
  /** TESTS ONLY: http:// and did:web on loopback hosts are fetched over http (the fetcher's allowlist still applies). */
  allowLoopbackForTests?: boolean;
  /** Where unexpected errors are logged (never thrown to the caller). */
  logger?: { warn(obj: object, msg: string): void };
}

export interface VerifyOptions {
  now?: Date;
  challenge?: string;
  domain?: string;
}

/** Nesting limits: endorsements of endorsements, CLR inside a presentation… */
export const MAX_NESTING_DEPTH = 4;
export const MAX_NESTED_CREDENTIALS = 100;

/** Remote fetches one verification (nested credentials and status lists included) may make, and their time budget. */
export const MAX_FETCHES_PER_VERIFICATION = 16;
export const FETCH_BUDGET_MS = 15_000;

/**
 * One top-level verification: its clock, nesting depth and budgets, status lists already read, and a fetcher
 * that asks each URL once (an unreachable host costs one timeout, not one per nested credential) within a
 * count and time budget.
 */
interface RunShared {
  lists: Map<string, Promise<{ list: JsonObject } | { problem: Problem }>>;
  fetchJson: GuardedFetch;
  resolver: Resolver;
  budget: { nested: number };
}

class Run {
  private constructor(
    readonly now: Date,
    readonly depth: number,
    private readonly shared: RunShared,
  ) {}

  static start(now: Date, deps: CredentialVerifierDeps): Run {
    const seen = new Map<string, Promise<unknown>>();
    const deadline = Date.now() + FETCH_BUDGET_MS;
    const fetchJson: GuardedFetch = (url) => {
      let pending = seen.get(url);
      if (!pending) {
        pending =
          seen.size >= MAX_FETCHES_PER_VERIFICATION || Date.now() > deadline
            ? Promise.reject(new GuardedFetchError('FETCH_TIMEOUT', "the verification's fetch budget is spent"))
            : deps.fetchJson(url);
        seen.set(url, pending);
        pending.catch(() => undefined);
      }
      return pending.then((v) => structuredClone(v));
    };
    const resolver = new Resolver({ resolveOwnDid: deps.resolveOwnDid, fetchJson, allowLoopbackForTests: deps.allowLoopbackForTests });
    return new Run(now, 0, { lists: new Map(), fetchJson, resolver, budget: { nested: 0 } });
  }

  get lists() {
    return this.shared.lists;
  }
  get fetchJson() {
    return this.shared.fetchJson;
  }
  get resolver() {
    return this.shared.resolver;
  }
  get budget() {
    return this.shared.budget;
  }

  child(): Run {
    return new Run(this.now, this.depth + 1, this.shared);
  }
}

type Parsed = { kind: 'ld'; doc: JsonObject } | { kind: 'jwt'; token: string } | { kind: 'error'; problem: Problem };

const DATA_URL = /^data:([a-z0-9.+/-]+)((?:;[^,]*)?),(.*)$/is;

function parseDataUrl(s: string, kind: 'credential' | 'presentation'): Parsed {
  const m = DATA_URL.exec(s);
  if (!m) return { kind: 'error', problem: { code: 'INPUT_MALFORMED', params: { reason: 'malformed data: URL' } } };
  const media = m[1]!.toLowerCase();
  let body = m[3]!;
  if (/;base64/i.test(m[2] ?? '')) body = Buffer.from(body, 'base64').toString('utf8');
  else {
    try {
      body = decodeURIComponent(body);
    } catch {
      return { kind: 'error', problem: { code: 'INPUT_MALFORMED', params: { reason: 'malformed data: URL' } } };
    }
  }
  const jwtMedia =
    kind === 'credential'
      ? ['application/vc+jwt', 'application/vc-ld+jwt', 'application/jwt']
      : ['application/vp+jwt', 'application/vp-ld+jwt', 'application/jwt'];
  if (jwtMedia.includes(media)) return { kind: 'jwt', token: body.trim() };
  return { kind: 'error', problem: { code: 'FORMAT_UNSUPPORTED', params: { format: media } } };
}

/**
 * Whether a value is plain JSON data that the verifier may walk: no cycles, no functions or class instances,
 * bounded size (checked iteratively; the JSON-LD depth limit is applied later, after the context scan, so a
 * context bomb is reported as such). A reason when it is not.
 */
function plainJsonProblem(value: unknown): string | undefined {
  // Depth-first with enter/exit markers: a cycle is an object met again while it is still being walked
  // (the same object shared by two branches — a DAG, as JSON.parse never makes but callers may — is fine).
  const open = new WeakSet<object>();
  const stack: { v: unknown; depth: number; exit?: true }[] = [{ v: value, depth: 1 }];
  let nodes = 0;
  try {
    while (stack.length) {
      const { v, depth, exit } = stack.pop()!;
      if (exit) {
        open.delete(v as object);
        continue;
      }
      nodes += 1;
      if (nodes > MAX_DOCUMENT_NODES) return 'the document is too large';
      if (v === null || typeof v === 'string' || typeof v === 'boolean') continue;
      if (typeof v === 'number') {
        if (!Number.isFinite(v)) return 'a number that is not finite';
        continue;
      }
      if (typeof v !== 'object') return `a value of type ${typeof v}`;
      if (depth > 4096) return 'the document is nested too deeply';
      if (open.has(v)) return 'the document refers to itself';
      const proto = Object.getPrototypeOf(v) as unknown;
      const children = Array.isArray(v) ? v : proto === Object.prototype || proto === null ? Object.values(v) : undefined;
      if (!children) return 'not plain JSON data';
      open.add(v);
      stack.push({ v, depth, exit: true });
      for (const x of children) stack.push({ v: x, depth: depth + 1 });
    }
  } catch {
    return 'the document cannot be read';
  }
  return undefined;
}

function parseInput(input: unknown, kind: 'credential' | 'presentation'): Parsed {
  try {
    return parseInputUnsafe(input, kind);
  } catch {
    return { kind: 'error', problem: { code: 'INPUT_MALFORMED', params: { reason: 'the document cannot be read' } } };
  }
}

function parseInputUnsafe(input: unknown, kind: 'credential' | 'presentation'): Parsed {
  if (typeof input === 'string') {
    const s = input.trim();
    if (s.startsWith('data:')) return parseDataUrl(s, kind);
    if (s.startsWith('{')) {
      try {
        const value: unknown = sjson.parse(s, undefined, { protoAction: 'error', constructorAction: 'error' });
        return parseInputUnsafe(value, kind);
      } catch {
        return { kind: 'error', problem: { code: 'INPUT_MALFORMED', params: { reason: 'invalid JSON' } } };
      }
    }
    if (looksLikeJwt(s) || s.includes('~') || s.split('.').length === 5) return { kind: 'jwt', token: s };
    return { kind: 'error', problem: { code: 'INPUT_MALFORMED', params: { reason: 'neither JSON nor a JWT' } } };
  }
  if (isObject(input)) {
    const envelope = kind === 'credential' ? 'EnvelopedVerifiableCredential' : 'EnvelopedVerifiablePresentation';
    if (typesOf(input).includes(envelope)) {
      return typeof input['id'] === 'string'
        ? parseDataUrl(input['id'], kind)
        : { kind: 'error', problem: { code: 'INPUT_MALFORMED', params: { reason: `${envelope} without a data: URL id` } } };
    }
    const problem = plainJsonProblem(input);
    if (problem) return { kind: 'error', problem: { code: 'INPUT_MALFORMED', params: { reason: problem } } };
    return { kind: 'ld', doc: input };
  }
  return {
    kind: 'error',
    problem: {
      code: 'INPUT_MALFORMED',
      params: { reason: input === undefined || input === null ? 'nothing given' : `a ${Array.isArray(input) ? 'list' : typeof input}` },
    },
  };
}

/** The issuer's id for messages and binding. */
const issuerOf = (doc: JsonObject) => issuerIdOf(doc);

export function createCredentialVerifier(deps: CredentialVerifierDeps): CredentialVerifier {
  // Bundled contexts are immutable: tagged `static`, jsonld caches them once processed instead of re-processing
  // every context on every canonicalisation (what @digitalbazaar/security-document-loader does too).
  installContextClone();
  const documentLoader: DocumentLoader = staticContextLoader();
  const remoteAllowed = (url: string) =>
    url.startsWith('https://') || (deps.allowLoopbackForTests === true && /^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?\//.test(url));

  async function guarded(format: VerificationResult['format'], credential: unknown, fn: () => Promise<VerificationResult>): Promise<VerificationResult> {
    try {
      return await fn();
    } catch (err) {
      deps.logger?.warn({ err }, 'verifier: unexpected error');
      const r = new Report();
      r.fail('valid_signature', [{ code: 'INTERNAL_ERROR' }]);
      return r.result(format, credential ?? null);
    }
  }

  // ── issuer binding and registration ─────────────────────────────────────────────────────────────

  /** Returns 'own' / 'resolved' when the issuer is trusted, undefined otherwise (steps logged). */
  async function checkIssuer(r: Report, issuerId: string | undefined, methods: ResolvedMethod[], run: Run): Promise<'own' | 'resolved' | undefined> {
    const problems: Problem[] = [];
    for (const m of methods) {
      if (m.bareDid) problems.push({ code: 'VERIFICATION_METHOD_BARE_DID', params: { id: m.vm.id } });
      if (m.source !== 'jwk-header' && m.controller !== issuerId) {
        problems.push({ code: 'ISSUER_KEY_MISMATCH', details: { keyController: m.controller ?? null, issuer: issuerId ?? null } });
      } else if (m.controllerDocument && !m.bareDid && !listsUnder(m.controllerDocument, 'assertionMethod', m.vm.id)) {
        problems.push({ code: 'KEY_NOT_AUTHORIZED', details: { key: m.vm.id } });
      }
      problems.push(...keyLifetime(m, run.now));
    }
    if (problems.length) {
      r.fail('issuer_binding', problems);
      return undefined;
    }
    const sources: string[] = [];
    let unconfirmed = false;
    for (const m of methods) {
      if (m.controllerDocument && m.source !== 'https-fragment' && m.source !== 'jwk-header') {
        sources.push(m.source);
        continue;
      }
      // Key from an https fragment, a bare key document or a JWT header: only the controller's own document
      // (fetched now, after the signature checked out) can confirm it.
      const controller = m.source === 'jwk-header' ? issuerId : m.controller;
      const confirmed = controller
        ? await run.resolver.confirm(controller, m.key, 'assertionMethod', m.source === 'jwk-header' ? undefined : m.vm.id)
        : undefined;
      if (confirmed && controller === issuerId) sources.push(confirmed.source);
      else unconfirmed = true;
    }
    // A key carried in a JWT header is bound to the issuer only by the issuer's document publishing it.
    const headerKey = methods.some((m) => m.source === 'jwk-header');
    if (!(headerKey && unconfirmed)) r.pass('issuer_binding', 'ISSUER_BOUND');
    if (unconfirmed) {
      r.fail('registered_issuer', [{ code: 'ISSUER_UNCONFIRMED', details: { issuer: issuerId ?? null } }]);
      return undefined;
    }
    if (sources.every((s) => s === 'own')) {
      r.pass('registered_issuer', 'ISSUER_REGISTERED', undefined, { issuer: issuerId ?? null });
      return 'own';
    }
    r.pass('registered_issuer', 'ISSUER_RESOLVED', { method: [...new Set(sources)].join(', ') }, { issuer: issuerId ?? null });
    return 'resolved';
  }

  function keyLifetime(m: ResolvedMethod, now: Date): Problem[] {
    const out: Problem[] = [];
    if (m.vm.revoked !== undefined) {
      const d = parseDateTime(m.vm.revoked);
      if (!d || d.getTime() <= now.getTime()) out.push({ code: 'KEY_REVOKED', params: { date: String(m.vm.revoked) } });
    }
    if (m.vm.expires !== undefined) {
      const d = parseDateTime(m.vm.expires);
      if (!d || now.getTime() > d.getTime()) out.push({ code: 'KEY_EXPIRED', params: { date: String(m.vm.expires) } });
    }
    return out;
  }

  // ── validity window ─────────────────────────────────────────────────────────────────────────────

  function checkValidity(r: Report, window: ValidityWindow, now: Date): void {
    if (window.start) {
      if (now.getTime() < window.start.getTime())
        r.fail('validity_start', [{ code: 'NOT_YET_VALID', params: { date: window.startText ?? window.start.toISOString() } }]);
      else r.pass('validity_start', 'VALIDITY_STARTED', { date: window.startText ?? window.start.toISOString() });
    } else if (!window.startInvalid) r.pass('validity_start', 'VALIDITY_START_NONE');
    if (window.end) {
      if (now.getTime() > window.end.getTime()) r.fail('expiration', [{ code: 'EXPIRED', params: { date: window.endText ?? window.end.toISOString() } }]);
      else r.pass('expiration', 'NOT_EXPIRED', { date: window.endText ?? window.end.toISOString() });
    } else if (!window.endInvalid) r.pass('expiration', 'NO_EXPIRATION');
  }

  // ── status ──────────────────────────────────────────────────────────────────────────────────────

  async function statusList(url: string, run: Run): Promise<{ list: JsonObject } | { problem: Problem }> {
    const own = deps.getOwnStatusList ? await deps.getOwnStatusList(url) : undefined;
    if (isObject(own)) return { list: own };
    if (!remoteAllowed(url)) return { problem: { code: 'STATUS_RETRIEVAL_ERROR', details: { reason: 'only https status lists are fetched' } } };
    let value: unknown;
    try {
      value = await run.fetchJson(url);
    } catch (err) {
      return { problem: { code: 'STATUS_RETRIEVAL_ERROR', details: { reason: (err as { code?: string }).code ?? 'FETCH_FAILED' } } };
    }
    if (!isObject(value)) return { problem: { code: 'STATUS_RETRIEVAL_ERROR', details: { reason: 'not a JSON object' } } };
    // Another issuer's list is a credential like any other: it must verify (signature, issuer, validity).
    const checked = await verifyLd(value, run.child(), { statusList: true });
    if (!checked.verified) return { problem: { code: 'STATUS_VERIFICATION_ERROR', details: { errors: checked.errors.map((e) => e.code) } } };
    return { list: value };
  }

  async function checkStatus(r: Report, doc: JsonObject, trust: 'own' | 'resolved' | undefined, signatureOk: boolean, run: Run): Promise<void> {
    const problems = { revocation_status: [] as Problem[], suspension_status: [] as Problem[] };
    const checked = { revocation_status: false, suspension_status: false };
    const issuerId = issuerOf(doc);
    for (const raw of asArray(doc['credentialStatus'] as unknown)) {
      if (!isObject(raw)) continue; // reported by the schema step
      const step = raw['statusPurpose'] === 'suspension' ? 'suspension_status' : 'revocation_status';
      const types = typesOf(raw);
      if (!types.includes('BitstringStatusListEntry')) {
        problems[step].push({ code: 'STATUS_TYPE_UNSUPPORTED', params: { type: types.join(', ') || '?' } });
        continue;
      }
      const entry = parseEntry(raw);
      if ('code' in entry) {
        problems[step].push(entry);
        continue;
      }
      if (entry.purpose !== 'revocation' && entry.purpose !== 'suspension') {
        r.warn({ code: 'STATUS_PURPOSE_IGNORED', params: { purpose: entry.purpose } });
        continue;
      }
      if (!signatureOk || !trust) {
        // Nothing is fetched for an untrusted document (T7); the status stays unknown → not verified.
        problems[step].push({ code: 'STATUS_UNKNOWN', details: { reason: signatureOk ? 'issuer not confirmed' : 'signature not verified' } });
        continue;
      }
      const read = await readEntry(entry, issuerId, run);
      if (!read.ok) problems[step].push(read.problem);
      else if (read.value !== 0)
        problems[step].push({ code: entry.purpose === 'revocation' ? 'REVOKED' : 'SUSPENDED', details: { statusList: entry.listUrl, index: entry.index } });
      else checked[step] = true;
    }
    // Sceau records suspensions of its own credentials itself (OB 3.0 allows one status entry).
    if (trust === 'own' && signatureOk && deps.isSuspended && typeof doc['id'] === 'string') {
      const suspended = await deps.isSuspended(doc['id'], issuerId);
      if (suspended === true) problems.suspension_status.push({ code: 'SUSPENDED', details: { source: 'sceau' } });
      else if (suspended === false) checked.suspension_status = true;
    }
    if (problems.revocation_status.length) r.fail('revocation_status', problems.revocation_status);
    else if (checked.revocation_status) r.pass('revocation_status', 'NOT_REVOKED');
    if (problems.suspension_status.length) r.fail('suspension_status', problems.suspension_status);
    else if (checked.suspension_status) r.pass('suspension_status', 'NOT_SUSPENDED');
  }

  async function readEntry(entry: StatusEntry, issuerId: string | undefined, run: Run) {
    let pending = run.lists.get(entry.listUrl);
    if (!pending) {
      pending = statusList(entry.listUrl, run);
      run.lists.set(entry.listUrl, pending);
    }
    const got = await pending;
    if ('problem' in got) return { ok: false as const, problem: got.problem };
    return readStatus(got.list, entry, issuerId);
  }

  // ── endorsements and nested credentials ─────────────────────────────────────────────────────────

  /** EndorsementCredentials anywhere in the document (not inside proofs or nested credentials). */
  function collectEndorsements(doc: JsonObject): unknown[] {
    const found: unknown[] = [];
    const stack: unknown[] = [doc];
    while (stack.length) {
      const v = stack.pop();
      if (Array.isArray(v)) {
        for (const x of v) stack.push(x);
      } else if (isObject(v)) {
        for (const [k, val] of Object.entries(v)) {
          if (k === 'proof' || k === 'verifiableCredential' || k === '@context') continue;
          if (k === 'endorsement') found.push(...asArray(val));
          else if (k === 'endorsementJwt') found.push(...asArray(val));
          else stack.push(val);
        }
      }
    }
    return found;
  }

  async function verifyChildren(
    r: Report,
    items: unknown[],
    run: Run,
    role: 'endorsement' | 'nested' | 'credential',
  ): Promise<VerificationResult[] | undefined> {
    if (run.depth >= MAX_NESTING_DEPTH || run.budget.nested + items.length > MAX_NESTED_CREDENTIALS) return undefined;
    run.budget.nested += items.length;
    const results: VerificationResult[] = [];
    for (const item of items) {
      const result = await verifyCredentialInput(item, run.child());
      result.role = role;
      results.push(result);
    }
    r.nested.push(...results);
    return results;
  }

  async function checkEmbedded(r: Report, doc: JsonObject, run: Run): Promise<void> {
    const endorsements = collectEndorsements(doc);
    if (endorsements.length) {
      const results = await verifyChildren(r, endorsements, run, 'endorsement');
      if (!results) r.fail('endorsements', [{ code: 'NESTING_TOO_DEEP' }]);
      else {
        const bad = results.filter((x) => !x.verified).length;
        if (bad) r.fail('endorsements', [{ code: 'ENDORSEMENT_INVALID', params: { count: bad } }]);
        else r.pass('endorsements', 'ENDORSEMENTS_VERIFIED', { count: results.length });
      }
    }
    if (typesOf(doc).includes('ClrCredential')) {
      const nested = asArray(doc['credentialSubject'] as unknown)
        .filter(isObject)
        .flatMap((s) => asArray(s['verifiableCredential'] as unknown));
      if (nested.length) {
        const results = await verifyChildren(r, nested, run, 'nested');
        if (!results) r.fail('nested_credentials', [{ code: 'NESTING_TOO_DEEP' }]);
        else {
          const bad = results.filter((x) => !x.verified).length;
          if (bad) r.fail('nested_credentials', [{ code: 'NESTED_INVALID', params: { count: bad } }]);
          else r.pass('nested_credentials', 'NESTED_VERIFIED', { count: results.length });
        }
      }
    }
  }

  // ── JSON-LD credentials ────────────────────────────────────────────────────────────────────────

  /** Shape and contexts: problems that stop everything else (nothing is processed or fetched). */
  function preflight(r: Report, doc: JsonObject): { unknownContext?: string; tooComplex: boolean } | undefined {
    const scan = scanContexts(doc);
    for (const url of scan.outdated) r.warn({ code: 'CONTEXT_VERSION_OUTDATED', params: { url } });
    if (!scan.tooComplex) {
      const shape = documentShape(doc);
      if (shape.depth > MAX_DOCUMENT_DEPTH || shape.nodes > MAX_DOCUMENT_NODES) {
        r.fail('schema', [{ code: 'INPUT_MALFORMED', params: { reason: 'the document is nested too deeply or too large' } }]);
        return undefined;
      }
    }
    return { unknownContext: scan.unknown[0], tooComplex: scan.tooComplex };
  }

  async function verifyLd(doc: JsonObject, run: Run, options: { statusList?: boolean } = {}): Promise<VerificationResult> {
    const r = new Report();
    const pre = preflight(r, doc);
    if (!pre) return r.result('ldp', doc);

    const { problems, window } = checkCredentialStructure(doc);
    if (pre.tooComplex) problems.unshift({ code: 'CONTEXT_TOO_COMPLEX' });
    const schema = pre.tooComplex ? { problems: [], notBundled: [], checked: [] } : checkDeclaredSchemas(doc);
    problems.push(...schema.problems);
    for (const url of schema.notBundled) r.warn({ code: 'SCHEMA_NOT_BUNDLED', params: { url } });
    r.step('schema', problems, { code: 'SCHEMA_VALID', details: schema.checked.length ? { schemas: schema.checked } : undefined });

    let signatureOk = false;
    let methods: ResolvedMethod[] = [];
    if (doc['proof'] === undefined || (Array.isArray(doc['proof']) && doc['proof'].length === 0)) r.fail('valid_signature', [{ code: 'PROOF_MISSING' }]);
    else if (pre.unknownContext !== undefined) r.fail('valid_signature', [{ code: 'UNKNOWN_CONTEXT', params: { url: pre.unknownContext } }]);
    else if (pre.tooComplex) r.fail('valid_signature', [{ code: 'CONTEXT_TOO_COMPLEX' }]);
    else {
      const outcome = await verifyDataIntegrity(doc, {
        documentLoader,
        resolver: run.resolver,
        purpose: 'assertionMethod',
        allowRemote: problems.length === 0,
      });
      for (const type of outcome.unknown) r.warn({ code: 'PROOF_TYPE_UNKNOWN', params: { type } });
      if (outcome.problems.length || !outcome.verified.length)
        r.fail('valid_signature', outcome.problems.length ? outcome.problems : [{ code: 'NO_KNOWN_PROOF', params: { type: '' } }]);
      else {
        signatureOk = true;
        methods = outcome.verified.map((v) => v.method);
        r.pass('valid_signature', 'SIGNATURE_INTACT', undefined, { proofs: outcome.verified.map((v) => String(v.proof['cryptosuite'])) });
      }
    }
    const trust = signatureOk ? await checkIssuer(r, issuerOf(doc), methods, run) : undefined;
    checkValidity(r, window, run.now);
    if (!options.statusList) {
      await checkStatus(r, doc, trust, signatureOk, run);
      await checkEmbedded(r, doc, run);
    }
    return r.result('ldp', doc);
  }

  // ── JWT credentials ────────────────────────────────────────────────────────────────────────────

  async function jwtKey(d: DecodedJwt, issuerId: string | undefined, allowRemote: boolean, run: Run): Promise<ResolvedMethod | Problem> {
    const { header } = d;
    if (isObject(header['jwk'])) {
      try {
        const key = await run.resolver.headerKey(header['jwk']);
        return { vm: { id: 'jwk', publicKeyJwk: header['jwk'] }, key, source: 'jwk-header', controller: undefined };
      } catch (err) {
        if (err instanceof ResolutionError && err.code === 'JWT_PRIVATE_KEY_IN_HEADER') return { code: 'JWT_PRIVATE_KEY_IN_HEADER' };
        return problemOf(err, 'jwk');
      }
    }
    const kid = header['kid'];
    if (typeof kid !== 'string' || !kid) return { code: 'JWT_NO_KEY' };
    const iss = typeof d.payload['iss'] === 'string' ? d.payload['iss'] : issuerId;
    const vmId = kid.startsWith('#') && iss ? `${iss}${kid}` : !kid.includes(':') && iss?.startsWith('did:') ? `${iss}#${kid}` : kid;
    try {
      const local = await run.resolver.local(vmId);
      if (local) return local;
      if (!allowRemote) return { code: 'VERIFICATION_METHOD_UNRESOLVABLE', params: { id: vmId } };
      return await run.resolver.remote(vmId);
    } catch (err) {
      return problemOf(err, vmId);
    }
  }

  function jwtWindow(window: ValidityWindow, payload: JsonObject): ValidityWindow {
    const w = { ...window };
    const nbf = typeof payload['nbf'] === 'number' ? new Date(payload['nbf'] * 1000) : undefined;
    const exp = typeof payload['exp'] === 'number' ? new Date(payload['exp'] * 1000) : undefined;
    if (nbf && !Number.isNaN(nbf.getTime()) && (!w.start || nbf > w.start)) Object.assign(w, { start: nbf, startText: nbf.toISOString() });
    if (exp && !Number.isNaN(exp.getTime()) && (!w.end || exp < w.end)) Object.assign(w, { end: exp, endText: exp.toISOString() });
    return w;
  }

  async function verifyJwtCredential(token: string, run: Run): Promise<VerificationResult> {
    const r = new Report();
    const d = decodeJwt(token, 'credential');
    if ('problems' in d) {
      for (const w of d.warnings) r.warn(w);
      r.fail('valid_signature', d.problems);
      return r.result('vc-jwt', null);
    }
    for (const w of d.warnings) r.warn(w);
    const doc = d.document;
    const scan = scanContexts(doc);
    for (const url of scan.outdated) r.warn({ code: 'CONTEXT_VERSION_OUTDATED', params: { url } });
    const { problems, window } = checkCredentialStructure(doc, { jwt: true });
    const schema = checkDeclaredSchemas(doc);
    problems.push(...schema.problems, ...checkCredentialClaims(d, issuerOf(doc)));
    for (const url of schema.notBundled) r.warn({ code: 'SCHEMA_NOT_BUNDLED', params: { url } });
    r.step('schema', problems, { code: 'SCHEMA_VALID', details: schema.checked.length ? { schemas: schema.checked } : undefined });

    const method = await jwtKey(d, issuerOf(doc), problems.length === 0, run);
    let signatureOk = false;
    if ('code' in method) r.fail('valid_signature', [method]);
    else {
      const bad = await verifyJws(token, String(d.header['alg']), method.key);
      if (bad) r.fail('valid_signature', [bad]);
      else {
        signatureOk = true;
        r.pass('valid_signature', 'SIGNATURE_INTACT', undefined, { alg: String(d.header['alg']) });
      }
    }
    const trust = signatureOk && !('code' in method) ? await checkIssuer(r, issuerOf(doc), [method], run) : undefined;
    checkValidity(r, jwtWindow(window, d.payload), run.now);
    await checkStatus(r, doc, trust, signatureOk, run);
    await checkEmbedded(r, doc, run);
    return r.result(d.format, doc);
  }

  async function verifyCredentialInput(input: unknown, run: Run): Promise<VerificationResult> {
    const parsed = parseInput(input, 'credential');
    return guarded(parsed.kind === 'jwt' ? 'vc-jwt' : parsed.kind === 'ld' ? 'ldp' : 'unknown', parsed.kind === 'ld' ? parsed.doc : null, async () => {
      if (parsed.kind === 'error') {
        const r = new Report();
        r.fail('schema', [parsed.problem]);
        return r.result('unknown', typeof input === 'object' ? (input ?? null) : null);
      }
      if (parsed.kind === 'jwt') return verifyJwtCredential(parsed.token, run);
      return verifyLd(parsed.doc, run);
    });
  }

  // ── presentations ──────────────────────────────────────────────────────────────────────────────

  async function holderBinding(r: Report, holderId: string | undefined, methods: ResolvedMethod[], run: Run): Promise<void> {
    const problems: Problem[] = [];
    for (const m of methods) {
      if (m.bareDid) problems.push({ code: 'VERIFICATION_METHOD_BARE_DID', params: { id: m.vm.id } });
      let controllerDocument = m.controllerDocument;
      if (m.source === 'https-fragment' || m.source === 'jwk-header' || !controllerDocument) {
        const controller = m.source === 'jwk-header' ? holderId : m.controller;
        const confirmed = controller
          ? await run.resolver.confirm(controller, m.key, 'authentication', m.source === 'jwk-header' ? undefined : m.vm.id)
          : undefined;
        if (!confirmed) {
          problems.push({ code: 'HOLDER_MISMATCH', details: { reason: "the key is not confirmed by the holder's document" } });
          continue;
        }
        controllerDocument = confirmed.doc;
        if (holderId !== undefined && controller !== holderId) problems.push({ code: 'HOLDER_MISMATCH' });
        continue;
      }
      if (holderId !== undefined && m.controller !== holderId)
        problems.push({ code: 'HOLDER_MISMATCH', details: { keyController: m.controller ?? null, holder: holderId } });
      else if (!m.bareDid && !listsUnder(controllerDocument, 'authentication', m.vm.id))
        problems.push({ code: 'KEY_NOT_AUTHORIZED', details: { key: m.vm.id } });
    }
    r.step('issuer_binding', problems, { code: 'HOLDER_BOUND' });
  }

  async function presentationCredentials(r: Report, items: unknown[], run: Run): Promise<void> {
    if (!items.length) return;
    const results = await verifyChildren(r, items, run, 'credential');
    if (!results) r.fail('nested_credentials', [{ code: 'NESTING_TOO_DEEP' }]);
    else {
      const bad = results.filter((x) => !x.verified).length;
      if (bad) r.fail('nested_credentials', [{ code: 'NESTED_INVALID', params: { count: bad } }]);
      else r.pass('nested_credentials', 'NESTED_VERIFIED', { count: results.length });
    }
  }

  async function verifyLdPresentation(doc: JsonObject, options: VerifyOptions, run: Run): Promise<VerificationResult> {
    const r = new Report();
    const pre = preflight(r, doc);
    if (!pre) return r.result('presentation', doc);
    const problems = checkPresentationStructure(doc);
    if (pre.tooComplex) problems.unshift({ code: 'CONTEXT_TOO_COMPLEX' });
    r.step('schema', problems, { code: 'SCHEMA_VALID' });
    const holder = doc['holder'];
    const holderId = typeof holder === 'string' ? holder : isObject(holder) && typeof holder['id'] === 'string' ? holder['id'] : undefined;
    if (doc['proof'] === undefined) {
      if (options.challenge !== undefined || options.domain !== undefined) r.fail('valid_signature', [{ code: 'PRESENTATION_PROOF_MISSING' }]);
      else r.warn({ code: 'PRESENTATION_UNSIGNED' });
    } else if (pre.unknownContext !== undefined) r.fail('valid_signature', [{ code: 'UNKNOWN_CONTEXT', params: { url: pre.unknownContext } }]);
    else if (pre.tooComplex) r.fail('valid_signature', [{ code: 'CONTEXT_TOO_COMPLEX' }]);
    else {
      const outcome = await verifyDataIntegrity(doc, {
        documentLoader,
        resolver: run.resolver,
        purpose: 'authentication',
        allowRemote: problems.length === 0,
        challenge: options.challenge,
        domain: options.domain,
      });
      for (const type of outcome.unknown) r.warn({ code: 'PROOF_TYPE_UNKNOWN', params: { type } });
      if (outcome.problems.length || !outcome.verified.length)
        r.fail('valid_signature', outcome.problems.length ? outcome.problems : [{ code: 'NO_KNOWN_PROOF', params: { type: '' } }]);
      else {
        r.pass('valid_signature', 'SIGNATURE_INTACT', undefined, { proofs: outcome.verified.map((v) => String(v.proof['cryptosuite'])) });
        await holderBinding(
          r,
          holderId,
          outcome.verified.map((v) => v.method),
          run,
        );
      }
    }
    const items = asArray(doc['verifiableCredential'] as unknown);
    await presentationCredentials(r, items, run);
    return r.result('presentation', doc);
  }

  async function verifyJwtPresentation(token: string, options: VerifyOptions, run: Run): Promise<VerificationResult> {
    const r = new Report();
    const d = decodeJwt(token, 'presentation');
    if ('problems' in d) {
      for (const w of d.warnings) r.warn(w);
      r.fail('valid_signature', d.problems);
      return r.result('presentation', null);
    }
    for (const w of d.warnings) r.warn(w);
    const doc = d.document;
    const problems = checkPresentationStructure(doc);
    r.step('schema', problems, { code: 'SCHEMA_VALID' });
    const holder = doc['holder'];
    const holderId =
      typeof holder === 'string'
        ? holder
        : isObject(holder) && typeof holder['id'] === 'string'
          ? holder['id']
          : typeof d.payload['iss'] === 'string'
            ? d.payload['iss']
            : undefined;
    const sigProblems: Problem[] = [];
    if (options.challenge !== undefined && d.payload['nonce'] !== options.challenge) sigProblems.push({ code: 'CHALLENGE_MISMATCH' });
    if (options.domain !== undefined && !asArray(d.payload['aud'] as unknown).includes(options.domain)) sigProblems.push({ code: 'DOMAIN_MISMATCH' });
    const method = await jwtKey(d, holderId, problems.length === 0, run);
    if ('code' in method) sigProblems.push(method);
    else {
      const bad = await verifyJws(token, String(d.header['alg']), method.key);
      if (bad) sigProblems.push(bad);
    }
    if (sigProblems.length) r.fail('valid_signature', sigProblems);
    else {
      r.pass('valid_signature', 'SIGNATURE_INTACT', undefined, { alg: String(d.header['alg']) });
      await holderBinding(r, holderId, [method as ResolvedMethod], run);
    }
    const now = run.now.getTime();
    const exp = d.payload['exp'];
    const nbf = d.payload['nbf'];
    if (typeof nbf === 'number' && now < nbf * 1000)
      r.fail('validity_start', [{ code: 'NOT_YET_VALID', params: { date: new Date(nbf * 1000).toISOString() } }]);
    if (typeof exp === 'number' && now > exp * 1000) r.fail('expiration', [{ code: 'EXPIRED', params: { date: new Date(exp * 1000).toISOString() } }]);
    await presentationCredentials(r, asArray(doc['verifiableCredential'] as unknown), run);
    return r.result('presentation', doc);
  }

  return {
    async verifyCredential(input, options = {}) {
      const run = Run.start(options.now ?? deps.clock.now(), deps);
      return verifyCredentialInput(input, run);
    },
    async verifyPresentation(input, options = {}) {
      const run = Run.start(options.now ?? deps.clock.now(), deps);
      const parsed = parseInput(input, 'presentation');
      return guarded('presentation', parsed.kind === 'ld' ? parsed.doc : null, async () => {
        if (parsed.kind === 'error') {
          const r = new Report();
          r.fail('schema', [
            parsed.problem.code === 'INPUT_MALFORMED'
              ? { code: 'PRESENTATION_MALFORMED', params: { reason: String(parsed.problem.params?.['reason'] ?? '') } }
              : parsed.problem,
          ]);
          return r.result('presentation', null);
        }
        if (parsed.kind === 'jwt') return verifyJwtPresentation(parsed.token, options, run);
        return verifyLdPresentation(parsed.doc, options, run);
      });
    },
  };
}
