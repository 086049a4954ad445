import type { Locale } from '../shared/model.js';
import { type LocalizedText } from '../templates/model.js';

/** Who receives a credential, with the template's field values (already validated and normalised). */
export interface Recipient {
  name: string;
  email: string;
  learnerId: string | null;
  locale: Locale;
  fields: Record<string, string>;
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
