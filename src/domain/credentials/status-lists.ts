/**
 * W3C Bitstring Status Lists (revocation) and Sceau's own suspension record.
 *
 * - One open list per issuer key and purpose, ≥ 131,072 entries; indexes are reserved at random (CSPRNG, never in
 *   sequence, unique per list); a new list opens when one reaches its capacity.
 * - Each list is a signed `BitstringStatusListCredential` served at `/orgs/<slug>/status/<listId>`. A status change
 *   bumps the list's revision and re-signs it at once; a read of a list whose signed copy is older than its revision
 *   re-signs it first, so the served list is never stale (HTTP caches may keep it for `ttl`, 60 s).
 * - Revocation is permanent. Suspension is reversible and recorded by Sceau only (an OB 3.0 credential carries one
 *   status entry): `isSuspended` tells Sceau's verifier.
 */
import { recordAudit } from '../shared/audit.js';
import { AppError } from '../shared/errors.js';
import { authorize } from '../shared/policies.js';
import type { Actor, JsonObject } from '../shared/model.js';
import type { Repositories } from '../shared/store.js';
import { type IssuerDeps, VC_V2_CONTEXT, ensureIssuerKey, issuerDid, publicUrl, signingKey } from './issuer-identity.js';
import type { CredentialStatusValue, IssuedCredential, StatusList, StatusPurpose, IssuerKey } from './model.js';
import type { CredentialSigner, RandomSource } from './ports.js';
import type { Organization } from '../organizations/model.js';

export const STATUS_LIST_LENGTH = 131_072;
export const STATUS_LIST_TTL_SECONDS = 60;
/** Random picks before a dense list falls back to a uniform choice among its free indexes. */
const RANDOM_TRIES = 16;

export interface StatusListConfig {
  /** Bits per list (the spec's minimum is 131,072). */
  length: number;
  /** Allocations per list before a new one opens (≤ length). */
  capacity: number;
  /** `ttl` of the published list, in seconds (the credential carries it in milliseconds, as the spec says). */
  ttlSeconds: number;
}

export interface StatusDeps extends IssuerDeps {
  signer: CredentialSigner;
  random: RandomSource;
  statusListConfig?: Partial<StatusListConfig>;
}

export function statusListConfig(deps: Pick<StatusDeps, 'statusListConfig'>): StatusListConfig {
  const length = Math.max(STATUS_LIST_LENGTH, deps.statusListConfig?.length ?? STATUS_LIST_LENGTH);
  const capacity = Math.min(length, Math.max(1, deps.statusListConfig?.capacity ?? length));
  return { length, capacity, ttlSeconds: deps.statusListConfig?.ttlSeconds ?? STATUS_LIST_TTL_SECONDS };
}

/** XML Schema dateTimeStamp at second precision (`2026-01-15T09:00:00Z`), as the VC libraries write dates. */
export const w3cDate = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export function statusListUrl(baseUrl: URL, slug: string, listId: string): string {
  return publicUrl(baseUrl, `orgs/${slug}/status/${listId}`);
}

export interface StatusAllocation {
  list: StatusList;
  index: number;
}

async function pickIndexes(tx: Repositories, deps: StatusDeps, list: StatusList, count: number, at: Date): Promise<number[]> {
  const picked: number[] = [];
  let used: Set<number> | undefined;
  while (picked.length < count) {
    let index: number | undefined;
    if (!used) {
      for (let i = 0; i < RANDOM_TRIES && index === undefined; i++) {
        const candidate = deps.random.int(list.length);
        if (await tx.statusLists.reserve(list.id, candidate, at)) index = candidate;
      }
      if (index === undefined) used = new Set(await tx.statusLists.reservedIndexes(list.id));
    }
    if (index === undefined) {
      // A dense list: a uniform choice among the free indexes (still random, still unique).
      const taken = used!;
      let k = deps.random.int(list.length - taken.size);
      for (let i = 0; i < list.length; i++) {
        if (!taken.has(i) && k-- === 0) {
          index = i;
          break;
        }
      }
      if (index === undefined || !(await tx.statusLists.reserve(list.id, index, at))) throw new Error('status index reservation failed');
      taken.add(index);
    }
    picked.push(index);
  }
  return picked;
}

/** Reserves `count` random status entries of the key's open revocation list(s), in the caller's transaction. */
export async function allocateStatusEntries(
  tx: Repositories,
  deps: StatusDeps,
  request: { key: IssuerKey; count: number; purpose?: StatusPurpose },
): Promise<StatusAllocation[]> {
  const { key, count, purpose = 'revocation' } = request;
  const cfg = statusListConfig(deps);
  const out: StatusAllocation[] = [];
  const now = deps.clock.now();
  for (let guard = 0; out.length < count; guard++) {
    if (guard > count + 100) throw new Error('status allocation did not converge');
    let list = await tx.statusLists.findOpen(key.id, purpose);
    if (!list) {
      const candidate: StatusList = {
        id: deps.secrets.newPublicId(),
        orgId: key.orgId,
        keyId: key.id,
        purpose,
        length: cfg.length,
        capacity: cfg.capacity,
        allocated: 0,
        revision: 0,
        signedRevision: -1,
        signedDocument: null,
        signedAt: null,
        createdAt: now,
        fullAt: null,
      };
      if (!(await tx.statusLists.create(candidate))) continue;
      list = candidate;
    }
    // Claim the room first (atomic, and on PostgreSQL it locks the list row for the transaction), then reserve.
    const take = Math.max(0, Math.min(count - out.length, list.capacity - list.allocated));
    if (!(await tx.statusLists.claimAllocations(list.id, take, now))) continue;
    if (take > 0) {
      for (const index of await pickIndexes(tx, deps, list, take, now)) out.push({ list, index });
    }
  }
  return out;
}

// ---- Publication ------------------------------------------------------------------------------------

const inFlight = new Map<string, Promise<string>>();

async function signList(deps: StatusDeps, list: StatusList, org: Organization): Promise<string> {
  const key = await deps.store.issuerKeys.findById(list.keyId);
  if (!key) throw new Error(`status list ${list.id} has no key`);
  const cfg = statusListConfig(deps);
  // The revision is read before the bits: the signed list reflects at least this revision.
  const revision = list.revision;
  const bits = await deps.store.statusLists.setIndexes(list.id);
  const did = issuerDid(deps.baseUrl, org.slug);
  const url = statusListUrl(deps.baseUrl, org.slug, list.id);
  const now = deps.clock.now();
  const unsigned: JsonObject = {
    '@context': [VC_V2_CONTEXT],
    id: url,
    type: ['VerifiableCredential', 'BitstringStatusListCredential'],
    issuer: did,
    validFrom: w3cDate(now),
    credentialSubject: {
      id: `${url}#list`,
      type: 'BitstringStatusList',
      statusPurpose: list.purpose,
      encodedList: await deps.signer.encodeStatusList(list.length, bits),
      ttl: cfg.ttlSeconds * 1000,
    },
  };
  const document = JSON.stringify(await deps.signer.sign(unsigned, signingKey(did, key), { created: w3cDate(now) }));
  await deps.store.statusLists.saveSigned(list.id, revision, document, now);
  return document;
}

/** The signed list (verbatim text), re-signed first if a status changed since it was last signed. */
export async function publishedStatusList(deps: StatusDeps, org: Organization, listId: string): Promise<string> {
  const list = /^[0-9a-f-]{36}$/.test(listId) ? await deps.store.statusLists.findById(listId) : undefined;
  if (!list || list.orgId !== org.id) throw new AppError('NOT_FOUND');
  if (list.signedDocument !== null && list.signedRevision >= list.revision) return list.signedDocument;
  const flightKey = `${list.id}:${list.revision}`;
  let flight = inFlight.get(flightKey);
  if (!flight) {
    flight = signList(deps, list, org).finally(() => inFlight.delete(flightKey));
    inFlight.set(flightKey, flight);
  }
  return flight;
}

/** The served list of an organisation, by slug (NOT_FOUND for an unknown slug, list, or another organisation's list). */
export async function getStatusListDocument(deps: StatusDeps, slug: string, listId: string): Promise<{ document: string; ttlSeconds: number }> {
  const org = /^[a-z0-9-]{1,63}$/.test(slug) ? await deps.store.organizations.findBySlug(slug) : undefined;
  if (!org) throw new AppError('NOT_FOUND');
  return { document: await publishedStatusList(deps, org, listId), ttlSeconds: statusListConfig(deps).ttlSeconds };
}

/**
 * One of Sceau's own status lists by URL, straight from the database (always current: no cache, no network), for
 * the verifier and Sceau's pages. Undefined when the URL is not one of Sceau's lists.
 */
export async function getOwnStatusList(deps: StatusDeps, url: string): Promise<JsonObject | undefined> {
  if (typeof url !== 'string' || url.length > 500) return undefined;
  const prefix = publicUrl(deps.baseUrl, 'orgs/');
  if (!url.startsWith(prefix)) return undefined;
  const m = /^([a-z0-9-]{1,63})\/status\/([0-9a-f-]{36})$/.exec(url.slice(prefix.length));
  if (!m) return undefined;
  try {
    return JSON.parse((await getStatusListDocument(deps, m[1]!, m[2]!)).document) as JsonObject;
  } catch (e) {
    if (e instanceof AppError && e.code === 'NOT_FOUND') return undefined;
    throw e;
  }
}

// ---- Status changes ----------------------------------------------------------------------------------

/** What other features do when a credential's status changes (inside the same transaction): webhooks. */
export interface StatusHooks {
  onStatusChanged?(tx: Repositories, org: Organization, changed: IssuedCredential[], status: CredentialStatusValue, reason: string | null): Promise<void>;
}

export const CREDENTIAL_STATUSES: readonly CredentialStatusValue[] = ['active', 'suspended', 'revoked'];

/**
 * Sets the status of one of the organisation's credentials (by its `id`), for those who issue. Another organisation's
 * credential is NOT_FOUND, exactly like a nonexistent one. Revoking is permanent (and idempotent); suspending and
 * reactivating a revoked credential is CREDENTIAL_REVOKED_PERMANENT.
 */
export async function setCredentialStatus(
  deps: StatusDeps & { hooks?: StatusHooks },
  actor: Actor,
  input: { slug?: string; credentialId: unknown; status: unknown; reason?: string },
): Promise<{ credentialId: string; status: CredentialStatusValue }> {
  const { credentialId, status, reason } = input;
  const { org } = await authorize(deps, actor, { action: 'credentials.issue', slug: input.slug });
  if (typeof credentialId !== 'string' || credentialId === '' || credentialId.length > 2048) throw new AppError('NOT_FOUND');
  if (!CREDENTIAL_STATUSES.includes(status as CredentialStatusValue)) throw new AppError('VALIDATION_FAILED', {}, { field: 'status' });
  const wanted = status as CredentialStatusValue;
  const lists = await deps.store.transaction(async (tx) => {
    const rows = await tx.credentials.findByCredentialId(org.id, credentialId);
    if (!rows.length) throw new AppError('NOT_FOUND');
    const now = deps.clock.now();
    const revoked = rows.some((r) => r.revokedAt);
    const touched = new Set<string>();
    let changed: IssuedCredential[] = [];
    if (wanted === 'revoked') {
      changed = rows.filter((r) => !r.revokedAt);
      // A credential issued with the caller's own credentialStatus points at a list Sceau does not publish:
      // revoking it here could never reach a verifier, so say so instead of pretending.
      if (changed.some((r) => !r.statusListId)) throw new AppError('CREDENTIAL_STATUS_UNMANAGED');
      await tx.credentials.setRevoked(
        changed.map((r) => r.id),
        now,
      );
      for (const r of changed) if (r.statusListId) touched.add(r.statusListId);
      for (const listId of touched) await tx.statusLists.bumpRevision(listId);
    } else if (revoked) {
      throw new AppError('CREDENTIAL_REVOKED_PERMANENT');
    } else if (wanted === 'suspended') {
      changed = rows.filter((r) => !r.suspendedAt);
      await tx.credentials.setSuspended(
        changed.map((r) => r.id),
        now,
      );
    } else {
      changed = rows.filter((r) => r.suspendedAt);
      await tx.credentials.setSuspended(
        changed.map((r) => r.id),
        null,
      );
    }
    if (changed.length) {
      await recordAudit(tx, deps, {
        actor,
        action: `credential.${wanted === 'active' ? 'reactivated' : wanted}`,
        orgId: org.id,
        targetType: 'credential',
        targetId: changed[0]!.id,
        details: reason ? { reason } : null,
      });
      await deps.hooks?.onStatusChanged?.(tx, org, changed, wanted, reason ?? null);
    }
    return [...touched];
  });
  // Publish at once (a failure here is repaired by the next read, which re-signs a stale list).
  for (const listId of lists) await publishedStatusList(deps, org, listId).catch(() => undefined);
  return { credentialId, status: wanted };
}

/**
 * Whether one of Sceau's own credentials is suspended (and not revoked: revocation is reported from the list's
 * bit). `issuer` (a DID, or a Profile's id) narrows the lookup to that organisation; unknown ids are not suspended.
 */
export async function isSuspended(deps: Pick<IssuerDeps, 'store' | 'baseUrl'>, credentialId: string, issuer?: string): Promise<boolean> {
  if (typeof credentialId !== 'string' || credentialId === '' || credentialId.length > 2048) return false;
  const rows = (await deps.store.credentials.findAllByCredentialId(credentialId)).filter((r) => r.suspendedAt && !r.revokedAt);
  if (!rows.length) return false;
  if (issuer === undefined) return true;
  for (const r of rows) {
    const org = await deps.store.organizations.findById(r.orgId);
    if (org && issuerDid(deps.baseUrl, org.slug) === issuer) return true;
  }
  return false;
}

/** The current key of the organisation and its open list (tests, admin views). */
export async function openStatusList(deps: StatusDeps, org: Organization): Promise<StatusList | undefined> {
  const key = await ensureIssuerKey(deps, org);
  return deps.store.statusLists.findOpen(key.id, 'revocation');
}
