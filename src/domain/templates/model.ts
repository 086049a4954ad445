/** Credential templates, awards and bulk issuance jobs: plain domain data (rows are mapped in `src/store`). */
import type { Locale } from '../model.js';

export const TEMPLATE_KINDS = ['badge', 'certificate', 'diploma', 'attestation', 'transcript'] as const;
export type TemplateKind = (typeof TEMPLATE_KINDS)[number];
export const FIELD_TYPES = ['text', 'number', 'date', 'grade'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];
export const VALIDITY_UNITS = ['lifetime', 'months', 'years'] as const;
export type ValidityUnit = (typeof VALIDITY_UNITS)[number];

/** A text in French and/or English (at least one). */
export type LocalizedText = Partial<Record<Locale, string>>;

export interface TemplateField {
  /** `[a-z][a-z0-9_]*`: the merge-field name and the CSV mapping target `field:<key>`. */
  key: string;
  label: LocalizedText;
  type: FieldType;
  required: boolean;
}

export interface TemplateSkill {
  name: string;
  /** e.g. an ESCO skill URI; emitted as an OB alignment when present, as a tag otherwise. */
  frameworkUri: string | null;
  code: string | null;
}

export interface TemplateContent {
  name: LocalizedText;
  description: LocalizedText;
  criteria: LocalizedText;
  imageId: string | null;
  skills: TemplateSkill[];
  validity: { unit: ValidityUnit; n: number | null };
  fields: TemplateField[];
  email: { subject: LocalizedText; body: LocalizedText };
  defaultLocale: Locale;
}

export type TemplateStatus = 'active' | 'archived';

export interface Template {
  id: string;
  orgId: string;
  /** Random: the achievement id of every credential of this template is `urn:uuid:<publicId>`. */
  publicId: string;
  kind: TemplateKind;
  status: TemplateStatus;
  /** The current version; every save adds one. */
  version: number;
  content: TemplateContent;
  /** The CSV column mapping last used with this template (header → target). */
  mapping: Record<string, string> | null;
  createdAt: Date;
  updatedAt: Date;
  archivedAt: Date | null;
}

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

export const EVENT_KINDS = ['issued', 'delivered', 'opened', 'claimed', 'shared', 'verified'] as const;
export type CredentialEventKind = (typeof EVENT_KINDS)[number];
