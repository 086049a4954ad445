/**
 * Console: credential templates (list, editor with live preview, archive/restore) and one-off issuance. Every route
 * resolves the organisation through `authorize` (outsiders: the 404 of a missing organisation) and looks templates up
 * within it (a foreign id answers like a missing one). Reviewers read; admins and staff write (PERMISSIONS).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../domain/shared/errors.js';
import { type OrgScope, authorize, can } from '../../domain/shared/policies.js';
import { issueOne } from '../../domain/issuance/issue-one.js';
import type { Template, TemplateContent, ImageMeta } from '../../domain/templates/model.js';
import {
  LIMITS,
  type TemplateInput,
  createTemplate,
  getTemplate,
  listTemplates,
  setTemplateArchived,
  updateTemplate,
  validateTemplate,
} from '../../domain/templates/manage-templates.js';
import type { AppDeps } from '../../http/deps.js';
import { localizedMessage } from '../../http/plugins/errors.js';
import type { Html } from '../../shared/html.js';
import { type PageContext, pageContext } from '../layout.js';
import type { FormState } from '../pages/auth.js';
import { cardFromTemplate, credentialCard, sampleRecipient } from '../pages/credential-card.js';
import {
  FIELD_COLUMNS,
  type FormValues,
  SKILL_COLUMNS,
  formValuesOf,
  issuePage,
  previewContent,
  templateEditorPage,
  templateViewPage,
  templatesListPage,
} from '../pages/templates.js';
import { csrf, formState, htmlResponse, redirectResponse, sendHtml, statusOf, text, userActor } from './helpers.js';
import type { Organization } from '../../domain/organizations/model.js';

const LOCALES = ['fr', 'en'] as const;
const lang = { lang: z.enum(LOCALES).optional() };

/**
 * The editor form, field by field (unknown keys are dropped): generous caps so that the domain, not the schema, names
 * the field that is too long; one entry per row the domain allows.
 */
const editorShape: Record<string, z.ZodOptional<z.ZodString>> = {};
for (const k of ['kind', 'imageId', 'validity.unit', 'validity.n', 'defaultLocale', 'version', 'templateId', 'add']) editorShape[k] = text(100).optional();
for (const l of LOCALES) {
  editorShape[`name.${l}`] = text(2000).optional();
  editorShape[`description.${l}`] = text(20_000).optional();
  editorShape[`criteria.${l}`] = text(20_000).optional();
  editorShape[`email.subject.${l}`] = text(2000).optional();
  editorShape[`email.body.${l}`] = text(20_000).optional();
}
for (let i = 0; i < LIMITS.skills; i++) for (const c of SKILL_COLUMNS) editorShape[`skills.${i}.${c}`] = text(c === 'frameworkUri' ? 4000 : 1000).optional();
for (let i = 0; i < LIMITS.fields; i++) for (const c of FIELD_COLUMNS) editorShape[`fields.${i}.${c}`] = text(1000).optional();
const editorBody = z.object({ ...csrf, ...editorShape });

/** The one-off issuance form: recipient, then one value per custom field in the template's order. */
const issueShape: Record<string, z.ZodOptional<z.ZodString>> = {
  name: text(1000).optional(),
  email: text(1000).optional(),
  learnerId: text(1000).optional(),
  locale: text(20).optional(),
  version: text(20).optional(),
};
for (let i = 0; i < LIMITS.fields; i++) issueShape[`fields.${i}`] = text(2000).optional();
const issueBody = z.object({ ...csrf, ...issueShape });

type Body = Record<string, string | undefined>;

/** Only the form's own fields are kept for re-rendering (never `_csrf`). */
function formValues(body: Body): FormValues {
  const out: FormValues = {};
  for (const [k, v] of Object.entries(body)) if (k !== '_csrf' && k !== 'add' && typeof v === 'string') out[k] = v;
  return out;
}

/** How many rows of a group the form sent (rows keep their index, so an error names the row the issuer sees). */
function sentRows(body: Body, prefix: string, columns: readonly string[], max: number): number {
  let n = 0;
  for (let i = 0; i < max; i++) if (columns.some((c) => body[`${prefix}.${i}.${c}`] !== undefined)) n = i + 1;
  return n;
}

/** The flat editor form → `TemplateInput` (the domain validates everything; empty rows are ignored there). */
export function templateInputOf(body: Body): TemplateInput {
  const loc = (p: string) => ({ fr: body[`${p}.fr`], en: body[`${p}.en`] });
  const skills = Array.from({ length: sentRows(body, 'skills', SKILL_COLUMNS, LIMITS.skills) }, (_, i) => ({
    name: body[`skills.${i}.name`] ?? '',
    frameworkUri: (body[`skills.${i}.frameworkUri`] ?? '').trim(),
    code: body[`skills.${i}.code`] ?? '',
  }));
  const fields = Array.from({ length: sentRows(body, 'fields', FIELD_COLUMNS, LIMITS.fields) }, (_, i) => ({
    key: body[`fields.${i}.key`] ?? '',
    label: loc(`fields.${i}.label`),
    type: body[`fields.${i}.type`] || 'text',
    required: body[`fields.${i}.required`] === 'on',
  }));
  return {
    kind: body['kind'],
    name: loc('name'),
    description: loc('description'),
    criteria: loc('criteria'),
    imageId: body['imageId'] || null,
    skills,
    validity: { unit: body['validity.unit'] || 'lifetime', n: body['validity.n'] ?? '' },
    fields,
    email: { subject: loc('email.subject'), body: loc('email.body') },
    defaultLocale: body['defaultLocale'] || undefined,
  };
}

function versionOf(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d{1,9}$/.test(raw)) throw new AppError('TEMPLATE_CONFLICT');
  return Number(raw);
}

export const templatesRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  const hide = { hide: true };
  const slugParams = z.object({ slug: text(63) });
  const idParams = z.object({ slug: text(63), id: text(64) });
  const DONE = ['created', 'saved', 'archived', 'restored'] as const;

  /** The card of a template version for the sample recipient ("Camille Exemple"), in the page's language. */
  function sampleCard(
    ctx: PageContext,
    org: Organization,
    template: Pick<Template, 'publicId' | 'kind'>,
    content: TemplateContent,
    images: ImageMeta[],
    level: 2 | 3 = 3,
  ): Html {
    const now = deps.clock.now();
    // An image that is not the organisation's is not shown (saving refuses it anyway).
    const shown = content.imageId && !images.some((i) => i.id === content.imageId) ? { ...content, imageId: null } : content;
    const recipient = sampleRecipient(shown, ctx.locale, { now, names: { name: ctx.m.templates.sampleName, text: ctx.m.templates.sampleText } });
    return credentialCard(ctx, cardFromTemplate(deps.baseUrl, org, { template, content: shown, recipient, now }), { headingLevel: level });
  }

  /** The preview of what the form holds: the card, or the localised problems. */
  function previewOf(
    request: FastifyRequest,
    org: Organization,
    template: Template | undefined,
    values: Body,
    images: ImageMeta[],
  ): { html: Html; errors: string[] } {
    const ctx = pageContext(request);
    try {
      const { kind, content } = validateTemplate(templateInputOf(values));
      return { html: previewContent(ctx, { card: sampleCard(ctx, org, { publicId: template?.publicId ?? 'preview', kind }, content, images) }), errors: [] };
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      const errors = [localizedMessage(e, request.locale, request.id)];
      return { html: previewContent(ctx, { errors }), errors };
    }
  }

  async function renderEditor(
    request: FastifyRequest,
    reply: FastifyReply,
    access: OrgScope,
    template: Template | undefined,
    values: FormValues,
    extra: { notice?: string; state?: FormState; rows?: { skills?: number; fields?: number } } = {},
    status = 200,
  ) {
    const images = await deps.store.images.listForOrg(access.org.id);
    const preview = previewOf(request, access.org, template, values, images).html;
    return sendHtml(reply, templateEditorPage(pageContext(request), { ...access, template, images, values, preview, ...extra }), status);
  }

  async function renderTemplate(
    request: FastifyRequest,
    reply: FastifyReply,
    access: OrgScope,
    template: Template,
    extra: { notice?: string; state?: FormState } = {},
    status = 200,
  ) {
    if (can(access.standing, 'templates.edit') && template.status === 'active') {
      return renderEditor(request, reply, access, template, formValuesOf(template.kind, template.content), extra, status);
    }
    const ctx = pageContext(request);
    const images = await deps.store.images.listForOrg(access.org.id);
    const card = sampleCard(ctx, access.org, template, template.content, images);
    return sendHtml(reply, templateViewPage(ctx, { ...access, template, card, ...extra }), status);
  }

  // ---- List ------------------------------------------------------------------------------------------------

  app.get(
    '/console/:slug/templates',
    {
      schema: {
        ...hide,
        params: slugParams,
        querystring: z.object({ status: z.enum(['active', 'archived']).optional(), done: z.enum(DONE).optional(), ...lang }),
        response: htmlResponse,
      },
    },
    async (request, reply) => {
      const status = request.query.status ?? 'active';
      const view = await listTemplates(deps, userActor(request), { slug: request.params.slug, status });
      const ctx = pageContext(request);
      const notice = request.query.done ? ctx.m.templates[request.query.done] : undefined;
      return sendHtml(reply, templatesListPage(ctx, { ...view, status, notice }));
    },
  );

  // ---- Create --------------------------------------------------------------------------------------------------

  app.get(
    '/console/:slug/templates/new',
    { schema: { ...hide, params: slugParams, querystring: z.object(lang), response: htmlResponse } },
    async (request, reply) => {
      const access = await authorize(deps, userActor(request), { action: 'templates.edit', slug: request.params.slug });
      const defaultLocale = access.org.languages[0] ?? 'fr';
      return renderEditor(request, reply, access, undefined, { kind: 'certificate', 'validity.unit': 'lifetime', defaultLocale });
    },
  );

  app.post('/console/:slug/templates', { schema: { ...hide, params: slugParams, body: editorBody, response: redirectResponse } }, async (request, reply) => {
    const actor = userActor(request);
    const access = await authorize(deps, actor, { action: 'templates.edit', slug: request.params.slug });
    const body = request.body as Body;
    try {
      const template = await createTemplate(deps, actor, { slug: access.org.slug, template: templateInputOf(body) });
      return reply.redirect(`/console/${access.org.slug}/templates/${template.id}?done=created`, 303);
    } catch (e) {
      const values = formValues(body);
      return renderEditor(request, reply, access, undefined, values, { state: formState(request, e, values as Record<string, string>) }, statusOf(e));
    }
  });

  // ---- Preview (before /:id so that "preview" is never taken for an id) ------------------------------------

  app.post(
    '/console/:slug/templates/preview',
    {
      schema: { ...hide, params: slugParams, querystring: z.object({ fragment: z.enum(['1']).optional(), ...lang }), body: editorBody, response: htmlResponse },
    },
    async (request, reply) => {
      const access = await authorize(deps, userActor(request), { action: 'templates.edit', slug: request.params.slug });
      const body = request.body as Body;
      const templateId = body['templateId'];
      const template = templateId ? await deps.store.templates.find(access.org.id, templateId) : undefined;
      if (templateId && !template) throw new AppError('NOT_FOUND');
      if (request.query.fragment) {
        const images = await deps.store.images.listForOrg(access.org.id);
        const { html, errors } = previewOf(request, access.org, template, body, images);
        return sendHtml(reply, html, errors.length ? 400 : 200);
      }
      // Without JavaScript: the whole editor again, with what was typed and the preview (errors next to their fields).
      const values = formValues(body);
      // "Add a skill / a field": one more row than the form had, nothing checked or saved yet.
      const add = body['add'];
      if (add === 'skills' || add === 'fields') {
        const rows = add === 'skills' ? sentRows(body, 'skills', SKILL_COLUMNS, LIMITS.skills) : sentRows(body, 'fields', FIELD_COLUMNS, LIMITS.fields);
        return renderEditor(request, reply, access, template, values, { rows: { [add]: rows + 1 } });
      }
      let state: FormState | undefined;
      try {
        validateTemplate(templateInputOf(body));
      } catch (e) {
        state = formState(request, e, values as Record<string, string>);
      }
      return renderEditor(request, reply, access, template, values, { state }, state ? 400 : 200);
    },
  );

  // ---- One template ------------------------------------------------------------------------------------------

  app.get(
    '/console/:slug/templates/:id',
    {
      schema: { ...hide, params: idParams, querystring: z.object({ done: z.enum(DONE).optional(), ...lang }), response: htmlResponse },
    },
    async (request, reply) => {
      const { template, ...access } = await getTemplate(deps, userActor(request), { slug: request.params.slug, id: request.params.id });
      const done = request.query.done;
      return renderTemplate(request, reply, access, template, { notice: done ? pageContext(request).m.templates[done] : undefined });
    },
  );

  app.post('/console/:slug/templates/:id', { schema: { ...hide, params: idParams, body: editorBody, response: redirectResponse } }, async (request, reply) => {
    const actor = userActor(request);
    const { template, ...access } = await getTemplate(deps, actor, { slug: request.params.slug, id: request.params.id, action: 'templates.edit' });
    const body = request.body as Body;
    try {
      await updateTemplate(deps, actor, {
        slug: access.org.slug,
        id: template.id,
        template: templateInputOf(body),
        expectedVersion: versionOf(body['version']),
      });
      return reply.redirect(`/console/${access.org.slug}/templates/${template.id}?done=saved`, 303);
    } catch (e) {
      const values = formValues(body);
      const state = formState(request, e, values as Record<string, string>);
      const current = (await deps.store.templates.find(access.org.id, template.id)) ?? template;
      if (current.status === 'archived') return renderTemplate(request, reply, access, current, { state }, statusOf(e));
      return renderEditor(request, reply, access, current, values, { state }, statusOf(e));
    }
  });

  for (const [action, archived] of [
    ['archive', true],
    ['restore', false],
  ] as const) {
    app.post(
      `/console/:slug/templates/:id/${action}`,
      { schema: { ...hide, params: idParams, body: z.object(csrf), response: redirectResponse } },
      async (request, reply) => {
        const actor = userActor(request);
        const { slug, id } = request.params;
        const template = await setTemplateArchived(deps, actor, { slug, id, archived });
        return reply.redirect(`/console/${slug}/templates/${template.id}?done=${archived ? 'archived' : 'restored'}`, 303);
      },
    );
  }

  // ---- One-off issuance ------------------------------------------------------------------------------------

  async function issuable(request: FastifyRequest, params: { slug: string; id: string }) {
    const { template, ...access } = await getTemplate(deps, userActor(request), { slug: params.slug, id: params.id, action: 'credentials.issue' });
    if (template.status === 'archived') throw new AppError('TEMPLATE_ARCHIVED');
    return { access, template };
  }

  app.get(
    '/console/:slug/templates/:id/issue',
    { schema: { ...hide, params: idParams, querystring: z.object(lang), response: htmlResponse } },
    async (request, reply) => {
      const { access, template } = await issuable(request, request.params);
      return sendHtml(reply, issuePage(pageContext(request), { ...access, template, values: { locale: template.content.defaultLocale } }));
    },
  );

  app.post(
    '/console/:slug/templates/:id/issue',
    { schema: { ...hide, params: idParams, body: issueBody, response: redirectResponse } },
    async (request, reply) => {
      const actor = userActor(request);
      const { access, template } = await issuable(request, request.params);
      const body = request.body as Body;
      const values = formValues(body);
      const content = template.content;
      try {
        // The custom field inputs are positional: issuing against a newer version than the form showed could shift them.
        const version = versionOf(body['version']);
        const fields: Record<string, string | undefined> = {};
        content.fields.forEach((f, i) => {
          fields[f.key] = body[`fields.${i}`];
        });
        const recipient = { name: body['name'], email: body['email'], learnerId: body['learnerId'], locale: body['locale'], fields };
        const issued = await issueOne(deps, actor, { slug: access.org.slug, templateId: template.id, version, recipient });
        return reply.redirect(`/console/${access.org.slug}/credentials/${issued.award.id}?done=issued`, 303);
      } catch (e) {
        const state = formState(request, e, values as Record<string, string>);
        if (state.errors) {
          // `field:<key>` (domain) → `fields.<i>` (form input).
          state.errors = Object.fromEntries(
            Object.entries(state.errors).map(([k, msg]) => {
              const i = k.startsWith('field:') ? content.fields.findIndex((f) => `field:${f.key}` === k) : -1;
              return [i >= 0 ? `fields.${i}` : k, msg];
            }),
          );
        }
        if (e instanceof AppError && e.code === 'TEMPLATE_CONFLICT') values['version'] = String(template.version);
        return sendHtml(reply, issuePage(pageContext(request), { ...access, template, values, state }), statusOf(e));
      }
    },
  );
};
