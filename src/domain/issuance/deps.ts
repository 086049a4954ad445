/**
 * What the issuance use cases take (`deps`): the issuing ports, the job queue, the spreadsheet reader, and the hooks
 * other features attach to issuance transactions. Kept apart from ports.ts, which the store port imports.
 */
import type { JobQueue } from '../shared/ports.js';
import type { Repositories } from '../shared/store.js';
import type { IssuingDeps } from '../credentials/issue-credentials.js';
import type { StatusHooks } from '../credentials/status-lists.js';
import type { Award, IssuanceJob, JobCounts } from './model.js';
import type { TabularReader } from './ports.js';

/** Hooks that other features attach to an issuance inside its transaction (webhooks). */
export interface AwardHooks {
  onIssued?(tx: Repositories, award: Award, credentialId: string): Promise<void>;
}

/** What other features (webhooks) do inside the transactions of issuance, status changes and job completion. */
export type IssuanceHooks = AwardHooks &
  StatusHooks & {
    onJobCompleted?(tx: Repositories, job: IssuanceJob, counts: JobCounts): Promise<void>;
  };

/** The ports of every issuance use case (the web process and the worker). */
export interface IssuanceDeps extends IssuingDeps {
  jobs: JobQueue;
  tabular: TabularReader;
  hooks?: IssuanceHooks;
  /** Parallel parts of a job (one per worker process); 1 by default. */
  issuanceParts?: number;
}
