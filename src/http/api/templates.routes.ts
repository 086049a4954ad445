/**
 * `/api/v1/templates`: the API key's organisation's credential templates. Registered inside the v1 scope (Bearer
 * key; Idempotency-Key on POST). Every save adds an immutable version: credentials already issued keep theirs.
 * A template of another organisation answers the same 404 as a nonexistent one.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { FIELD_TYPES, TEMPLATE_KINDS, VALIDITY_UNITS } from '../../domain/templates/model.js';
import {
  LIMITS,
  type TemplateInput,
  createTemplate,
  getTemplate,
  listTemplates,
  setTemplateArchived,
  updateTemplate,
} from '../../domain/templates/manage-templates.js';
import type { AppDeps } from '../deps.js';
import { decodeCursor, encodeCursor, page, pageQuery } from './pagination.js';
import { problemResponses } from './schemas.js';
import { IdParams, apiCaller } from './caller.js';
import { TemplateSchema, presentTemplate } from '../presenters/template.js';

// ---- Schemas -------------------------------------------------------------------------------------------------

/** Bodies allow twice the stored limits, so an overlong text answers TEXT_TOO_LONG with its field, not a bare 400. */
const localizedIn = (max: number, what: string) =>
  z
    .object({
      fr: z
        .string()
        .max(max * 2)
        .optional(),
      en: z
        .string()
        .max(max * 2)
        .optional(),
    })
    .strict()
    .describe(`${what} in French and/or English (at most ${max} characters each)`);

export const TemplateBody = z
  .object({
    kind: z.enum(TEMPLATE_KINDS).describe('Kind of credential (OB achievementType: Badge, Certificate, Diploma, CertificateOfCompletion, ext:Transcript)'),
    name: localizedIn(LIMITS.name, 'Name (at least one language)'),
    description: localizedIn(LIMITS.description, 'Description (at least one language)'),
    criteria: localizedIn(LIMITS.criteria, 'Criteria (the description is used when absent)').optional(),
    imageId: z.string().max(64).nullable().optional().describe('An image uploaded with POST /api/v1/images'),
    skills: z
      .array(
        z
          .object({
            name: z.string().max(LIMITS.skillName * 2),
            frameworkUri: z.string().max(2048).nullable().optional().describe('e.g. an ESCO skill URI: emitted as an OB alignment'),
            code: z.string().max(200).nullable().optional(),
          })
          .strict(),
      )
      .max(LIMITS.skills)
      .optional()
      .describe(`At most ${LIMITS.skills} skills; without a framework URI a skill is a tag`),
    validity: z
      .object({
        unit: z.enum(VALIDITY_UNITS),
        n: z.number().int().nullable().optional().describe('Months (1–1200) or years (1–100); ignored for lifetime'),
      })
      .strict()
      .optional()
      .describe('Default: lifetime'),
    fields: z
      .array(
        z
          .object({
            key: z.string().max(80).describe('`[a-z][a-z0-9_]*`, at most 40 characters: the merge field `{{key}}` and the recipient `fields` key'),
            label: localizedIn(LIMITS.label, 'Label'),
            type: z.enum(FIELD_TYPES).optional().describe('Default: text'),
            required: z.boolean().optional(),
          })
          .strict(),
      )
      .max(LIMITS.fields)
      .optional()
      .describe(`Custom values filled per recipient (at most ${LIMITS.fields})`),
    email: z
      .object({
        subject: localizedIn(LIMITS.subject, 'Subject').optional(),
        body: localizedIn(LIMITS.body, 'Body').optional(),
      })
      .strict()
      .optional()
      .describe(
        'Text of the credential e-mail, with merge fields {{name}}, {{credential}}, {{organization}}, {{link}} (or their French spellings) and {{<field key>}}',
      ),
    defaultLocale: z.enum(['fr', 'en']).optional().describe('Language of recipients without one (default: fr when the name has French)'),
  })
  .strict();

const UpdateBody = TemplateBody.extend({
  expectedVersion: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('The version this edit is based on: 409 TEMPLATE_CONFLICT when someone saved another version in between'),
}).strict();

/** The body as the domain's TemplateInput (null optional values mean "absent"). */
function inputOf(body: z.infer<typeof TemplateBody>): TemplateInput {
  return {
    ...body,
    skills: body.skills?.map((s) => ({ name: s.name, frameworkUri: s.frameworkUri ?? undefined, code: s.code ?? undefined })),
  };
}

// ---- Routes ----------------------------------------------------------------------------------------------------

export const templatesApiRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  const security = [{ apiKey: [] }];
  const tags = ['templates'];

  app.get(
    '/templates',
    {
      schema: {
        summary: 'Templates of the organisation, newest first',
        tags,
        security,
        querystring: z.object({
          ...pageQuery,
          status: z.enum(['active', 'archived']).optional(),
          kind: z.enum(TEMPLATE_KINDS).optional(),
        }),
        response: { 200: page(TemplateSchema), ...problemResponses },
      },
    },
    async (request) => {
      const { actor } = apiCaller(request);
      const { limit, cursor, status, kind } = request.query;
      const after = decodeCursor(deps.secrets, cursor, 'templates');
      // An organisation has tens of templates: the keyset runs over the list in memory.
      const all = (await listTemplates(deps, actor, { status })).templates
        .filter((t) => !kind || t.kind === kind)
        .map((t) => ({ t, key: t.createdAt.toISOString() }))
        .sort((a, b) => (a.key === b.key ? (a.t.id < b.t.id ? 1 : -1) : a.key < b.key ? 1 : -1));
      const rest = after ? all.filter((x) => x.key < after.t || (x.key === after.t && x.t.id < after.id)) : all;
      const items = rest.slice(0, limit);
      const last = items[items.length - 1];
      return {
        data: items.map((x) => presentTemplate(x.t)),
        nextCursor: rest.length > limit && last ? encodeCursor(deps.secrets, { t: last.key, id: last.t.id }, 'templates') : null,
      };
    },
  );

  app.post(
    '/templates',
    {
      schema: {
        summary: 'Create a template (version 1)',
        tags,
        security,
        description:
          'Texts are checked after the schema: a missing name or description in both languages answers ' +
          'TEMPLATE_TEXT_REQUIRED, an unknown merge field TEMPLATE_MERGE_FIELD_UNKNOWN, each with its `field`.',
        body: TemplateBody,
        response: { 201: TemplateSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const { actor } = apiCaller(request);
      const template = await createTemplate(deps, actor, { template: inputOf(request.body) });
      return reply.code(201).send(presentTemplate(template));
    },
  );

  app.get(
    '/templates/:id',
    {
      schema: {
        summary: 'One template (its current version)',
        tags,
        security,
        params: IdParams,
        response: { 200: TemplateSchema, ...problemResponses },
      },
    },
    async (request) => {
      const { actor } = apiCaller(request);
      return presentTemplate((await getTemplate(deps, actor, { id: request.params.id })).template);
    },
  );

  app.put(
    '/templates/:id',
    {
      schema: {
        summary: 'Save a new version of a template (the whole content)',
        tags,
        security,
        params: IdParams,
        description:
          'Credentials already issued keep the version they were issued with. An archived template must be ' +
          'restored first (409 TEMPLATE_ARCHIVED). Send `expectedVersion` to refuse overwriting a concurrent save (409 TEMPLATE_CONFLICT).',
        body: UpdateBody,
        response: { 200: TemplateSchema, ...problemResponses },
      },
    },
    async (request) => {
      const { actor } = apiCaller(request);
      const { expectedVersion, ...rest } = request.body;
      const template = await updateTemplate(deps, actor, { id: request.params.id, template: inputOf(rest), expectedVersion });
      return presentTemplate(template);
    },
  );

  const NoBody = z.object({}).strict().nullish().describe('No body (or an empty object)');

  // Archive (stays readable, issues nothing until restored) and restore.
  for (const [verb, archived, summary] of [
    ['archive', true, 'Archive a template: it stays readable, issues nothing until restored'],
    ['restore', false, 'Restore an archived template'],
  ] as const) {
    app.post(
      `/templates/:id/${verb}`,
      { schema: { summary, tags, security, params: IdParams, body: NoBody, response: { 200: TemplateSchema, ...problemResponses } } },
      async (request) => {
        const { actor } = apiCaller(request);
        return presentTemplate(await setTemplateArchived(deps, actor, { id: request.params.id, archived }));
      },
    );
  }
};
