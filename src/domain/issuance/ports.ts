import type { Award, AwardView, IssuanceJob, IssuanceRow, JobCounts, RowStatus } from './model.js';
import type { LocalizedText } from '../templates/model.js';
import type { DecisionKind, DecisionReason, IssuanceRules, LearnerResult, PriorAward } from './rules.js';
import type { Page, PageRequest } from '../shared/model.js';

/** Reads uploaded spreadsheets (src/files/tabular.ts). Throws AppError (4xx) for files it cannot read. */
export interface TabularReader {
  parse(bytes: Uint8Array): Promise<{ format: 'csv' | 'xlsx'; headers: string[]; rows: { line: number; cells: string[] }[] }>;
  /** Target key → the header that best matches it (or null). */
  suggestMapping(headers: string[], targets: { key: string; aliases: string[] }[]): Record<string, string | null>;
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
  update(
    id: string,
    patch: Partial<
      Pick<IssuanceJob, 'status' | 'mapping' | 'totalRows' | 'issuedCount' | 'failedCount' | 'queuedAt' | 'heartbeatAt' | 'completedAt' | 'updatedAt'>
    >,
  ): Promise<void>;
  /** Moves the job from one status to another atomically; false when it was not in `from`. */
  transition(id: string, from: IssuanceJob['status'][], to: IssuanceJob['status'], at: Date): Promise<boolean>;
  insertRows(rows: IssuanceRow[]): Promise<void>;
  /** Rewrites data, errors and status of many rows (after a mapping change or a fix). */
  updateRows(rows: Pick<IssuanceRow, 'jobId' | 'rowNo' | 'data' | 'errors' | 'status'>[]): Promise<void>;
  listRows(
    jobId: string,
    options?: { status?: RowStatus[]; afterRowNo?: number; limit?: number; part?: { index: number; of: number } },
  ): Promise<IssuanceRow[]>;
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
/** One evaluation of a template's rules for one learner: the log the issuer reads. */
export interface IssuanceDecision {
  id: string;
  orgId: string;
  templateId: string;
  email: string;
  name: string;
  learnerId: string | null;
  /** The result that triggered (or, once issued, completed) the decision. */
  resultId: string | null;
  decision: DecisionKind;
  reason: DecisionReason | null;
  /** e.g. `{ missing: 'a,b' }`, `{ score, minScore }`, `{ code }` of a failed issuance. */
  details: Record<string, string | number | null> | null;
  /** The score written into the credential's score field (when the template has one). */
  score: number | null;
  /** pending: when the credential is due. */
  dueAt: Date | null;
  awardId: string | null;
  createdAt: Date;
  decidedAt: Date | null;
}

/** A decision with what lists show: the template's name and the issued credential's public id. */
export interface IssuanceDecisionView extends IssuanceDecision {
  templateName: LocalizedText;
  credentialId: string | null;
}

/** A delayed credential as its future holder sees it. */
export interface PendingCredential {
  decisionId: string;
  orgName: string;
  /** The organisation's time zone (the holder sees the expected time in it). */
  orgTimeZone: string;
  templateName: LocalizedText;
  dueAt: Date;
}

export interface ResultsRepository {
  /**
   * Stores results; a result identical to one already stored (same learner, activity, date, score and outcome) is
   * not stored twice. Returns the stored id of every input, in order (the existing id for a duplicate).
   */
  insertResults(results: (LearnerResult & { fingerprint: string })[]): Promise<string[]>;
  /** The learner's results for these activities (any date), oldest first. */
  resultsOf(orgId: string, email: string, activities: string[]): Promise<LearnerResult[]>;
  /** Rules of the organisation's active templates that have rules (enabled or not). */
  rulesOfOrg(orgId: string): Promise<{ templateId: string; rules: IssuanceRules }[]>;
  getRules(orgId: string, templateId: string): Promise<IssuanceRules | null>;
  setRules(orgId: string, templateId: string, rules: IssuanceRules): Promise<void>;
  /** The learner's credentials of the template (revoked included). */
  priorAwards(orgId: string, templateId: string, email: string): Promise<PriorAward[]>;
  /** Inserts a `pending` decision; false when (template, e-mail) already has one (nothing inserted). */
  insertPending(decision: IssuanceDecision): Promise<boolean>;
  findPending(templateId: string, email: string): Promise<IssuanceDecision | undefined>;
  /** By id; `orgId` null: any organisation (the worker). */
  findDecision(orgId: string | null, id: string): Promise<IssuanceDecision | undefined>;
  /** Moves a `pending` decision to its outcome (guarded: false when it was not pending any more). */
  settle(
    id: string,
    outcome: Pick<IssuanceDecision, 'decision' | 'reason' | 'details' | 'awardId' | 'decidedAt'> & { resultId?: string | null },
  ): Promise<boolean>;
  /** Moves a pending decision's due time (rules changed while it waited). */
  reschedule(id: string, dueAt: Date, resultId: string | null, score: number | null): Promise<void>;
  /** Newest first, keyset pagination on (created_at, id). */
  listDecisions(orgId: string, page: PageRequest): Promise<Page<IssuanceDecisionView>>;
  /** Pending decisions due before `before` (the sweeper re-enqueues them after a crash). */
  listDuePending(before: Date, limit: number): Promise<{ id: string; dueAt: Date }[]>;
  /** Pending decisions for these addresses, every organisation (what the holder sees). */
  pendingForEmails(emails: string[]): Promise<PendingCredential[]>;
}
