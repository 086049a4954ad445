import { type TemplatesRepository, type ImagesRepository } from '../templates/ports.js';
import { type AuditRepository, type OutboxRepository, type IdempotencyKeysRepository } from './ports.js';
import {
  type UsersRepository,
  type SessionsRepository,
  type CodesRepository,
  type ThrottlesRepository,
  type PasswordResetsRepository,
} from '../accounts/ports.js';
import {
  type OrganizationsRepository,
  type MembershipsRepository,
  type InvitationsRepository,
  type ApiKeysRepository,
  type OverviewRepository,
} from '../organizations/ports.js';
import {
  type IssuerKeysRepository,
  type IssuerProfilesRepository,
  type StatusListsRepository,
  type CredentialsRepository,
  type CredentialEventsRepository,
} from '../credentials/ports.js';
import type { AwardsRepository, IssuanceJobsRepository, ResultsRepository } from '../issuance/ports.js';
import type { WebhooksRepository } from '../webhooks/ports.js';

export interface Repositories {
  users: UsersRepository;
  sessions: SessionsRepository;
  codes: CodesRepository;
  throttles: ThrottlesRepository;
  passwordResets: PasswordResetsRepository;
  organizations: OrganizationsRepository;
  memberships: MembershipsRepository;
  invitations: InvitationsRepository;
  apiKeys: ApiKeysRepository;
  audit: AuditRepository;
  outbox: OutboxRepository;
  issuerKeys: IssuerKeysRepository;
  issuerProfiles: IssuerProfilesRepository;
  statusLists: StatusListsRepository;
  credentials: CredentialsRepository;
  webhooks: WebhooksRepository;
  idempotencyKeys: IdempotencyKeysRepository;
  templates: TemplatesRepository;
  awards: AwardsRepository;
  issuanceJobs: IssuanceJobsRepository;
  credentialEvents: CredentialEventsRepository;
  images: ImagesRepository;
  /** Results, issuance rules (templates.rules) and issuance decisions (automatic issuance). */
  results: ResultsRepository;
  /** The console overview's figures (read-only). */
  overview: OverviewRepository;
}

/** Repositories outside a transaction, and a way to run a unit of work atomically. */
export interface Store extends Repositories {
  transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T>;
}
