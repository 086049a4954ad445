/**
 * Composition root: config → logger → database → secrets → repositories → jobs → use-case deps.
 * The web process, the worker process and the CLI all build their dependencies here.
 */
import os from 'node:os';
import type { Config } from './config.js';
import { systemClock } from './domain/shared/clock.js';
import type { Clock, JobQueue } from './domain/shared/ports.js';
import type { Store } from './domain/shared/store.js';
import { loadCommonPasswords } from './crypto/common-passwords.js';
import { createCredentialSigner } from './crypto/credential-signer.js';
import { createIssuerKeys, cryptoRandom } from './crypto/issuer-keys.js';
import { type GuardedFetch, type GuardedPostOptions, createGuardedFetch, createWebhookTargetCheck } from './crypto/guarded-fetch.js';
import { createPasswordHasher } from './crypto/password-hasher.js';
import { createCredentialVerifier } from './crypto/verifier/index.js';
import { resolveOwnDid } from './domain/credentials/issuer-identity.js';
import { getOwnStatusList, isSuspended } from './domain/credentials/status-lists.js';
import { createSecrets, loadMasterKey } from './crypto/secrets.js';
import { createImageProcessor } from './files/images.js';
import { parseTabular, suggestMapping } from './files/tabular.js';
import { webhookHooks } from './domain/webhooks/issuance-hooks.js';
import type { AppDeps } from './http/deps.js';
import type { WorkerDeps } from './worker/jobs.js';
import { createJobQueue } from './jobs/index.js';
import { enqueueMailDelivery } from './mail/queue.js';
import { enqueueWebhookDelivery } from './jobs/webhook-sender.js';
import { type Logger, createLogger } from './logger.js';
import { renderMail } from './mail/render.js';
import { type DbHandle, migrateToLatest, openDatabase, pingDatabase } from './store/db.js';
import { createStore } from './store/store.js';

export interface Container {
  config: Config;
  logger: Logger;
  handle: DbHandle;
  jobs: JobQueue;
  store: Store;
  /** What the web process and the CLI use. */
  deps: AppDeps;
  /** What the worker process uses (`src/worker`): the issuance ports, mail and webhook delivery settings. */
  workerDeps: WorkerDeps;
  close(): Promise<void>;
}

export interface ComposeOptions {
  role: 'web' | 'worker' | 'cli';
  clock?: Clock;
  logger?: Logger;
  /** An already-open database (tests); otherwise opened from config. */
  handle?: DbHandle;
  /** A stable queue worker id (the supervisor's worker index): jobs left running by a dead incarnation are retried at start. */
  workerId?: string;
  /** Job queue tuning (tests use short leases and polls). */
  jobs?: Parameters<typeof createJobQueue>[1];
  /** Status list sizing and ttl (tests use a small capacity to fill lists). */
  statusListConfig?: AppDeps['statusListConfig'];
  /** The verifier's network access; default: the SSRF-guarded fetcher. Tests pass an offline one (no DNS, no sockets). */
  fetchJson?: GuardedFetch;
  /** DNS resolver for the webhook target check at creation; default: the system's. Tests pass a fake one. */
  lookup?: GuardedPostOptions['lookup'];
}

export async function compose(config: Config, options: ComposeOptions): Promise<Container> {
  const logger = options.logger ?? createLogger({ level: config.log.level });
  const clock = options.clock ?? systemClock;
  const handle = options.handle ?? openDatabase(config.db);
  const masterKey = loadMasterKey({ configured: config.masterKey, dataDir: config.dataDir });
  const secrets = createSecrets(masterKey);
  const passwords = await createPasswordHasher({ concurrency: config.passwordHashConcurrency });
  const jobs = createJobQueue(handle, {
    clock,
    workerId: options.workerId ?? `${options.role}-${os.hostname()}-${process.pid}`,
    reclaimOnStart: options.workerId !== undefined,
    logger: logger.child({ module: 'jobs' }),
    ...options.jobs,
  });
  const store = createStore(handle.db, {
    secrets,
    render: renderMail,
    now: () => clock.now(),
    onMailQueued: async (mailId) => {
      try {
        await enqueueMailDelivery(jobs, mailId);
      } catch (err) {
        // The worker's sweeper re-enqueues queued mails it finds later; nothing is lost.
        logger.warn({ err, mailId }, 'mail enqueue failed; the sweeper will retry');
      }
    },
    onWebhookQueued: async (deliveryId) => {
      try {
        await enqueueWebhookDelivery(jobs, deliveryId);
      } catch (err) {
        // The worker's webhook sweeper enqueues due pending deliveries; nothing is lost.
        logger.warn({ err, deliveryId }, 'webhook enqueue failed; the sweeper will retry');
      }
    },
  });
  const deps: AppDeps = {
    config,
    logger,
    store,
    clock,
    secrets,
    passwords,
    commonPasswords: loadCommonPasswords(),
    baseUrl: config.baseUrl,
    ping: () => pingDatabase(handle.db),
    mailMode: config.mail.smtpUrl ? 'smtp' : 'local',
    issuerKeys: createIssuerKeys(secrets),
    signer: createCredentialSigner({ secrets }),
    random: cryptoRandom,
    jobs,
    tabular: { parse: (bytes) => parseTabular(bytes), suggestMapping },
    issuanceParts: config.workers,
    hooks: webhookHooks({ clock, secrets }),
    checkWebhookTarget: createWebhookTargetCheck({ ...config.webhooks, lookup: options.lookup }),
    imageProcessor: createImageProcessor(),
    statusListConfig: options.statusListConfig,
    resolveOwnDid: (url) => resolveOwnDid(deps, url),
    getOwnStatusList: (url) => getOwnStatusList(deps, url),
    isSuspended: (credentialId, issuer) => isSuspended(deps, credentialId, issuer),
    // Sceau's own DIDs, lists and suspensions come from the database; anything else through the SSRF guard.
    verifier: createCredentialVerifier({
      clock,
      fetchJson: options.fetchJson ?? createGuardedFetch(),
      resolveOwnDid: (did) => deps.resolveOwnDid(did),
      getOwnStatusList: (url) => deps.getOwnStatusList(url),
      isSuspended: (credentialId, issuer) => deps.isSuspended(credentialId, issuer),
      logger: logger.child({ module: 'verifier' }),
    }),
  };
  const workerDeps: WorkerDeps = {
    store,
    clock,
    secrets,
    baseUrl: config.baseUrl,
    jobs,
    logger,
    issuerKeys: deps.issuerKeys,
    signer: deps.signer,
    random: deps.random,
    statusListConfig: deps.statusListConfig,
    tabular: deps.tabular,
    issuanceParts: deps.issuanceParts,
    hooks: deps.hooks,
    mail: { from: config.mail.from, host: config.baseUrl.hostname },
    webhookNetworks: config.webhooks ?? { allowPrivateNetworks: false },
  };
  return {
    config,
    logger,
    handle,
    jobs,
    store,
    deps,
    workerDeps,
    async close() {
      await jobs.stop().catch(() => undefined);
      await handle.close();
    },
  };
}

/** Migrates and reports; throws with the failing migration's error. */
export async function migrate(container: Pick<Container, 'handle' | 'logger'>): Promise<string[]> {
  const result = await migrateToLatest(container.handle.db);
  if (result.error) throw result.error instanceof Error ? result.error : new Error(String(result.error));
  const applied = (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  if (applied.length) container.logger.info({ applied }, 'migrations applied');
  return applied;
}
