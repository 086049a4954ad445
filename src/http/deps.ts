import type { Config } from '../config.js';
import type { AccountDeps } from '../domain/accounts/account-rules.js';
import type { CredentialSigner, IssuerKeys, RandomSource } from '../domain/credentials/ports.js';
import type { CredentialVerifier } from '../domain/credentials/verification.js';
import type { StatusListConfig } from '../domain/credentials/status-lists.js';
import type { Logger } from '../logger.js';
import type { JobQueue } from '../domain/shared/ports.js';
import type { IssuanceHooks } from '../domain/issuance/deps.js';
import type { TabularReader } from '../domain/issuance/ports.js';
import type { JsonObject } from '../domain/shared/model.js';
import type { ImageProcessor } from '../domain/templates/ports.js';

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
  /** Image formats (src/files/images.ts): template artwork is checked, stripped of metadata, SVG rasterised. */
  imageProcessor: ImageProcessor;
  // ---- Templates and bulk issuance (src/domain/issuance) ----
  /** The job queue (enqueue only in the web process; the worker process runs the handlers). */
  jobs: JobQueue;
  /** CSV/XLSX reader (src/files/tabular.ts). */
  tabular: TabularReader;
  /** Parallel parts of a bulk job (one per worker process). */
  issuanceParts: number;
  /** What other features do when credentials are issued or a job completes (webhooks). */
  hooks?: IssuanceHooks;
  /** The credential verifier (src/crypto/verifier): every page and API verifies through it. */
  verifier: CredentialVerifier;
  /** Webhook creation: an address of the URL's host that deliveries would refuse (src/crypto/guarded-fetch.ts). */
  checkWebhookTarget(url: string): Promise<string | undefined>;
}
