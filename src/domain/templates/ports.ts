/** Store ports of templates, awards, bulk jobs and credential events (implemented in src/store/templates.repository.ts). */
import type {
  Award, AwardView, CredentialEventKind, IssuanceJob, IssuanceRow, JobCounts, RowStatus, Template, TemplateContent, TemplateStatus,
} from './model.js';

export interface TemplatesRepository {
  /** Inserts the template and its version 1. */
  create(template: Template, createdBy: string | null): Promise<void>;
  find(orgId: string, id: string): Promise<Template | undefined>;
  list(orgId: string, options?: { status?: TemplateStatus }): Promise<Template[]>;
  /** The content of one version (what an award was issued with). */
  findVersion(templateId: string, version: number): Promise<TemplateContent | undefined>;
  /** Adds version `expectedVersion + 1`; false when someone saved in between (the caller reloads). */
  addVersion(id: string, expectedVersion: number, content: TemplateContent, kind: Template['kind'], createdBy: string | null, at: Date): Promise<boolean>;
  setStatus(id: string, status: TemplateStatus, at: Date): Promise<void>;
  saveMapping(id: string, mapping: Record<string, string>): Promise<void>;
}

export interface AwardFilter {
  templateId?: string;
  status?: 'active' | 'suspended' | 'revoked';
  from?: Date;
  to?: Date;
  /** Matches the recipient's name, e-mail or learner id (case-insensitive substring). */
  q?: string;
}

export interface AwardsRepository {
  createMany(awards: Award[]): Promise<void>;
  find(orgId: string, id: string): Promise<AwardView | undefined>;
  /** By the credential's public id (`urn:uuid:…` or the bare UUID), any organisation. */
  findByCredentialId(credentialId: string): Promise<AwardView | undefined>;
  /** Keyset pagination on (created_at, id) descending. */
  list(orgId: string, filter: AwardFilter, page: { limit: number; after?: { createdAt: Date; id: string } }): Promise<AwardView[]>;
  count(orgId: string, filter: AwardFilter): Promise<number>;
  listForHolder(userId: string): Promise<AwardView[]>;
  setMail(id: string, mailId: string): Promise<void>;
  /** A new holder link (its hash) and the e-mail that carries it (re-send). */
  setLink(id: string, linkTokenHash: string, mailId: string): Promise<void>;
  /** The award whose current delivery e-mail is this outbox message (delivery analytics). */
  findByMailId(mailId: string): Promise<Award | undefined>;
  /** Marks the first opening; false when it was already opened. */
  markOpened(id: string, at: Date): Promise<boolean>;
  /** Attaches the award to an account (claim); false when it already belongs to one. */
  claim(id: string, userId: string, at: Date): Promise<boolean>;
  /** Accounts owning these addresses as verified e-mails (address → user id): their credentials go straight in. */
  verifiedAccounts(emails: string[]): Promise<Map<string, string>>;
  /** Awards of the job's rows, by row number (results export). */
  byJob(jobId: string): Promise<Map<number, AwardView>>;
}

export interface IssuanceJobsRepository {
  create(job: IssuanceJob): Promise<void>;
  find(orgId: string, id: string): Promise<IssuanceJob | undefined>;
  findById(id: string): Promise<IssuanceJob | undefined>;
  listForOrg(orgId: string, limit: number): Promise<IssuanceJob[]>;
  update(id: string, patch: Partial<Pick<IssuanceJob, 'status' | 'mapping' | 'totalRows' | 'issuedCount' | 'failedCount' | 'queuedAt' | 'heartbeatAt' | 'completedAt' | 'updatedAt'>>): Promise<void>;
  /** Moves the job from one status to another atomically; false when it was not in `from`. */
  transition(id: string, from: IssuanceJob['status'][], to: IssuanceJob['status'], at: Date): Promise<boolean>;
  insertRows(rows: IssuanceRow[]): Promise<void>;
  /** Rewrites data, errors and status of many rows (after a mapping change or a fix). */
  updateRows(rows: Pick<IssuanceRow, 'jobId' | 'rowNo' | 'data' | 'errors' | 'status'>[]): Promise<void>;
  listRows(jobId: string, options?: { status?: RowStatus[]; afterRowNo?: number; limit?: number; part?: { index: number; of: number } }): Promise<IssuanceRow[]>;
  updateRowCells(jobId: string, rowNo: number, cells: string[]): Promise<void>;
  /** Published jobs not finished yet (the worker's sweeper re-enqueues them after a crash). */
  listUnfinished(limit: number): Promise<IssuanceJob[]>;
  findRow(jobId: string, rowNo: number): Promise<IssuanceRow | undefined>;
  setRowsStatus(jobId: string, from: RowStatus, to: RowStatus): Promise<number>;
  /** Marks pending rows issued in one statement (guarded): returns the row numbers that were still pending. */
  markRowsIssued(jobId: string, rows: { rowNo: number; credentialRowId: string }[]): Promise<Set<number>>;
  markRowFailed(jobId: string, rowNo: number, error: string): Promise<void>;
  counts(jobId: string): Promise<JobCounts>;
}

export interface CredentialEvent { id: string; orgId: string; templateId: string | null; credentialRowId: string; kind: CredentialEventKind; at: Date }

export interface CredentialEventsRepository {
  record(event: CredentialEvent): Promise<void>;
  recordMany(events: CredentialEvent[]): Promise<void>;
  /** Counts per day and kind between two days (`YYYY-MM-DD`, inclusive). */
  countsByDay(orgId: string, templateId: string | null, fromDay: string, toDay: string): Promise<{ day: string; kind: CredentialEventKind; count: number }[]>;
  /** Credentials with at least one event of each kind (distinct credentials, all time). */
  totals(orgId: string, templateId: string | null): Promise<Record<CredentialEventKind, number>>;
}
