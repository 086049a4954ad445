/** Store port of automatic issuance from results (implemented in src/store/results.repository.ts). */
import type { Page, PageRequest } from '../repositories.js';
import type { LocalizedText } from './model.js';
import type { DecisionKind, DecisionReason, IssuanceRules, LearnerResult, PriorAward } from './rules.js';

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
  settle(id: string, outcome: Pick<IssuanceDecision, 'decision' | 'reason' | 'details' | 'awardId' | 'decidedAt'> & { resultId?: string | null }): Promise<boolean>;
  /** Moves a pending decision's due time (rules changed while it waited). */
  reschedule(id: string, dueAt: Date, resultId: string | null, score: number | null): Promise<void>;
  /** Newest first, keyset pagination on (created_at, id). */
  listDecisions(orgId: string, page: PageRequest): Promise<Page<IssuanceDecisionView>>;
  /** Pending decisions due before `before` (the sweeper re-enqueues them after a crash). */
  listDuePending(before: Date, limit: number): Promise<{ id: string; dueAt: Date }[]>;
  /** Pending decisions for these addresses, every organisation (what the holder sees). */
  pendingForEmails(emails: string[]): Promise<PendingCredential[]>;
}
