import type { Kysely } from 'kysely';
import type { Repositories, Store } from '../domain/repositories.js';
import type { Secrets } from '../domain/ports.js';
import { auditRepository } from './audit.repository.js';
import {
  credentialsRepository, issuerKeysRepository, issuerProfilesRepository, statusListsRepository,
} from './credentials.repository.js';
import { type MailRenderer, outboxRepository } from './outbox.repository.js';
import {
  apiKeysRepository, invitationsRepository, membershipsRepository, organizationsRepository,
} from './organizations.repository.js';
import {
  codesRepository, passwordResetsRepository, sessionsRepository, throttlesRepository, usersRepository,
} from './users.repository.js';
import type { Database } from './tables.js';

export interface StoreDeps {
  secrets: Secrets;
  render: MailRenderer;
  now: () => Date;
  /** Called after the transaction that queued a mail commits (enqueue the send job there). */
  onMailQueued: (mailId: string) => void | Promise<void>;
}

function repositories(db: Kysely<Database>, deps: StoreDeps, onQueued: (id: string) => void): Repositories {
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
  };
}

/** The Store port on Kysely. Mails queued inside a transaction are announced only after it commits. */
export function createStore(db: Kysely<Database>, deps: StoreDeps): Store {
  const announce = (id: string) => void Promise.resolve(deps.onMailQueued(id)).catch(() => undefined);
  return {
    ...repositories(db, deps, announce),
    async transaction(work) {
      const queued: string[] = [];
      const result = await db.transaction().execute((trx) => work(repositories(trx, deps, (id) => queued.push(id))));
      for (const id of queued) announce(id);
      return result;
    },
  };
}
