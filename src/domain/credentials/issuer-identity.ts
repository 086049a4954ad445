/**
 * Issuer identity per organisation: an Ed25519 Multikey created with the organisation (sealed with the master key),
 * the did:web `did:web:<host>:orgs:<slug>` served by Sceau itself at `/orgs/<slug>/did.json`, rotation that adds a
 * key and keeps the old ones listed, the public OB 3.0 issuer Profile, and the resolution of Sceau's own DIDs from
 * the database (no network round trip).
 */
import { recordAudit } from '../shared/audit.js';
import { AppError } from '../shared/errors.js';
import { authorize } from '../shared/policies.js';
import type { Actor, JsonObject } from '../shared/model.js';
import type { Clock, Secrets } from '../shared/ports.js';
import type { Repositories, Store } from '../shared/store.js';
import { normalizeEmail, normalizeUrl } from '../shared/validation.js';
import type { IssuerProfileDetails, IssuerKey } from './model.js';
import type { IssuerKeys, SigningKey } from './ports.js';
import type { Organization } from '../organizations/model.js';

export const DID_CONTEXT = 'https://www.w3.org/ns/did/v1';
export const MULTIKEY_CONTEXT = 'https://w3id.org/security/multikey/v1';
export const VC_V2_CONTEXT = 'https://www.w3.org/ns/credentials/v2';
export const OB_CONTEXT = 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json';
export const OB_EXTENSIONS_CONTEXT = 'https://purl.imsglobal.org/spec/ob/v3p0/extensions.json';

export interface IssuerDeps {
  store: Store;
  clock: Clock;
  secrets: Secrets;
  baseUrl: URL;
  issuerKeys: IssuerKeys;
}

const SLUG_RE = /^[a-z0-9-]{1,63}$/;

/** An absolute URL under BASE_URL (its path prefix kept). */
export function publicUrl(baseUrl: URL, path: string): string {
  const base = baseUrl.href.endsWith('/') ? baseUrl.href : `${baseUrl.href}/`;
  return new URL(path.replace(/^\/+/, ''), base).toString();
}

/** The did:web method-specific id of BASE_URL: host (port percent-encoded) then its path segments. */
function didWebPrefix(baseUrl: URL): string {
  const segments = baseUrl.pathname.split('/').filter(Boolean).map(encodeURIComponent);
  return ['did:web', encodeURIComponent(baseUrl.host), ...segments].join(':');
}

/** `did:web:<host>:orgs:<slug>`, resolved by did:web at `<BASE_URL>/orgs/<slug>/did.json`. */
export function issuerDid(baseUrl: URL, slug: string): string {
  return `${didWebPrefix(baseUrl)}:orgs:${slug}`;
}

export const verificationMethodId = (did: string, key: Pick<IssuerKey, 'publicKeyMultibase'>): string => `${did}#${key.publicKeyMultibase}`;

/** The organisation slug named by one of Sceau's own DIDs (or DID URLs), or undefined for anything else. */
export function parseOwnDid(baseUrl: URL, didUrl: string): { slug: string; did: string; fragment: string | undefined } | undefined {
  if (typeof didUrl !== 'string' || didUrl.length > 500) return undefined;
  const hash = didUrl.indexOf('#');
  const did = hash < 0 ? didUrl : didUrl.slice(0, hash);
  const fragment = hash < 0 ? undefined : didUrl.slice(hash + 1);
  const prefix = `${didWebPrefix(baseUrl)}:orgs:`;
  if (!did.startsWith(prefix)) return undefined;
  const slug = did.slice(prefix.length);
  return SLUG_RE.test(slug) ? { slug, did, fragment } : undefined;
}

export const signingKey = (did: string, key: IssuerKey): SigningKey => ({
  id: key.id,
  verificationMethod: verificationMethodId(did, key),
  secretKeySealed: key.secretKeySealed,
});

// ---- Keys --------------------------------------------------------------------------------------------

/** Creates the organisation's current key in the caller's transaction; undefined if one already exists. */
export async function createIssuerKey(
  tx: Repositories,
  deps: Pick<IssuerDeps, 'clock' | 'secrets' | 'issuerKeys'>,
  orgId: string,
): Promise<IssuerKey | undefined> {
  const generated = await deps.issuerKeys.generate();
  const key: IssuerKey = { id: deps.secrets.newId(), orgId, ...generated, createdAt: deps.clock.now(), retiredAt: null };
  return (await tx.issuerKeys.create(key)) ? key : undefined;
}

/** The organisation's current key, created on first use for organisations older than issuer keys. */
export async function ensureIssuerKey(deps: IssuerDeps, org: Pick<Organization, 'id'>): Promise<IssuerKey> {
  const current = await deps.store.issuerKeys.current(org.id);
  if (current) return current;
  const created = await deps.store.transaction((tx) => createIssuerKey(tx, deps, org.id));
  const key = created ?? (await deps.store.issuerKeys.current(org.id));
  if (!key) throw new Error(`no issuer key for organisation ${org.id}`);
  return key;
}

/** Gives every organisation without a key one (run at start: organisations created before issuer keys). */
export async function ensureIssuerKeys(deps: IssuerDeps): Promise<number> {
  let created = 0;
  for (const orgId of await deps.store.issuerKeys.orgIdsWithoutKey()) {
    if (await deps.store.transaction((tx) => createIssuerKey(tx, deps, orgId))) created += 1;
  }
  return created;
}

/**
 * Rotation: the current key is retired (it signs nothing more) and a new one becomes current. Retired keys stay
 * in the DID document under `verificationMethod` and `assertionMethod`, so every credential ever issued verifies.
 */
export async function rotateIssuerKey(deps: IssuerDeps, actor: Actor, input: { slug?: string }): Promise<{ previous: IssuerKey; current: IssuerKey }> {
  const { org } = await authorize(deps, actor, { action: 'org.manage', slug: input.slug });
  const previous = await ensureIssuerKey(deps, org);
  const generated = await deps.issuerKeys.generate();
  return deps.store.transaction(async (tx) => {
    const now = deps.clock.now();
    if (!(await tx.issuerKeys.retire(previous.id, now))) throw new Error('rotation: the current key changed concurrently; retry');
    const current: IssuerKey = { id: deps.secrets.newId(), orgId: org.id, ...generated, createdAt: now, retiredAt: null };
    if (!(await tx.issuerKeys.create(current))) throw new Error('rotation: a current key appeared concurrently');
    await recordAudit(tx, deps, {
      actor,
      action: 'issuer_key.rotated',
      orgId: org.id,
      targetType: 'issuer_key',
      targetId: current.id,
      details: { previousKeyId: previous.id },
    });
    return { previous: { ...previous, retiredAt: now }, current };
  });
}

// ---- Documents ---------------------------------------------------------------------------------------

/** The DID document: DID v1 context first (then Multikey), every key (current first) under assertionMethod. */
export function didDocument(baseUrl: URL, org: Pick<Organization, 'slug'>, keys: IssuerKey[]): JsonObject {
  const did = issuerDid(baseUrl, org.slug);
  const ordered = [...keys].sort((a, b) => Number(a.retiredAt !== null) - Number(b.retiredAt !== null) || b.createdAt.getTime() - a.createdAt.getTime());
  return {
    '@context': [DID_CONTEXT, MULTIKEY_CONTEXT],
    id: did,
    verificationMethod: ordered.map((k) => ({
      id: verificationMethodId(did, k),
      type: 'Multikey',
      controller: did,
      publicKeyMultibase: k.publicKeyMultibase,
    })),
    assertionMethod: ordered.map((k) => verificationMethodId(did, k)),
  };
}

/** An organisation by slug for the public documents (no actor: they are public); NOT_FOUND when unknown. */
async function publicOrg(deps: Pick<IssuerDeps, 'store'>, slug: string): Promise<Organization> {
  const org = SLUG_RE.test(slug) ? await deps.store.organizations.findBySlug(slug) : undefined;
  if (!org) throw new AppError('NOT_FOUND');
  return org;
}

async function didDocumentOf(deps: IssuerDeps, org: Organization): Promise<JsonObject> {
  await ensureIssuerKey(deps, org);
  return didDocument(deps.baseUrl, org, await deps.store.issuerKeys.list(org.id));
}

/** The DID document served at `/orgs/<slug>/did.json` (public; NOT_FOUND for an unknown organisation). */
export async function getDidDocument(deps: IssuerDeps, input: { slug: string }): Promise<JsonObject> {
  return didDocumentOf(deps, await publicOrg(deps, input.slug));
}

/** The OB 3.0 `Profile` of the organisation as issuer (embedded in credentials; no `@context`). */
export function issuerProfileOf(baseUrl: URL, org: Organization, details: IssuerProfileDetails | undefined): JsonObject {
  const profile: JsonObject = {
    id: issuerDid(baseUrl, org.slug),
    type: ['Profile'],
    name: org.name,
    url: details?.url ?? publicUrl(baseUrl, `orgs/${org.slug}/profile`),
  };
  if (details?.description) profile['description'] = details.description;
  if (org.logoUrl) profile['image'] = { id: org.logoUrl, type: 'Image' };
  if (details?.email) profile['email'] = details.email;
  return profile;
}

/**
 * The Profile of an organisation already resolved by the calling use case (issuing embeds it). Public data: what
 * `getPublicProfileDocument` serves to anyone.
 */
export async function getIssuerProfile(deps: Pick<IssuerDeps, 'store' | 'baseUrl'>, org: Organization): Promise<JsonObject> {
  return issuerProfileOf(deps.baseUrl, org, await deps.store.issuerProfiles.get(org.id));
}

/** The public Profile document served at `/orgs/<slug>/profile` (JSON-LD, OB 3.0 contexts; NOT_FOUND when unknown). */
export async function getPublicProfileDocument(deps: Pick<IssuerDeps, 'store' | 'baseUrl'>, input: { slug: string }): Promise<JsonObject> {
  return { '@context': [VC_V2_CONTEXT, OB_CONTEXT], ...(await getIssuerProfile(deps, await publicOrg(deps, input.slug))) };
}

/** Sets the Profile's `url`, `email` and `description` (empty values clear them). */
export async function setIssuerProfile(
  deps: IssuerDeps,
  actor: Actor,
  input: { slug?: string; url?: unknown; email?: unknown; description?: unknown },
): Promise<IssuerProfileDetails> {
  const { org } = await authorize(deps, actor, { action: 'org.manage', slug: input.slug });
  const existing = await deps.store.issuerProfiles.get(org.id);
  const pick = <T>(v: unknown, keep: T, parse: (x: unknown) => T): T => (v === undefined ? keep : parse(v));
  const description = pick(input.description, existing?.description ?? null, (v) => {
    if (v === null || v === '') return null;
    if (typeof v !== 'string' || v.length > 2000 || /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(v))
      throw new AppError('VALIDATION_FAILED', {}, { field: 'description' });
    return v.trim() || null;
  });
  const details: IssuerProfileDetails = {
    orgId: org.id,
    url: pick(input.url, existing?.url ?? null, (v) => normalizeUrl(v, 'url')),
    email: pick(input.email, existing?.email ?? null, (v) => (v === null || v === '' ? null : normalizeEmail(v))),
    description,
    updatedAt: deps.clock.now(),
  };
  await deps.store.transaction(async (tx) => {
    await tx.issuerProfiles.put(details);
    await recordAudit(tx, deps, { actor, action: 'issuer_profile.updated', orgId: org.id, targetType: 'organization', targetId: org.id });
  });
  return details;
}

// ---- Resolution of Sceau's own DIDs ------------------------------------------------------------------

/**
 * Resolves one of Sceau's own DIDs (the DID document) or DID URLs (`<did>#<key>`: the verification method, with the
 * Multikey context, as `@digitalbazaar/ed25519-multikey` expects it) from the database. Undefined for anything
 * that is not one of Sceau's organisations or keys: never a network request.
 */
export async function resolveOwnDid(deps: IssuerDeps, url: string): Promise<JsonObject | undefined> {
  const parsed = parseOwnDid(deps.baseUrl, url);
  if (!parsed) return undefined;
  const org = await deps.store.organizations.findBySlug(parsed.slug);
  if (!org) return undefined;
  const doc = await didDocumentOf(deps, org);
  if (parsed.fragment === undefined) return doc;
  const vm = (doc['verificationMethod'] as JsonObject[]).find((m) => m['id'] === url);
  return vm ? { '@context': MULTIKEY_CONTEXT, ...vm } : undefined;
}
