/**
 * What the HTTP and web drivers receive from `compose.ts`: the ports of every use case they call (each feature
 * declares its own `…Deps`), plus what only the drivers need. The worker process gets its own, narrower
 * `WorkerDeps` (src/worker/jobs.ts).
 */
import type { Config } from '../config.js';
import type { AccountDeps } from '../domain/accounts/account-rules.js';
import type { ManageDeps } from '../domain/credentials/manage-credentials.js';
import type { CredentialVerifier } from '../domain/credentials/verification.js';
import type { IssuanceDeps } from '../domain/issuance/deps.js';
import type { OrgDeps } from '../domain/organizations/manage-organizations.js';
import type { JsonObject } from '../domain/shared/model.js';
import type { ImageDeps } from '../domain/templates/images.js';
import type { TemplateDeps } from '../domain/templates/manage-templates.js';
import type { WebhookDeps } from '../domain/webhooks/manage-webhooks.js';
import type { Logger } from '../logger.js';

/** The use cases' ports, by feature. */
type UseCaseDeps = AccountDeps & OrgDeps & TemplateDeps & ImageDeps & IssuanceDeps & ManageDeps & WebhookDeps;

/** What only the drivers need. */
interface DriverDeps {
  config: Config;
  logger: Logger;
  /** True once the database answers (`GET /health`). */
  ping(): Promise<boolean>;
  /** Whether mail leaves through SMTP or stays in the local outbox (pages say which). */
  mailMode: 'smtp' | 'local';
  /** Parallel parts of a bulk job (one per worker process). */
  issuanceParts: number;
  /** The credential verifier (src/crypto/verifier): every page and API verifies through it. */
  verifier: CredentialVerifier;
  /** Sceau's own DIDs and key ids, from the database (for the verifier's document loader; never the network). */
  resolveOwnDid(url: string): Promise<JsonObject | undefined>;
  /** One of Sceau's own status list credentials by URL, always current (for the verifier and the pages). */
  getOwnStatusList(url: string): Promise<JsonObject | undefined>;
  /** Whether one of Sceau's own credentials is suspended (`issuer`: its DID, to narrow the lookup). */
  isSuspended(credentialId: string, issuer?: string): Promise<boolean>;
  /** Webhook creation: an address of the URL's host that deliveries would refuse (src/crypto/guarded-fetch.ts). */
  checkWebhookTarget(url: string): Promise<string | undefined>;
}

export type AppDeps = UseCaseDeps & DriverDeps;
