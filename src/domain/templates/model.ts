/** Credential templates, awards and bulk issuance jobs: plain domain data (rows are mapped in `src/store`). */
import type { Locale } from '../shared/model.js';

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
export type ImageContentType = 'image/png' | 'image/jpeg';

/** Largest upload accepted (any format). */
export const IMAGE_MAX_BYTES = 2 * 1024 * 1024;

/** Largest SVG accepted (it is parsed and rendered). */
export const SVG_MAX_BYTES = 1024 * 1024;

/** Largest PNG/JPEG width and height, in pixels. */
export const IMAGE_MAX_SIDE = 4096;

/** An SVG is rendered so that its longer side is this many pixels (ratio kept). */
export const SVG_RASTER_SIZE = 1024;

/** What the console lists (no bytes). */
export interface ImageMeta {
  /** Random public id (the last segment of the public URL). */
  id: string;
  orgId: string;
  contentType: ImageContentType;
  /** SHA-256 (hex) of the stored bytes: the ETag, and the deduplication key within the organisation. */
  sha256: string;
  width: number;
  height: number;
  byteSize: number;
  /** The user who uploaded it (null through an API key: the audit log names the key). */
  createdBy: string | null;
  createdAt: Date;
}

export interface StoredImage extends ImageMeta {
  bytes: Buffer;
}

/** The format and pixel size recognised from an upload's bytes (an SVG's size is its intrinsic size). */
export interface InspectedImage {
  type: 'png' | 'jpeg' | 'svg';
  width: number;
  height: number;
}

/** Why an upload cannot be used: not PNG/JPEG/SVG (`unsupported`), or truncated, corrupt or followed by other data (`corrupt`). */
export interface ImageProblem {
  error: 'unsupported' | 'corrupt';
}

export const isImageProblem = (v: object): v is ImageProblem => 'error' in v;
