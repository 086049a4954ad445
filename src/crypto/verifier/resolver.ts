/**
 * Verification methods and controller documents.
 *
 * Local first, with no network: Sceau's own organisations' DID documents (`resolveOwnDid`, from the database),
 * did:key (derived), and https key ids whose fragment *is* the public multikey (`https://host/issuers/1#z6Mk…`,
 * as in the 1EdTech fixtures: the key is taken from the fragment like the 1EdTech validator does, but the
 * controller is not confirmed by that). Remote only through the guarded fetcher: did:web documents and https
 * key ids that carry no key, and — after the signature checked out — the controller document of a
 * key-in-fragment id.
 */
import { driver as didKeyDriver } from '@digitalbazaar/did-method-key';
import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import { GuardedFetchError, type GuardedFetch } from '../guarded-fetch.js';
import { type JsonObject, asArray, isObject } from './document-checks.js';
import { type CachedKey, KeyError, type PublicKeyMaterial, importJwk, importVerificationMethod, isMultikeyFragment, sameKey } from './keys.js';

export type KeySource = 'own' | 'did:key' | 'did:web' | 'https' | 'https-fragment' | 'jwk-header';

export interface ResolvedMethod {
  /** The verification method as a key document (id as referenced). */
  vm: PublicKeyMaterial & { revoked?: unknown; expires?: unknown };
  key: CachedKey;
  source: KeySource;
  /** The controller the method claims (DID or URL). */
  controller: string | undefined;
  /** The controller document, when it comes from a source that speaks for the controller. */
  controllerDocument?: JsonObject;
  /** A bare DID was given instead of a key id. */
  bareDid?: boolean;
}

export class ResolutionError extends Error {
  override readonly name = 'ResolutionError';
  constructor(
    readonly code: 'VERIFICATION_METHOD_UNRESOLVABLE' | 'KEY_UNSUPPORTED' | 'JWT_PRIVATE_KEY_IN_HEADER',
    message: string,
    readonly fetchCode?: string,
  ) {
    super(message);
  }
}

export interface ResolverDeps {
  resolveOwnDid?: (did: string) => Promise<object | undefined>;
  fetchJson: GuardedFetch;
  allowLoopbackForTests?: boolean;
}

const didKey = didKeyDriver();
didKey.use({ multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from });
didKey.use({ multibaseMultikeyHeader: 'zDna', fromMultibase: EcdsaMultikey.from });
didKey.use({ multibaseMultikeyHeader: 'z82L', fromMultibase: EcdsaMultikey.from });

export function splitDidUrl(url: string): { base: string; fragment: string | undefined } {
  const i = url.indexOf('#');
  return i < 0 ? { base: url, fragment: undefined } : { base: url.slice(0, i), fragment: url.slice(i + 1) };
}

const LOOPBACK_HOSTS = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/;

/** did:web → the https URL of its DID document (`did:web:host%3A8443:a:b` → `https://host:8443/a/b/did.json`). */
export function didWebUrl(did: string, allowLoopbackHttp = false): string | undefined {
  const parts = did.split(':');
  if (parts.length < 3 || parts[0] !== 'did' || parts[1] !== 'web') return undefined;
  let host: string;
  try {
    host = decodeURIComponent(parts[2]!);
  } catch {
    return undefined;
  }
  if (!/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(host) && !/^\[[0-9a-fA-F:]+\](:\d{1,5})?$/.test(host)) return undefined;
  const path = parts.slice(3).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return '\u0000';
    }
  });
  if (path.some((p) => !p || p.includes('/') || p.includes('\u0000') || p === '..' || p === '.')) return undefined;
  const scheme = allowLoopbackHttp && LOOPBACK_HOSTS.test(host) ? 'http' : 'https';
  return path.length ? `${scheme}://${host}/${path.map(encodeURIComponent).join('/')}/did.json` : `${scheme}://${host}/.well-known/did.json`;
}

/** Absolute id of a verification-method reference inside a controller document. */
function absolute(ref: string, docId: string): string {
  return ref.startsWith('#') ? `${docId}${ref}` : ref;
}

/** Every verification method a controller document declares (top level and embedded in relationships). */
function methodsOf(doc: JsonObject): JsonObject[] {
  const docId = typeof doc['id'] === 'string' ? doc['id'] : '';
  const out: JsonObject[] = [];
  for (const rel of ['verificationMethod', 'assertionMethod', 'authentication', 'publicKey']) {
    for (const m of asArray(doc[rel] as unknown)) {
      if (isObject(m) && typeof m['id'] === 'string') out.push({ ...m, id: absolute(m['id'], docId) });
    }
  }
  return out;
}

/** Whether the controller document lists `vmId` under `relation` (by reference or embedded). */
export function listsUnder(doc: JsonObject, relation: string, vmId: string): boolean {
  const docId = typeof doc['id'] === 'string' ? doc['id'] : '';
  return asArray(doc[relation] as unknown).some((m) =>
    typeof m === 'string' ? absolute(m, docId) === vmId : isObject(m) && typeof m['id'] === 'string' && absolute(m['id'], docId) === vmId,
  );
}

function toMaterial(m: JsonObject, id: string): ResolvedMethod['vm'] {
  return {
    id,
    type: typeof m['type'] === 'string' ? m['type'] : undefined,
    controller: typeof m['controller'] === 'string' ? m['controller'] : undefined,
    publicKeyMultibase: typeof m['publicKeyMultibase'] === 'string' ? m['publicKeyMultibase'] : undefined,
    publicKeyJwk: isObject(m['publicKeyJwk']) ? m['publicKeyJwk'] : undefined,
    revoked: m['revoked'],
    expires: m['expires'],
  };
}

async function keyOf(vm: PublicKeyMaterial): Promise<CachedKey> {
  try {
    return await importVerificationMethod(vm);
  } catch (err) {
    if (err instanceof KeyError) throw new ResolutionError(err.code, err.message);
    throw new ResolutionError('KEY_UNSUPPORTED', 'the key cannot be imported');
  }
}

export class Resolver {
  constructor(private readonly deps: ResolverDeps) {}

  /** did:key → its (derived) DID document. */
  private async didKeyDocument(did: string): Promise<JsonObject | undefined> {
    const fingerprint = did.slice('did:key:'.length);
    if (!isMultikeyFragment(fingerprint)) return undefined;
    try {
      return (await didKey.get({ did })) as JsonObject;
    } catch {
      return undefined;
    }
  }

  private async ownDocument(did: string): Promise<JsonObject | undefined> {
    if (!this.deps.resolveOwnDid) return undefined;
    const doc = await this.deps.resolveOwnDid(did);
    return isObject(doc) ? doc : undefined;
  }

  private async fetch(url: string): Promise<JsonObject> {
    let value: unknown;
    try {
      value = await this.deps.fetchJson(url);
    } catch (err) {
      const fetchCode = err instanceof GuardedFetchError ? err.code : 'FETCH_FAILED';
      throw new ResolutionError('VERIFICATION_METHOD_UNRESOLVABLE', `${url}: ${err instanceof Error ? err.message : 'fetch failed'}`, fetchCode);
    }
    if (!isObject(value)) throw new ResolutionError('VERIFICATION_METHOD_UNRESOLVABLE', `${url}: not a JSON object`);
    return value;
  }

  private async fromControllerDocument(vmId: string, doc: JsonObject, source: KeySource, controllerId: string): Promise<ResolvedMethod> {
    if (doc['id'] !== controllerId) throw new ResolutionError('VERIFICATION_METHOD_UNRESOLVABLE', `the document of ${controllerId} has another id`);
    const m = methodsOf(doc).find((x) => x['id'] === vmId);
    if (!m) throw new ResolutionError('VERIFICATION_METHOD_UNRESOLVABLE', `${vmId} is not in the controller document`);
    const vm = toMaterial(m, vmId);
    return { vm, key: await keyOf(vm), source, controller: vm.controller ?? controllerId, controllerDocument: doc };
  }

  /**
   * Resolves what can be resolved without the network. Undefined when the method needs a remote document.
   * Throws `ResolutionError` when it can never be resolved.
   */
  async local(vmId: string): Promise<ResolvedMethod | undefined> {
    const { base, fragment } = splitDidUrl(vmId);
    if (base.startsWith('did:')) {
      const own = await this.ownDocument(base);
      if (own) return this.fromControllerDocument(fragment === undefined ? vmId : vmId, own, 'own', base);
      if (base.startsWith('did:key:')) {
        const doc = await this.didKeyDocument(base);
        if (!doc) throw new ResolutionError('VERIFICATION_METHOD_UNRESOLVABLE', `${base} is not a supported did:key`);
        if (fragment === undefined) {
          // A bare did:key: its only key is derived so the signature can be reported, but the method is flagged.
          const [m] = methodsOf(doc);
          if (!m) throw new ResolutionError('VERIFICATION_METHOD_UNRESOLVABLE', `${base} has no key`);
          const vm = toMaterial(m, vmId);
          return { vm, key: await keyOf(vm), source: 'did:key', controller: base, controllerDocument: doc, bareDid: true };
        }
        return this.fromControllerDocument(vmId, doc, 'did:key', base);
      }
      if (base.startsWith('did:web:')) return undefined;
      throw new ResolutionError('VERIFICATION_METHOD_UNRESOLVABLE', `unsupported DID method in ${vmId}`);
    }
    if (/^https?:\/\//.test(base)) {
      if (fragment !== undefined && isMultikeyFragment(fragment)) {
        const vm: ResolvedMethod['vm'] = { id: vmId, type: 'Multikey', controller: base, publicKeyMultibase: fragment };
        return { vm, key: await keyOf(vm), source: 'https-fragment', controller: base };
      }
      return undefined;
    }
    throw new ResolutionError('VERIFICATION_METHOD_UNRESOLVABLE', `cannot resolve ${vmId}`);
  }

  /** Resolves through the guarded fetcher (did:web documents, https key documents). */
  async remote(vmId: string): Promise<ResolvedMethod> {
    const { base, fragment } = splitDidUrl(vmId);
    if (base.startsWith('did:web:')) {
      const url = didWebUrl(base, this.deps.allowLoopbackForTests);
      if (!url) throw new ResolutionError('VERIFICATION_METHOD_UNRESOLVABLE', `malformed did:web ${base}`);
      const doc = await this.fetch(url);
      if (fragment === undefined) throw new ResolutionError('VERIFICATION_METHOD_UNRESOLVABLE', `${vmId} names no key`);
      return this.fromControllerDocument(vmId, doc, 'did:web', base);
    }
    if (/^https:\/\//.test(base) || (this.deps.allowLoopbackForTests && /^http:\/\//.test(base))) {
      const doc = await this.fetch(base);
      // Either the controller document (with the key inside) or the key document itself.
      if (doc['id'] === vmId || (fragment === undefined && (doc['publicKeyMultibase'] || doc['publicKeyJwk']))) {
        const vm = toMaterial(doc, vmId);
        return { vm, key: await keyOf(vm), source: 'https', controller: vm.controller };
      }
      return this.fromControllerDocument(vmId, doc, 'https', base);
    }
    throw new ResolutionError('VERIFICATION_METHOD_UNRESOLVABLE', `cannot resolve ${vmId}`);
  }

  /**
   * The controller document of a DID or URL, from a source that speaks for it (own database, did:key,
   * did:web or https through the guard). Undefined when it cannot be obtained.
   */
  async controllerDocument(controller: string): Promise<{ doc: JsonObject; source: KeySource } | undefined> {
    try {
      if (controller.startsWith('did:')) {
        const own = await this.ownDocument(controller);
        if (own) return { doc: own, source: 'own' };
        if (controller.startsWith('did:key:')) {
          const doc = await this.didKeyDocument(controller);
          return doc ? { doc, source: 'did:key' } : undefined;
        }
        if (controller.startsWith('did:web:')) {
          const url = didWebUrl(controller, this.deps.allowLoopbackForTests);
          return url ? { doc: await this.fetch(url), source: 'did:web' } : undefined;
        }
        return undefined;
      }
      if (/^https:\/\//.test(controller) || (this.deps.allowLoopbackForTests && /^http:\/\//.test(controller))) {
        return { doc: await this.fetch(controller), source: 'https' };
      }
    } catch {
      return undefined;
    }
    return undefined;
  }

  /**
   * Confirms a key taken from a fragment or a JWT header against its claimed controller's document: the
   * document must be the controller's, list a method with the same key under `relation`.
   */
  async confirm(
    controller: string,
    key: CachedKey,
    relation: string,
    vmId?: string,
  ): Promise<{ doc: JsonObject; source: KeySource; vmId: string } | undefined> {
    const found = await this.controllerDocument(controller);
    if (!found || found.doc['id'] !== controller) return undefined;
    for (const m of methodsOf(found.doc)) {
      const id = m['id'] as string;
      if (vmId !== undefined && id !== vmId) continue;
      if (!listsUnder(found.doc, relation, id)) continue;
      try {
        const candidate = await importVerificationMethod(toMaterial(m, id));
        if (sameKey(candidate, key)) return { ...found, vmId: id };
      } catch {
        // a method Sceau cannot read is not a match
      }
    }
    return undefined;
  }

  /** Imports a key given inline in a JWT header. */
  async headerKey(jwk: Record<string, unknown>): Promise<CachedKey> {
    try {
      return await importJwk(jwk);
    } catch (err) {
      if (err instanceof KeyError) throw new ResolutionError(err.code, err.message);
      throw new ResolutionError('KEY_UNSUPPORTED', 'the JWK cannot be imported');
    }
  }
}
