/** Domain types of issued credentials and their status lists. Plain data; rows are mapped in `src/store`. */

export type StatusPurpose = 'revocation';

/** An organisation's public issuer details beyond its name and logo (OB 3.0 Profile `url`, `email`, `description`). */
export interface IssuerProfileDetails {
  orgId: string;
  url: string | null;
  email: string | null;
  description: string | null;
  updatedAt: Date;
}

/** One W3C Bitstring Status List of one issuer key and one purpose. */
export interface StatusList {
  /** Random public id: the list is served at `/orgs/<slug>/status/<id>`. */
  id: string;
  orgId: string;
  keyId: string;
  purpose: StatusPurpose;
  /** Bits in the list (≥ 131,072). */
  length: number;
  /** Allocations before the list counts as full and a new one opens. */
  capacity: number;
  allocated: number;
  /** Incremented by every status change of one of its credentials. */
  revision: number;
  /** The revision the stored signed list reflects. */
  signedRevision: number;
  /** The signed BitstringStatusListCredential, verbatim. */
  signedDocument: string | null;
  signedAt: Date | null;
  createdAt: Date;
  fullAt: Date | null;
}

export type CredentialFormat = 'ldp' | 'ldp+jwt';

export interface IssuedCredential {
  /** Internal id (UUIDv7). */
  id: string;
  orgId: string;
  keyId: string;
  /** The credential's own `id` (public, e.g. `urn:uuid:…`). */
  credentialId: string;
  types: string[];
  format: CredentialFormat;
  /** The signed document exactly as issued (never re-serialised). */
  document: string;
  /** The OB 3.0 VC-JWT of the same credential, when asked for. */
  jwt: string | null;
  /** `sha256$…` identity hash of the recipient e-mail (OB credentials), for lookups without the address. */
  recipientHash: string | null;
  statusListId: string | null;
  statusIndex: number | null;
  validFrom: Date | null;
  validUntil: Date | null;
  revokedAt: Date | null;
  suspendedAt: Date | null;
  createdAt: Date;
}

export type CredentialStatusValue = 'active' | 'suspended' | 'revoked';

export function statusOf(c: Pick<IssuedCredential, 'revokedAt' | 'suspendedAt'>): CredentialStatusValue {
  if (c.revokedAt) return 'revoked';
  if (c.suspendedAt) return 'suspended';
  return 'active';
}
/** An organisation's Ed25519 issuer key. The secret key is sealed with the master key; it is never stored in clear. */
export interface IssuerKey {
  id: string;
  orgId: string;
  /** `z6Mk…`; also the fragment of the verification method id (`<did>#z6Mk…`). */
  publicKeyMultibase: string;
  secretKeySealed: string;
  createdAt: Date;
  /** Set when the key was rotated out: no longer used to sign, still listed so old credentials verify. */
  retiredAt: Date | null;
}
export const EVENT_KINDS = ['issued', 'delivered', 'opened', 'claimed', 'shared', 'verified'] as const;

export type CredentialEventKind = (typeof EVENT_KINDS)[number];
