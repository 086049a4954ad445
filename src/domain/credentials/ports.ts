import { type JsonObject } from '../shared/model.js';
import type { IssuedCredential, IssuerProfileDetails, StatusList, StatusPurpose, IssuerKey, CredentialEventKind } from './model.js';

/** What the signer needs: the verification method id and the key (imported once, then cached by `id`). */
export interface SigningKey {
  id: string;
  verificationMethod: string;
  secretKeySealed: string;
}

/** Key generation. */
export interface IssuerKeys {
  /** A new Ed25519 key pair, the secret key already sealed with the master key. */
  generate(): Promise<{ publicKeyMultibase: string; secretKeySealed: string }>;
}

/** Signing: eddsa-rdfc-2022 Data Integrity proofs, OB 3.0 VC-JWTs, status-list encoding. */
export interface CredentialSigner {
  /**
   * Adds a `DataIntegrityProof` (eddsa-rdfc-2022, proofPurpose assertionMethod, `created` as given) to a copy of
   * the document, exactly as the stock `@digitalbazaar/vc` `issue` would (same checks, same bytes; `proof` is a
   * single object here — callers wrap it). Contexts come only from the strict loader. Throws AppError
   * CREDENTIAL_INVALID / CREDENTIAL_CONTEXT_UNKNOWN for documents that cannot be signed.
   */
  sign(document: JsonObject, key: SigningKey, options: { created: string }): Promise<JsonObject>;
  /** OB 3.0 VC-JWT: header `{alg: EdDSA, typ: JWT, kid}`, payload = the credential + iss/jti/sub/nbf/exp. */
  signJwt(credential: JsonObject, key: SigningKey): Promise<string>;
  /** `u` + base64url(gzip(bits)) of a list of `length` bits with `setIndexes` set (bit 0 is the left-most). */
  encodeStatusList(length: number, setIndexes: Iterable<number>): Promise<string>;
  /** Forgets a cached key (after rotation or in tests). */
  forget(keyId: string): void;
}

/** Uniform random integers from a CSPRNG (status-list indexes are allocated at random, never in sequence). */
export interface RandomSource {
  int(maxExclusive: number): number;
}
export interface IssuerKeysRepository {
  /** False when the organisation already has a current key (a concurrent creation won). */
  create(key: IssuerKey): Promise<boolean>;
  /** The key that signs now (the organisation's only unretired key). */
  current(orgId: string): Promise<IssuerKey | undefined>;
  findById(id: string): Promise<IssuerKey | undefined>;
  /** Every key of the organisation, oldest first (retired ones included). */
  list(orgId: string): Promise<IssuerKey[]>;
  /** Retires the key if it is still current; false otherwise. */
  retire(id: string, at: Date): Promise<boolean>;
  /** Organisations without a current key (created before issuer keys existed). */
  orgIdsWithoutKey(): Promise<string[]>;
}

export interface IssuerProfilesRepository {
  get(orgId: string): Promise<IssuerProfileDetails | undefined>;
  put(profile: IssuerProfileDetails): Promise<void>;
}

export interface StatusListsRepository {
  /** False when another open list of the same key and purpose exists (a concurrent creation won). */
  create(list: StatusList): Promise<boolean>;
  findById(id: string): Promise<StatusList | undefined>;
  /** The list of this key and purpose that still takes allocations. */
  findOpen(keyId: string, purpose: StatusPurpose): Promise<StatusList | undefined>;
  listForOrg(orgId: string): Promise<StatusList[]>;
  /** Reserves an index of the list; false when it is already taken. */
  reserve(listId: string, index: number, at: Date): Promise<boolean>;
  /** Every reserved index of the list. */
  reservedIndexes(listId: string): Promise<number[]>;
  /**
   * Claims `n` allocations atomically, only if they fit (`allocated + n ≤ capacity`); the list is marked full once
   * `allocated` reaches `capacity`. False when they do not fit (a concurrent allocation took the room): re-read.
   */
  claimAllocations(listId: string, n: number, at: Date): Promise<boolean>;
  /** A status of one of the list's credentials changed: the published list must be re-signed. */
  bumpRevision(listId: string): Promise<void>;
  /** Indexes whose bit is set (revoked credentials of the list). */
  setIndexes(listId: string): Promise<number[]>;
  /** Stores a signed list for `revision`, unless a newer revision is already stored. */
  saveSigned(listId: string, revision: number, document: string, at: Date): Promise<void>;
}

export interface CredentialsRepository {
  /** Stores a batch of credentials in a few multi-row statements. */
  createMany(credentials: IssuedCredential[]): Promise<void>;
  /** Credentials of the organisation with this `id` (one, unless a caller reused an id through the VC-API). */
  findByCredentialId(orgId: string, credentialId: string): Promise<IssuedCredential[]>;
  /** Credentials with this `id`, any organisation (the verifier's suspension lookup). */
  findAllByCredentialId(credentialId: string): Promise<IssuedCredential[]>;
  findByStatusEntry(listId: string, index: number): Promise<IssuedCredential | undefined>;
  setRevoked(ids: string[], at: Date): Promise<void>;
  setSuspended(ids: string[], at: Date | null): Promise<void>;
  countForOrg(orgId: string): Promise<number>;
}
export interface CredentialEvent {
  id: string;
  orgId: string;
  templateId: string | null;
  credentialRowId: string;
  kind: CredentialEventKind;
  at: Date;
}

export interface CredentialEventsRepository {
  record(event: CredentialEvent): Promise<void>;
  recordMany(events: CredentialEvent[]): Promise<void>;
  /** Counts per day and kind between two days (`YYYY-MM-DD`, inclusive). */
  countsByDay(orgId: string, templateId: string | null, fromDay: string, toDay: string): Promise<{ day: string; kind: CredentialEventKind; count: number }[]>;
  /** Credentials with at least one event of each kind (distinct credentials, all time). */
  totals(orgId: string, templateId: string | null): Promise<Record<CredentialEventKind, number>>;
}
