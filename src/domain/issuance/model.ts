import type { ErrorCode } from '../shared/errors.js';
import type { Locale } from '../shared/model.js';
import type { LocalizedText } from '../templates/model.js';

/**
 * Who receives a credential, with the template's field values, as `checkRecipients` returns it (validated and
 * normalised): the only input of `issueBatch`.
 */
export interface Recipient {
  name: string;
  email: string;
  learnerId: string | null;
  locale: Locale;
  fields: Record<string, string>;
}

/** What a recipient's value is reported against: `name`, `email`, `learnerId`, `locale` or `field:<key>`. */
export type RecipientTarget = 'name' | 'email' | 'learnerId' | 'locale' | `field:${string}`;

/** A value as a source read it: text (a cell, a form input, a JSON string), a JSON number, or nothing. */
export type DraftValue = string | number | null | undefined;

/**
 * One recipient as a source read it, before any check: every source (the one-off form, spreadsheet rows through
 * their column mapping, API records, learners' results) converts its own format into drafts, and `checkRecipients`
 * checks them all the same way.
 */
export interface RecipientDraft {
  name?: string;
  email?: string;
  learnerId?: DraftValue;
  /** `fr`, `en` or a word for them (`français`, `english`, `fr-CA`…); empty: the template's default language. */
  locale?: string | null;
  /** Values of the template's custom fields by key (keys the template does not have are ignored). */
  fields?: Record<string, DraftValue>;
  /**
   * Values the source received with a type it cannot take (a JSON boolean, object or array): each is reported as an
   * invalid value of its target, whatever else the draft says.
   */
  wrongTypes?: readonly RecipientTarget[];
}

/** A problem with one draft: its position in the list (from 0), the target and the message code. */
export interface RecipientError {
  index: number;
  target: string;
  code: ErrorCode;
  /** For duplicates: the position of the first draft with the same e-mail. */
  firstIndex?: number;
}

export interface Award {
  /** The credential row id. */
  id: string;
  orgId: string;
  templateId: string;
  templateVersion: number;
  jobId: string | null;
  rowNo: number | null;
  recipient: Recipient;
  /** Set when the address was a verified e-mail of an account: the credential went straight into it. */
  holderUserId: string | null;
  linkTokenHash: string;
  mailId: string | null;
  openedAt: Date | null;
  claimedAt: Date | null;
  createdAt: Date;
}

/** An award with what lists and detail pages show of its credential. */
export interface AwardView extends Award {
  credentialId: string;
  templateName: LocalizedText;
  status: 'active' | 'suspended' | 'revoked';
  mailStatus: 'queued' | 'sent' | 'local' | 'dead' | null;
  mailAttempts: number;
  mailError: string | null;
  validUntil: Date | null;
}

export const JOB_STATUSES = ['draft', 'queued', 'running', 'completed', 'cancelled'] as const;

export type JobStatus = (typeof JOB_STATUSES)[number];

export type JobSource = 'csv' | 'xlsx' | 'api';

export interface IssuanceJob {
  id: string;
  orgId: string;
  templateId: string;
  templateVersion: number;
  source: JobSource;
  filename: string | null;
  status: JobStatus;
  headers: string[];
  mapping: Record<string, string> | null;
  totalRows: number;
  issuedCount: number;
  failedCount: number;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
  queuedAt: Date | null;
  /** Last sign of life of a running part (the sweeper re-enqueues jobs whose run was lost). */
  heartbeatAt: Date | null;
  completedAt: Date | null;
}

export type RowStatus = 'invalid' | 'valid' | 'excluded' | 'pending' | 'issued' | 'failed';

/** A problem with one value of a row: the target (`email`, `name`, `field:grade`…) and a message code. */
export interface RowError {
  target: string;
  code: string;
  /** Line of the first occurrence, for duplicates. */
  line?: number;
}

export interface IssuanceRow {
  jobId: string;
  rowNo: number;
  cells: string[];
  data: Recipient | null;
  errors: RowError[];
  status: RowStatus;
  credentialRowId: string | null;
  error: string | null;
}

export interface JobCounts {
  total: number;
  invalid: number;
  valid: number;
  excluded: number;
  pending: number;
  issued: number;
  failed: number;
}
