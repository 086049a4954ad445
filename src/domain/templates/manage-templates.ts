/**
 * Credential templates: one per kind of credential an organisation awards. Every save adds an immutable version, so
 * what was already issued never changes under its holders; archived templates stay readable but issue nothing.
 */
import { recordAudit } from '../shared/audit.js';
import { AppError } from '../shared/errors.js';
import type { Actor, Locale } from '../shared/model.js';
import { type Action, type OrgScope, authorize } from '../shared/policies.js';
import type { Clock, Secrets } from '../shared/ports.js';
import type { Repositories, Store } from '../shared/store.js';
import { identifierUrl } from '../shared/validation.js';
import {
  FIELD_TYPES,
  type FieldType,
  type LocalizedText,
  TEMPLATE_KINDS,
  type Template,
  type TemplateContent,
  type TemplateField,
  type TemplateKind,
  type TemplateSkill,
  VALIDITY_UNITS,
  type ValidityUnit,
} from './model.js';

export interface TemplateDeps {
  store: Store;
  clock: Clock;
  secrets: Secrets;
}

export const LIMITS = { name: 200, description: 5000, criteria: 5000, skills: 50, skillName: 200, fields: 30, label: 200, subject: 200, body: 5000 } as const;
const LOCALES: Locale[] = ['fr', 'en'];

/** Merge fields usable in e-mail texts, in French and English spellings. */
export const MERGE_FIELDS = ['nom', 'name', 'titre', 'credential', 'organisation', 'organization', 'lien', 'link'] as const;
const RESERVED_KEYS = new Set<string>([...MERGE_FIELDS, 'email', 'courriel', 'learner_id', 'locale', 'langue']);
const KEY_RE = /^[a-z][a-z0-9_]{0,39}$/;

/** What a form or the API sends; every value is checked here. */
export interface TemplateInput {
  kind?: unknown;
  name?: unknown;
  description?: unknown;
  criteria?: unknown;
  imageId?: unknown;
  skills?: unknown;
  validity?: unknown;
  fields?: unknown;
  email?: unknown;
  defaultLocale?: unknown;
}

const invalid = (field: string, code: 'VALIDATION_FAILED' | 'TEMPLATE_TEXT_REQUIRED' = 'VALIDATION_FAILED', params: Record<string, string | number> = {}) =>
  new AppError(code, params, { field });

function plain(raw: unknown, field: string, max: number): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'string') throw invalid(field);
  const v = raw.normalize('NFC').replace(/\r\n?/g, '\n').trim();
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(v)) throw invalid(field);
  if (v.length > max) throw new AppError('TEXT_TOO_LONG', { max }, { field });
  return v || undefined;
}

function localized(raw: unknown, field: string, max: number, required: boolean): LocalizedText {
  if (raw !== undefined && raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) throw invalid(field);
  const o = (raw ?? {}) as Record<string, unknown>;
  const out: LocalizedText = {};
  for (const l of LOCALES) {
    const v = plain(o[l], `${field}.${l}`, max);
    if (v) out[l] = v;
  }
  if (required && !out.fr && !out.en) throw invalid(`${field}.fr`, 'TEMPLATE_TEXT_REQUIRED');
  return out;
}

function oneOf<T extends string>(raw: unknown, list: readonly T[], field: string): T {
  if (typeof raw !== 'string' || !(list as readonly string[]).includes(raw)) throw invalid(field);
  return raw as T;
}

function skillsOf(raw: unknown): TemplateSkill[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw) || raw.length > LIMITS.skills) throw invalid('skills');
  return raw.flatMap((s, i) => {
    if (!s || typeof s !== 'object') throw invalid(`skills.${i}`);
    const o = s as Record<string, unknown>;
    const name = plain(o['name'], `skills.${i}.name`, LIMITS.skillName);
    const uri = o['frameworkUri'] === undefined || o['frameworkUri'] === '' ? null : identifierUrl(o['frameworkUri'], `skills.${i}.frameworkUri`);
    const code = plain(o['code'], `skills.${i}.code`, 100) ?? null;
    if (!name) {
      if (uri || code) throw invalid(`skills.${i}.name`, 'TEMPLATE_TEXT_REQUIRED');
      return [];
    }
    return [{ name, frameworkUri: uri, code }];
  });
}

function fieldsOf(raw: unknown): TemplateField[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw) || raw.length > LIMITS.fields) throw invalid('fields');
  const seen = new Set<string>();
  return raw.flatMap((f, i) => {
    if (!f || typeof f !== 'object') throw invalid(`fields.${i}`);
    const o = f as Record<string, unknown>;
    const keyRaw = typeof o['key'] === 'string' ? o['key'].trim().toLowerCase() : o['key'];
    const label = localized(o['label'], `fields.${i}.label`, LIMITS.label, false);
    if ((keyRaw === '' || keyRaw === undefined) && !label.fr && !label.en) return [];
    if (typeof keyRaw !== 'string' || !KEY_RE.test(keyRaw) || RESERVED_KEYS.has(keyRaw))
      throw new AppError('TEMPLATE_FIELD_KEY_INVALID', {}, { field: `fields.${i}.key` });
    if (seen.has(keyRaw)) throw new AppError('TEMPLATE_FIELD_KEY_DUPLICATE', { key: keyRaw }, { field: `fields.${i}.key` });
    seen.add(keyRaw);
    if (!label.fr && !label.en) throw invalid(`fields.${i}.label.fr`, 'TEMPLATE_TEXT_REQUIRED');
    const type: FieldType = oneOf(o['type'] ?? 'text', FIELD_TYPES, `fields.${i}.type`);
    const required = o['required'] === true || o['required'] === 'true' || o['required'] === 'on';
    return [{ key: keyRaw, label, type, required }];
  });
}

/** `{{name}}` merge fields of a text; unknown ones are refused when the template is saved. */
export function mergeFieldsOf(text: string): string[] {
  return [...text.matchAll(/\{\{\s*([^{}]*?)\s*\}\}/g)].map((m) => m[1]!.toLowerCase());
}

export function validateTemplate(input: TemplateInput): { kind: TemplateKind; content: TemplateContent } {
  if (!input || typeof input !== 'object') throw invalid('kind');
  const kind = oneOf(input.kind, TEMPLATE_KINDS, 'kind');
  const name = localized(input.name, 'name', LIMITS.name, true);
  const description = localized(input.description, 'description', LIMITS.description, true);
  const criteria = localized(input.criteria, 'criteria', LIMITS.criteria, false);
  const imageId = input.imageId === undefined || input.imageId === null || input.imageId === '' ? null : input.imageId;
  if (imageId !== null && (typeof imageId !== 'string' || !/^[A-Za-z0-9_-]{8,64}$/.test(imageId))) throw invalid('imageId');
  const v = (input.validity ?? { unit: 'lifetime' }) as Record<string, unknown>;
  if (typeof v !== 'object') throw invalid('validity.unit');
  const unit: ValidityUnit = oneOf(v['unit'] ?? 'lifetime', VALIDITY_UNITS, 'validity.unit');
  let n: number | null = null;
  if (unit !== 'lifetime') {
    n = typeof v['n'] === 'string' && /^\d+$/.test(v['n'].trim()) ? Number(v['n']) : typeof v['n'] === 'number' ? v['n'] : Number.NaN;
    const max = unit === 'months' ? 1200 : 100;
    if (!Number.isInteger(n) || n < 1 || n > max) throw new AppError('TEMPLATE_VALIDITY_INVALID', { max }, { field: 'validity.n' });
  }
  const fields = fieldsOf(input.fields);
  const e = (input.email ?? {}) as Record<string, unknown>;
  if (typeof e !== 'object') throw invalid('email');
  const subject = localized(e['subject'], 'email.subject', LIMITS.subject, false);
  const body = localized(e['body'], 'email.body', LIMITS.body, false);
  const allowed = new Set<string>([...MERGE_FIELDS, ...fields.map((f) => f.key)]);
  for (const [part, texts] of [
    ['subject', subject],
    ['body', body],
  ] as const) {
    for (const l of LOCALES) {
      const unknown = mergeFieldsOf(texts[l] ?? '').find((f) => !allowed.has(f));
      if (unknown !== undefined)
        throw new AppError(
          'TEMPLATE_MERGE_FIELD_UNKNOWN',
          { name: `{{${unknown}}}`, available: [...allowed].map((f) => `{{${f}}}`).join(', ') },
          { field: `email.${part}.${l}` },
        );
    }
  }
  const defaultLocale: Locale = oneOf(input.defaultLocale ?? (name.fr ? 'fr' : 'en'), LOCALES, 'defaultLocale');
  return {
    kind,
    content: {
      name,
      description,
      criteria,
      imageId: imageId as string | null,
      skills: skillsOf(input.skills),
      validity: { unit, n },
      fields,
      email: { subject, body },
      defaultLocale,
    },
  };
}

/** The text in the wanted language, else the other one. */
export function pick(text: LocalizedText, locale: Locale): string {
  return text[locale] ?? text[locale === 'fr' ? 'en' : 'fr'] ?? '';
}

async function checkImage(tx: Repositories, orgId: string, imageId: string | null): Promise<void> {
  if (!imageId) return;
  const images = (tx as unknown as { images?: { find(orgId: string, id: string): Promise<unknown> } }).images;
  if (images && !(await images.find(orgId, imageId))) throw new AppError('VALIDATION_FAILED', {}, { field: 'imageId' });
}

/** The organisation's templates with one status (`active` by default), for anyone who may view them. */
export async function listTemplates(
  deps: TemplateDeps,
  actor: Actor,
  input: { slug?: string; status?: Template['status'] },
): Promise<OrgScope & { templates: Template[] }> {
  const scope = await authorize(deps, actor, { action: 'templates.view', slug: input.slug });
  return { ...scope, templates: await deps.store.templates.list(scope.org.id, input.status ? { status: input.status } : {}) };
}

/**
 * One template of the organisation (a foreign or missing id: NOT_FOUND). `action` is what the caller is about to do
 * with it: `templates.view` (default), `templates.edit` (editor) or `credentials.issue` (issuing form).
 */
export async function getTemplate(
  deps: TemplateDeps,
  actor: Actor,
  input: { slug?: string; id: string; action?: Extract<Action, 'templates.view' | 'templates.edit' | 'credentials.issue'> },
): Promise<OrgScope & { template: Template }> {
  const scope = await authorize(deps, actor, { action: input.action ?? 'templates.view', slug: input.slug });
  const template = await deps.store.templates.find(scope.org.id, input.id);
  if (!template) throw new AppError('NOT_FOUND');
  return { ...scope, template };
}

export async function createTemplate(deps: TemplateDeps, actor: Actor, input: { slug?: string; template: TemplateInput }): Promise<Template> {
  const { org } = await authorize(deps, actor, { action: 'templates.edit', slug: input.slug });
  const { kind, content } = validateTemplate(input.template);
  const now = deps.clock.now();
  const template: Template = {
    id: deps.secrets.newId(),
    orgId: org.id,
    publicId: deps.secrets.newPublicId(),
    kind,
    status: 'active',
    version: 1,
    content,
    mapping: null,
    createdAt: now,
    updatedAt: now,
    archivedAt: null,
  };
  await deps.store.transaction(async (tx) => {
    await checkImage(tx, org.id, content.imageId);
    await tx.templates.create(template, actor.kind === 'user' ? actor.userId : null);
    await recordAudit(tx, deps, { actor, action: 'template.created', orgId: org.id, targetType: 'template', targetId: template.id });
  });
  return template;
}

/** Saves a new version. `expectedVersion` guards against overwriting a concurrent save (409). */
export async function updateTemplate(
  deps: TemplateDeps,
  actor: Actor,
  input: { slug?: string; id: string; template: TemplateInput; expectedVersion?: number },
): Promise<Template> {
  const { id, expectedVersion } = input;
  const { org } = await authorize(deps, actor, { action: 'templates.edit', slug: input.slug });
  const current = await deps.store.templates.find(org.id, id);
  if (!current) throw new AppError('NOT_FOUND');
  if (current.status === 'archived') throw new AppError('TEMPLATE_ARCHIVED');
  const { kind, content } = validateTemplate(input.template);
  const base = expectedVersion ?? current.version;
  await deps.store.transaction(async (tx) => {
    await checkImage(tx, org.id, content.imageId);
    const ok = await tx.templates.addVersion(id, base, content, kind, actor.kind === 'user' ? actor.userId : null, deps.clock.now());
    if (!ok) throw new AppError('TEMPLATE_CONFLICT');
    await recordAudit(tx, deps, { actor, action: 'template.updated', orgId: org.id, targetType: 'template', targetId: id, details: { version: base + 1 } });
  });
  return (await deps.store.templates.find(org.id, id))!;
}

export async function setTemplateArchived(deps: TemplateDeps, actor: Actor, input: { slug?: string; id: string; archived: boolean }): Promise<Template> {
  const { id, archived } = input;
  const { org } = await authorize(deps, actor, { action: 'templates.edit', slug: input.slug });
  const current = await deps.store.templates.find(org.id, id);
  if (!current) throw new AppError('NOT_FOUND');
  await deps.store.transaction(async (tx) => {
    await tx.templates.setStatus(id, archived ? 'archived' : 'active', deps.clock.now());
    await recordAudit(tx, deps, { actor, action: archived ? 'template.archived' : 'template.restored', orgId: org.id, targetType: 'template', targetId: id });
  });
  return (await deps.store.templates.find(org.id, id))!;
}

/** Kind → OB 3.0 achievementType. */
export const ACHIEVEMENT_TYPE_OF: Record<TemplateKind, string> = {
  badge: 'Badge',
  certificate: 'Certificate',
  diploma: 'Diploma',
  attestation: 'CertificateOfCompletion',
  transcript: 'ext:Transcript',
};

/** OB resultType of each field type. */
export const RESULT_TYPE_OF: Record<FieldType, string> = { text: 'ext:Text', number: 'RawScore', date: 'ext:Date', grade: 'LetterGrade' };
