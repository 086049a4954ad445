import type { Kysely } from 'kysely';
import type { Repositories, Store } from '../domain/shared/store.js';
import type { Secrets } from '../domain/shared/ports.js';
import { auditRepository } from './audit.repository.js';
import {
  credentialsRepository,
  issuerKeysRepository,
  issuerProfilesRepository,
  statusListsRepository,
  credentialEventsRepository,
} from './credentials.repository.js';
import { type MailRenderer, outboxRepository } from './outbox.repository.js';
import { apiKeysRepository, invitationsRepository, membershipsRepository, organizationsRepository } from './organizations.repository.js';
import { codesRepository, passwordResetsRepository, sessionsRepository, throttlesRepository, usersRepository } from './accounts.repository.js';
import { idempotencyKeysRepository } from './idempotency.repository.js';
import { imagesRepository } from './images.repository.js';
import { resultsRepository } from './results.repository.js';
import { overviewRepository } from './overview.repository.js';
import type { Database } from './tables.js';
import { webhooksRepository } from './webhooks.repository.js';
import { templatesRepository } from './templates.repository.js';
import { awardsRepository, issuanceJobsRepository } from './issuance.repository.js';

export interface StoreDeps {
  secrets: Secrets;
  render: MailRenderer;
  now: () => Date;
  /** Called after the transaction that queued a mail commits (enqueue the send job there). */
  onMailQueued: (mailId: string) => void | Promise<void>;
  /** Called after the transaction that queued a webhook delivery commits (enqueue the delivery job there). */
  onWebhookQueued?: (deliveryId: string) => void | Promise<void>;
}

function repositories(
  db: Kysely<Database>,
  deps: StoreDeps,
  onQueued: (id: string) => void,
  onWebhookQueued: (id: string) => void = () => undefined,
): Repositories {
  return {
    users: usersRepository(db),
    sessions: sessionsRepository(db),
    codes: codesRepository(db),
    throttles: throttlesRepository(db),
    passwordResets: passwordResetsRepository(db),
    organizations: organizationsRepository(db),
    memberships: membershipsRepository(db),
    invitations: invitationsRepository(db),
    apiKeys: apiKeysRepository(db),
    audit: auditRepository(db),
    outbox: outboxRepository(db, { secrets: deps.secrets, render: deps.render, now: deps.now, onQueued }),
    issuerKeys: issuerKeysRepository(db),
    issuerProfiles: issuerProfilesRepository(db),
    statusLists: statusListsRepository(db),
    credentials: credentialsRepository(db),
    webhooks: webhooksRepository(db, { onQueued: onWebhookQueued }),
    templates: templatesRepository(db),
    awards: awardsRepository(db),
    issuanceJobs: issuanceJobsRepository(db),
    credentialEvents: credentialEventsRepository(db),
    idempotencyKeys: idempotencyKeysRepository(db, deps.secrets),
    images: imagesRepository(db),
    results: resultsRepository(db),
    overview: overviewRepository(db),
  };
}

/**
 * The Store port on Kysely. Mails and webhook deliveries queued inside a transaction are announced only after it
 * commits (nothing is announced when it rolls back).
 */
export function createStore(db: Kysely<Database>, deps: StoreDeps): Store {
  const announce = (id: string) => void Promise.resolve(deps.onMailQueued(id)).catch(() => undefined);
  const announceWebhook = (id: string) => void Promise.resolve(deps.onWebhookQueued?.(id)).catch(() => undefined);
  return {
    ...repositories(db, deps, announce, announceWebhook),
    async transaction(work) {
      const queued: string[] = [];
      const queuedWebhooks: string[] = [];
      const result = await db.transaction().execute((trx) =>
        work(
          repositories(
            trx,
            deps,
            (id) => queued.push(id),
            (id) => queuedWebhooks.push(id),
          ),
        ),
      );
      for (const id of queued) announce(id);
      for (const id of queuedWebhooks) announceWebhook(id);
      return result;
    },
  };
}
