import type { Config } from '../config.js';
import type { AccountDeps } from '../domain/accounts.js';
import type { CredentialSigner, IssuerKeys, JsonObject, RandomSource } from '../domain/credentials/ports.js';
import type { CredentialVerifier } from '../domain/credentials/verification.js';
import type { StatusListConfig } from '../domain/credentials/status.js';
import type { Logger } from '../logger.js';

/** What the HTTP and web drivers receive from `compose.ts`. */
export interface AppDeps extends AccountDeps {
  config: Config;
  logger: Logger;
  /** True once the database answers. */
  ping(): Promise<boolean>;
  /** Whether mail leaves through SMTP or stays in the local outbox. */
  mailMode: 'smtp' | 'local';
  // ---- Issuing (src/domain/credentials): AppDeps is the IssuingDeps of the use cases. ----
  issuerKeys: IssuerKeys;
  signer: CredentialSigner;
  random: RandomSource;
  statusListConfig?: Partial<StatusListConfig>;
  /** Sceau's own DIDs and key ids, from the database (for the verifier's document loader; never the network). */
  resolveOwnDid(url: string): Promise<JsonObject | undefined>;
  /** One of Sceau's own status list credentials by URL, always current (for the verifier and the pages). */
  getOwnStatusList(url: string): Promise<JsonObject | undefined>;
  /** Whether one of Sceau's own credentials is suspended (`issuer`: its DID, to narrow the lookup). */
  isSuspended(credentialId: string, issuer?: string): Promise<boolean>;
  /** The credential verifier (src/crypto/verifier): every page and API verifies through it. */
  verifier: CredentialVerifier;
}
