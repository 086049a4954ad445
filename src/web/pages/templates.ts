import {
  FIELD_TYPES,
  TEMPLATE_KINDS,
  VALIDITY_UNITS,
  type Template,
  type TemplateContent,
  type TemplateKind,
  type ImageMeta,
} from '../../domain/templates/model.js';
import { LIMITS, pick } from '../../domain/templates/manage-templates.js';
import { type Standing, can } from '../../domain/shared/policies.js';
import { format } from '../../i18n/t.js';
import { type Html, html } from '../../shared/html.js';
import { type PageContext, csrfField, errorSummary, field, layout, notice } from '../layout.js';
import type { FormState } from './auth.js';
import { orgHeader, fmtDate } from './console.js';
import type { Organization } from '../../domain/organizations/model.js';

export const SKILL_COLUMNS = ['name', 'frameworkUri', 'code'] as const;
export const FIELD_COLUMNS = ['key', 'label.fr', 'label.en', 'type', 'required'] as const;

export type FormValues = Record<string, string | undefined>;

/** How many rows of a repeated group (`skills`, `fields`) the form needs for these values. */
/**
 * Rows shown for skills and custom fields: the used ones and one empty row (at least `minimum`, after "add"), within
 * the domain's limits.
 */
export function rowCount(values: FormValues, prefix: 'skills' | 'fields', { max, minimum = 0 }: { max: number; minimum?: number }): number {
  let used = 0;
  const re = new RegExp(`^${prefix}\\.(\\d+)\\.`);
  for (const [k, v] of Object.entries(values)) {
    const m = re.exec(k);
    if (m && v !== undefined && v !== '' && !(prefix === 'fields' && k.endsWith('.type') && v === 'text')) used = Math.max(used, Number(m[1]) + 1);
  }
  return Math.min(max, Math.max(minimum, used + 1));
}

/** The editor's values of a saved template (the inverse of the routes' form parser). */
export function formValuesOf(kind: TemplateKind, c: TemplateContent): FormValues {
  const v: FormValues = {
    kind,
    imageId: c.imageId ?? '',
    'validity.unit': c.validity.unit,
    'validity.n': c.validity.n === null ? '' : String(c.validity.n),
    defaultLocale: c.defaultLocale,
  };
  for (const l of ['fr', 'en'] as const) {
    v[`name.${l}`] = c.name[l] ?? '';
    v[`description.${l}`] = c.description[l] ?? '';
    v[`criteria.${l}`] = c.criteria[l] ?? '';
    v[`email.subject.${l}`] = c.email.subject[l] ?? '';
    v[`email.body.${l}`] = c.email.body[l] ?? '';
  }
  c.skills.forEach((s, i) => {
    v[`skills.${i}.name`] = s.name;
    v[`skills.${i}.frameworkUri`] = s.frameworkUri ?? '';
    v[`skills.${i}.code`] = s.code ?? '';
  });
  c.fields.forEach((f, i) => {
    v[`fields.${i}.key`] = f.key;
    v[`fields.${i}.label.fr`] = f.label.fr ?? '';
    v[`fields.${i}.label.en`] = f.label.en ?? '';
    v[`fields.${i}.type`] = f.type;
    v[`fields.${i}.required`] = f.required ? 'on' : '';
  });
  return v;
}

// ---- Small form controls (same markup as layout.ts `field`) ------------------------------------------------

function describedBy(id: string, hint?: string, error?: string): Html | string {
  const ids = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return ids ? html` aria-describedby="${ids}"` : '';
}

function textarea(o: { name: string; label: string; value?: string; error?: string; hint?: string; rows?: number; maxlength?: number; lang?: string }): Html {
  const id = `f-${o.name}`;
  return html`<div class="field${o.error ? ' has-error' : ''}">
  <label for="${id}">${o.label}</label>
  ${o.hint ? html`<p class="hint" id="${id}-hint">${o.hint}</p>` : ''}
  ${o.error ? html`<p class="error" id="${id}-error">${o.error}</p>` : ''}
  <textarea id="${id}" name="${o.name}" rows="${o.rows ?? 3}"${o.maxlength ? html` maxlength="${o.maxlength}"` : ''}${o.lang ? html` lang="${o.lang}"` : ''}${describedBy(id, o.hint, o.error)}${o.error ? html` aria-invalid="true"` : ''}>${o.value ?? ''}</textarea>
</div>`;
}

function choice(o: { name: string; label: string; value: string; choices: { value: string; label: string }[]; error?: string; hint?: string }): Html {
  const id = `f-${o.name}`;
  return html`<div class="field${o.error ? ' has-error' : ''}">
  <label for="${id}">${o.label}</label>
  ${o.hint ? html`<p class="hint" id="${id}-hint">${o.hint}</p>` : ''}
  ${o.error ? html`<p class="error" id="${id}-error">${o.error}</p>` : ''}
  <select id="${id}" name="${o.name}"${describedBy(id, o.hint, o.error)}${o.error ? html` aria-invalid="true"` : ''}>${o.choices.map((c) => html`<option value="${c.value}"${c.value === o.value ? html` selected` : ''}>${c.label}</option>`)}</select>
</div>`;
}

function checkbox(o: { name: string; label: string; checked: boolean; error?: string }): Html {
  const id = `f-${o.name}`;
  return html`<div class="field field-check${o.error ? ' has-error' : ''}">
  ${o.error ? html`<p class="error" id="${id}-error">${o.error}</p>` : ''}
  <input id="${id}" name="${o.name}" type="checkbox" value="on"${o.checked ? html` checked` : ''}${o.error ? html` aria-describedby="${id}-error" aria-invalid="true"` : ''}>
  <label for="${id}">${o.label}</label>
</div>`;
}

const languageChoices = [
  { value: 'fr', label: 'Français' },
  { value: 'en', label: 'English' },
];

// ---- List --------------------------------------------------------------------------------------------------

export function templatesListPage(
  ctx: PageContext,
  v: { org: Organization; standing: Standing; templates: Template[]; status: 'active' | 'archived'; notice?: string },
): Html {
  const { m } = ctx;
  const t = m.templates;
  const base = `/console/${v.org.slug}/templates`;
  return layout(
    ctx,
    `${t.title} · ${v.org.name}`,
    html`
${orgHeader(ctx, v.org, { standing: v.standing, current: '/templates' })}
${notice(v.notice)}
<h2>${t.title}</h2>
<p>${t.intro}</p>
${can(v.standing, 'templates.edit') ? html`<p><a class="button" href="${base}/new">${t.new}</a></p>` : html`<p class="alert alert-info">${t.readOnly}</p>`}
<nav aria-label="${t.filter}" class="filters"><ul>
  <li><a href="${base}"${v.status === 'active' ? html` aria-current="page"` : ''}>${t.filterActive}</a></li>
  <li><a href="${base}?status=archived"${v.status === 'archived' ? html` aria-current="page"` : ''}>${t.filterArchived}</a></li>
</ul></nav>
${
  v.templates.length
    ? html`<table>
<thead><tr><th scope="col">${t.name}</th><th scope="col">${t.kind}</th><th scope="col">${t.version}</th><th scope="col">${t.statusLabel}</th><th scope="col">${t.updated}</th>${can(v.standing, 'credentials.issue') && v.status === 'active' ? html`<th scope="col">${m.common.actions}</th>` : ''}</tr></thead>
<tbody>${v.templates.map(
        (tp) => html`<tr>
  <td><a href="${base}/${tp.id}">${pick(tp.content.name, ctx.locale)}</a></td>
  <td>${t.kinds[tp.kind]}</td>
  <td>${tp.version}</td>
  <td><span class="tag${tp.status === 'active' ? ' tag-ok' : ''}">${t.status[tp.status]}</span></td>
  <td>${fmtDate(ctx, tp.updatedAt)}</td>
  ${can(v.standing, 'credentials.issue') && v.status === 'active' ? html`<td><a href="${base}/${tp.id}/issue">${t.issue}<span class="visually-hidden"> (${pick(tp.content.name, ctx.locale)})</span></a></td>` : ''}
</tr>`,
      )}</tbody>
</table>`
    : html`<p>${v.status === 'archived' ? t.noneArchived : t.none}</p>`
}`,
  );
}

// ---- Preview -----------------------------------------------------------------------------------------------

/** The preview panel's content: the card, or the problems that prevent it (a 400 fragment). */
export function previewContent(ctx: PageContext, result: { card: Html } | { errors: string[] }): Html {
  if ('card' in result) return result.card;
  return html`<div class="alert alert-error preview-errors"><p>${ctx.m.templates.previewErrors}</p><ul>${result.errors.map((e) => html`<li>${e}</li>`)}</ul></div>`;
}

function previewPanel(ctx: PageContext, content: Html): Html {
  const t = ctx.m.templates;
  return html`<aside class="template-preview" aria-labelledby="h-preview">
  <h2 id="h-preview">${t.preview}</h2>
  <p class="hint">${t.previewHint}</p>
  <div id="template-preview">${content}</div>
</aside>`;
}

// ---- Editor ------------------------------------------------------------------------------------------------

export interface EditorView {
  org: Organization;
  standing: Standing;
  /** Absent: a new template. */
  template?: Template;
  images: ImageMeta[];
  values: FormValues;
  preview: Html;
  notice?: string;
  state?: FormState;
  /** Rows to show at least (the "add a skill / a field" button re-renders with one more). */
  rows?: { skills?: number; fields?: number };
}

function mergeFieldList(ctx: PageContext, values: FormValues): Html {
  const t = ctx.m.templates;
  const names: [string, string][] =
    ctx.locale === 'fr'
      ? [
          ['nom', t.merge.nom],
          ['titre', t.merge.titre],
          ['organisation', t.merge.organisation],
          ['lien', t.merge.lien],
        ]
      : [
          ['name', t.merge.nom],
          ['credential', t.merge.titre],
          ['organization', t.merge.organisation],
          ['link', t.merge.lien],
        ];
  const keys = Object.entries(values)
    .filter(([k, v]) => /^fields\.\d+\.key$/.test(k) && v && /^[a-z][a-z0-9_]{0,39}$/.test(v.trim().toLowerCase()))
    .map(([, v]) => v!.trim().toLowerCase());
  return html`<div class="merge-fields"><p id="merge-fields-title"><strong>${t.mergeFields}</strong></p>
<ul aria-labelledby="merge-fields-title">${names.map(([n, d]) => html`<li><code>{{${n}}}</code> — ${d}</li>`)}${[...new Set(keys)].map((k) => html`<li><code>{{${k}}}</code> — ${t.mergeCustom}</li>`)}</ul></div>`;
}

export function templateEditorPage(ctx: PageContext, v: EditorView): Html {
  const { m } = ctx;
  const t = m.templates;
  const val = v.values;
  const e = v.state?.errors ?? {};
  const base = `/console/${v.org.slug}/templates`;
  const title = v.template ? pick(v.template.content.name, ctx.locale) : t.new;
  const action = v.template ? `${base}/${v.template.id}` : base;
  const skillRows = rowCount(val, 'skills', { max: LIMITS.skills, minimum: v.rows?.skills });
  const fieldRows = rowCount(val, 'fields', { max: LIMITS.fields, minimum: v.rows?.fields });
  // Without JavaScript: posts what was typed to the preview route, which re-renders the form with one more row (nothing saved).
  const addButton = (group: 'skills' | 'fields', rows: number, max: number, label: string, anchor: string) =>
    rows < max
      ? html`<p class="add-row"><button type="submit" name="add" value="${group}" class="button-secondary" formaction="${base}/preview#${anchor}-${rows + 1}">${label}</button></p>`
      : '';
  const imageChoices = [
    { value: '', label: t.noImage },
    ...v.images.map((i) => ({
      value: i.id,
      label: format(t.imageChoice, {
        format: i.contentType === 'image/png' ? 'PNG' : 'JPEG',
        width: i.width,
        height: i.height,
        date: fmtDate(ctx, i.createdAt),
      }),
    })),
  ];
  const currentImage = val['imageId'] ?? '';
  if (currentImage && !v.images.some((i) => i.id === currentImage)) imageChoices.push({ value: currentImage, label: currentImage });
  const text = (name: string, label: string, max: number) => field({ name, label, value: val[name] ?? '', maxlength: max, error: e[name] });
  return layout(
    ctx,
    `${title} · ${v.org.name}`,
    html`
${orgHeader(ctx, v.org, { standing: v.standing, current: '/templates' })}
<p class="breadcrumb"><a href="${base}">${t.title}</a></p>
<h2>${title}</h2>
${
  v.template
    ? html`<p class="meta">${format(t.versionN, { n: v.template.version })} · ${t.kinds[v.template.kind]} · ${t.updated} ${fmtDate(ctx, v.template.updatedAt)}</p>
<p><a class="button" href="${base}/${v.template.id}/issue">${t.issue}</a></p>`
    : ''
}
${notice(v.notice)}
${errorSummary(ctx, [...(v.state?.general ?? []), ...Object.values(e)])}
<div class="template-editor">
<form method="post" action="${action}" class="template-form" novalidate data-preview="${base}/preview?fragment=1" data-preview-target="template-preview">
  ${csrfField(ctx)}
  <button type="submit" hidden aria-hidden="true" tabindex="-1">${v.template ? t.save : t.create}</button>
  <input type="hidden" name="templateId" value="${v.template?.id ?? ''}">
  ${v.template ? html`<input type="hidden" name="version" value="${val['version'] ?? String(v.template.version)}">` : ''}
  ${choice({ name: 'kind', label: t.kind, value: val['kind'] ?? 'certificate', choices: TEMPLATE_KINDS.map((k) => ({ value: k, label: t.kinds[k] })), error: e['kind'] })}
  <fieldset><legend>${t.texts}</legend>
    <p class="hint">${t.textsHint}</p>
    ${text('name.fr', t.nameFr, LIMITS.name)}
    ${text('name.en', t.nameEn, LIMITS.name)}
    ${textarea({ name: 'description.fr', label: t.descriptionFr, value: val['description.fr'], error: e['description.fr'], maxlength: LIMITS.description, rows: 4, lang: 'fr' })}
    ${textarea({ name: 'description.en', label: t.descriptionEn, value: val['description.en'], error: e['description.en'], maxlength: LIMITS.description, rows: 4, lang: 'en' })}
    ${textarea({ name: 'criteria.fr', label: t.criteriaFr, value: val['criteria.fr'], error: e['criteria.fr'], maxlength: LIMITS.criteria, lang: 'fr' })}
    ${textarea({ name: 'criteria.en', label: t.criteriaEn, value: val['criteria.en'], error: e['criteria.en'], maxlength: LIMITS.criteria, lang: 'en' })}
    ${choice({ name: 'defaultLocale', label: t.defaultLocale, value: val['defaultLocale'] ?? v.org.languages[0] ?? 'fr', choices: languageChoices, error: e['defaultLocale'] })}
  </fieldset>
  <fieldset><legend>${t.image}</legend>
    ${choice({ name: 'imageId', label: t.image, value: currentImage, choices: imageChoices, error: e['imageId'], hint: t.imageHint })}
    <p><a href="/console/${v.org.slug}/images">${t.manageImages}</a></p>
  </fieldset>
  <fieldset><legend>${t.validity}</legend>
    ${choice({ name: 'validity.unit', label: t.validityUnit, value: val['validity.unit'] ?? 'lifetime', choices: VALIDITY_UNITS.map((u) => ({ value: u, label: t.validityUnits[u] })), error: e['validity.unit'] })}
    ${field({ name: 'validity.n', label: t.validityN, value: val['validity.n'] ?? '', inputmode: 'numeric', maxlength: 4, error: e['validity.n'] })}
  </fieldset>
  <fieldset><legend>${t.skills}</legend>
    <p class="hint">${t.skillsHint}</p>
    ${e['skills'] ? html`<p class="error">${e['skills']}</p>` : ''}
    ${Array.from(
      { length: skillRows },
      (_, i) => html`<fieldset class="row-group" id="skill-${i + 1}"><legend>${format(t.skillRow, { n: i + 1 })}</legend>
      ${field({ name: `skills.${i}.name`, label: t.skillName, value: val[`skills.${i}.name`] ?? '', maxlength: LIMITS.skillName, error: e[`skills.${i}.name`] ?? e[`skills.${i}`] })}
      ${field({ name: `skills.${i}.frameworkUri`, label: t.skillUri, type: 'url', value: val[`skills.${i}.frameworkUri`] ?? '', maxlength: 2048, error: e[`skills.${i}.frameworkUri`] })}
      ${field({ name: `skills.${i}.code`, label: t.skillCode, value: val[`skills.${i}.code`] ?? '', maxlength: 100, error: e[`skills.${i}.code`] })}
    </fieldset>`,
    )}
    ${addButton('skills', skillRows, LIMITS.skills, t.addSkill, 'skill')}
  </fieldset>
  <fieldset><legend>${t.fields}</legend>
    <p class="hint">${t.fieldsHint}</p>
    ${e['fields'] ? html`<p class="error">${e['fields']}</p>` : ''}
    ${Array.from(
      { length: fieldRows },
      (_, i) => html`<fieldset class="row-group" id="field-${i + 1}"><legend>${format(t.fieldRow, { n: i + 1 })}</legend>
      ${field({ name: `fields.${i}.key`, label: t.fieldKey, value: val[`fields.${i}.key`] ?? '', maxlength: 40, error: e[`fields.${i}.key`] ?? e[`fields.${i}`] })}
      ${field({ name: `fields.${i}.label.fr`, label: t.fieldLabelFr, value: val[`fields.${i}.label.fr`] ?? '', maxlength: LIMITS.label, error: e[`fields.${i}.label.fr`] })}
      ${field({ name: `fields.${i}.label.en`, label: t.fieldLabelEn, value: val[`fields.${i}.label.en`] ?? '', maxlength: LIMITS.label, error: e[`fields.${i}.label.en`] })}
      ${choice({ name: `fields.${i}.type`, label: t.fieldType, value: val[`fields.${i}.type`] ?? 'text', choices: FIELD_TYPES.map((ft) => ({ value: ft, label: t.fieldTypes[ft] })), error: e[`fields.${i}.type`] })}
      ${checkbox({ name: `fields.${i}.required`, label: t.fieldRequired, checked: val[`fields.${i}.required`] === 'on', error: e[`fields.${i}.required`] })}
    </fieldset>`,
    )}
    ${addButton('fields', fieldRows, LIMITS.fields, t.addField, 'field')}
  </fieldset>
  <fieldset><legend>${t.email}</legend>
    <p class="hint">${t.emailHint}</p>
    ${mergeFieldList(ctx, val)}
    ${text('email.subject.fr', t.subjectFr, LIMITS.subject)}
    ${textarea({ name: 'email.body.fr', label: t.bodyFr, value: val['email.body.fr'], error: e['email.body.fr'], maxlength: LIMITS.body, rows: 6, lang: 'fr' })}
    ${text('email.subject.en', t.subjectEn, LIMITS.subject)}
    ${textarea({ name: 'email.body.en', label: t.bodyEn, value: val['email.body.en'], error: e['email.body.en'], maxlength: LIMITS.body, rows: 6, lang: 'en' })}
  </fieldset>
  <div class="actions">
    <button type="submit">${v.template ? t.save : t.create}</button>
    <button type="submit" class="button-secondary" formaction="${base}/preview">${t.previewButton}</button>
  </div>
</form>
${previewPanel(ctx, v.preview)}
</div>
${v.template ? html`<form method="post" action="${base}/${v.template.id}/archive">${csrfField(ctx)}<button type="submit" class="secondary">${t.archive}</button></form>` : ''}
<script src="/assets/template-preview.js" defer></script>`,
  );
}

// ---- Read-only view (reviewers, archived templates) ---------------------------------------------------------

export function templateViewPage(
  ctx: PageContext,
  v: { org: Organization; standing: Standing; template: Template; card: Html; notice?: string; state?: FormState },
): Html {
  const { m } = ctx;
  const t = m.templates;
  const tp = v.template;
  const c = tp.content;
  const base = `/console/${v.org.slug}/templates`;
  const l = ctx.locale;
  return layout(
    ctx,
    `${pick(c.name, l)} · ${v.org.name}`,
    html`
${orgHeader(ctx, v.org, { standing: v.standing, current: '/templates' })}
<p class="breadcrumb"><a href="${base}">${t.title}</a></p>
<h2>${pick(c.name, l)}</h2>
${notice(v.notice)}
${errorSummary(ctx, [...(v.state?.general ?? []), ...Object.values(v.state?.errors ?? {})])}
${tp.status === 'archived' ? html`<p class="alert alert-info">${t.archivedNotice}</p>` : can(v.standing, 'templates.edit') ? '' : html`<p class="alert alert-info">${t.readOnly}</p>`}
${tp.status === 'archived' && can(v.standing, 'templates.edit') ? html`<form method="post" action="${base}/${tp.id}/restore">${csrfField(ctx)}<button type="submit">${t.restore}</button></form>` : ''}
<dl class="facts">
  <dt>${t.kind}</dt><dd>${t.kinds[tp.kind]}</dd>
  <dt>${t.version}</dt><dd>${tp.version}</dd>
  <dt>${t.statusLabel}</dt><dd>${t.status[tp.status]}</dd>
  <dt>${t.updated}</dt><dd>${fmtDate(ctx, tp.updatedAt)}</dd>
  <dt>${t.validity}</dt><dd>${c.validity.unit === 'lifetime' ? t.validityUnits.lifetime : html`${c.validity.n} ${t.validityUnits[c.validity.unit].toLowerCase()}`}</dd>
  ${c.fields.length ? html`<dt>${t.fields}</dt><dd><ul>${c.fields.map((f) => html`<li><code>${f.key}</code> — ${pick(f.label, l)} (${t.fieldTypes[f.type]}${f.required ? html`, ${t.fieldRequired.toLowerCase()}` : ''})</li>`)}</ul></dd>` : ''}
  ${c.email.subject.fr || c.email.subject.en ? html`<dt>${t.email}</dt><dd>${pick(c.email.subject, l)}</dd>` : ''}
</dl>
<section aria-labelledby="h-preview" class="template-preview">
  <h2 id="h-preview">${t.preview}</h2>
  ${v.card}
</section>`,
  );
}

// ---- One-off issuance ------------------------------------------------------------------------------------------

export function issuePage(ctx: PageContext, v: { org: Organization; standing: Standing; template: Template; values: FormValues; state?: FormState }): Html {
  const { m } = ctx;
  const t = m.templates;
  const tp = v.template;
  const c = tp.content;
  const val = v.values;
  const e = v.state?.errors ?? {};
  const base = `/console/${v.org.slug}/templates`;
  const name = pick(c.name, ctx.locale);
  return layout(
    ctx,
    `${t.issueTitle} · ${name} · ${v.org.name}`,
    html`
${orgHeader(ctx, v.org, { standing: v.standing, current: '/templates' })}
<p class="breadcrumb"><a href="${base}">${t.title}</a> › <a href="${base}/${tp.id}">${name}</a></p>
<h2>${t.issueTitle} — ${name}</h2>
<p>${t.issueIntro}</p>
${errorSummary(ctx, [...(v.state?.general ?? []), ...Object.values(e)])}
<form method="post" action="${base}/${tp.id}/issue">
  ${csrfField(ctx)}
  <input type="hidden" name="version" value="${val['version'] ?? String(tp.version)}">
  <fieldset><legend>${t.recipient}</legend>
    ${field({ name: 'name', label: t.recipientName, value: val['name'] ?? '', required: true, maxlength: 200, autocomplete: 'off', error: e['name'] })}
    ${field({ name: 'email', label: t.recipientEmail, type: 'email', value: val['email'] ?? '', required: true, maxlength: 254, autocomplete: 'off', error: e['email'] })}
    ${field({ name: 'learnerId', label: t.learnerId, value: val['learnerId'] ?? '', maxlength: 100, autocomplete: 'off', error: e['learnerId'] })}
    ${choice({ name: 'locale', label: t.recipientLocale, value: val['locale'] ?? c.defaultLocale, choices: languageChoices, error: e['locale'] })}
  </fieldset>
  ${
    c.fields.length
      ? html`<fieldset><legend>${t.fieldValues}</legend>
    ${c.fields.map((f, i) =>
      field({
        name: `fields.${i}`,
        label: `${pick(f.label, ctx.locale) || f.key}${f.required ? ` (${m.common.required})` : ''}`,
        type: f.type === 'date' ? 'date' : 'text',
        inputmode: f.type === 'number' ? 'decimal' : undefined,
        hint: f.type === 'date' ? t.dateHint : f.type === 'number' ? t.numberHint : undefined,
        maxlength: f.type === 'grade' ? 50 : 500,
        required: f.required,
        value: val[`fields.${i}`] ?? '',
        error: e[`fields.${i}`],
      }),
    )}
  </fieldset>`
      : ''
  }
  <button type="submit">${t.issueSubmit}</button>
</form>`,
  );
}
