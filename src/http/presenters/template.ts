/** The presenter of a credential template (JSON API): its current version, with the achievement id it signs. */
import { z } from 'zod';
import { FIELD_TYPES, TEMPLATE_KINDS, type Template, VALIDITY_UNITS } from '../../domain/templates/model.js';

/** A text in French and/or English, as stored (templates keep both; a signed credential carries one). */
export const LocalizedSchema = z.object({ fr: z.string().optional(), en: z.string().optional() });

export const TemplateContentSchema = z.object({
  name: LocalizedSchema,
  description: LocalizedSchema,
  criteria: LocalizedSchema,
  imageId: z.string().nullable(),
  skills: z.array(z.object({ name: z.string(), frameworkUri: z.string().nullable(), code: z.string().nullable() })),
  validity: z.object({ unit: z.enum(VALIDITY_UNITS), n: z.number().int().nullable() }),
  fields: z.array(z.object({ key: z.string(), label: LocalizedSchema, type: z.enum(FIELD_TYPES), required: z.boolean() })),
  email: z.object({ subject: LocalizedSchema, body: LocalizedSchema }),
  defaultLocale: z.enum(['fr', 'en']),
});

export const TemplateSchema = z
  .object({
    id: z.string(),
    achievementId: z.string().describe('`urn:uuid:…`: the achievement id of every credential issued from this template'),
    kind: z.enum(TEMPLATE_KINDS),
    status: z.enum(['active', 'archived']),
    version: z.number().int().describe('Current version; every save adds one'),
    content: TemplateContentSchema,
    createdAt: z.string(),
    updatedAt: z.string(),
    archivedAt: z.string().nullable(),
  })
  .describe('Credential template');

export const presentTemplate = (t: Template) => ({
  id: t.id,
  achievementId: `urn:uuid:${t.publicId}`,
  kind: t.kind,
  status: t.status,
  version: t.version,
  content: t.content,
  createdAt: t.createdAt.toISOString(),
  updatedAt: t.updatedAt.toISOString(),
  archivedAt: t.archivedAt?.toISOString() ?? null,
});
