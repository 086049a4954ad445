/** Bulk issuance pages: upload → columns → row report and fixes → review → progress (server-sent events) → results. */
import { BASE_TARGETS, type JobView } from '../../domain/issuance/import-spreadsheet.js';
import { progressOf } from '../../domain/issuance/run-issuance-job.js';
import { type Standing, can } from '../../domain/shared/policies.js';
import type { Template } from '../../domain/templates/model.js';
import { pick } from '../../domain/templates/manage-templates.js';
import { formatMessage, plural } from '../../i18n/plural.js';
import { format } from '../../i18n/t.js';
import { type Html, html } from '../../shared/html.js';
import { type PageContext, csrfField, errorSummary, layout, notice } from '../layout.js';
import { orgHeader, fmtDate } from './console.js';
import type { Organization } from '../../domain/organizations/model.js';
import type { IssuanceJob, IssuanceRow, RowError } from '../../domain/issuance/model.js';

const canIssue = (standing: Standing) => can(standing, 'credentials.issue');

/** Localised reason of a row problem (error catalogue messages, with the line of the first duplicate). */
export function rowErrorText(ctx: PageContext, e: RowError): string {
  const messages = ctx.m.errors as Record<string, string>;
  return formatMessage(ctx.locale, messages[e.code] ?? e.code, { line: e.line ?? '', max: 200 });
}

/** `28 valides, 1 invalide, 0 exclue sur 29 lignes.` */
function countsText(ctx: PageContext, c: { valid: number; invalid: number; excluded: number; total: number }): string {
  const t = ctx.m.bulk.counts;
  return `${[plural(ctx.locale, t.valid, { count: c.valid }), plural(ctx.locale, t.invalid, { count: c.invalid }), plural(ctx.locale, t.excluded, { count: c.excluded })].join(', ')} ${plural(ctx.locale, t.total, { count: c.total })}.`;
}

function targetLabel(ctx: PageContext, content: JobView['content'], target: string): string {
  const { m } = ctx;
  if (target.startsWith('field:')) {
    const f = content.fields.find((x) => `field:${x.key}` === target);
    return f ? pick(f.label, ctx.locale) : target;
  }
  return (m.bulk.targets as Record<string, string>)[target] ?? target;
}

export function bulkIndexPage(
  ctx: PageContext,
  v: {
    org: Organization;
    standing: Standing;
    templates: Template[];
    jobs: IssuanceJob[];
    templateNames: Map<string, string>;
    error?: string;
    templateId?: string;
  },
): Html {
  const { m } = ctx;
  const active = v.templates.filter((t) => t.status === 'active');
  return layout(
    ctx,
    `${m.bulk.title} · ${v.org.name}`,
    html`
${orgHeader(ctx, v.org, { standing: v.standing, current: '/bulk' })}
<h2>${m.bulk.title}</h2>
<p>${m.bulk.intro}</p>
${errorSummary(ctx, v.error ? [v.error] : [])}
${
  canIssue(v.standing)
    ? active.length
      ? html`<form method="post" action="/console/${v.org.slug}/bulk" enctype="multipart/form-data">
  ${csrfField(ctx)}
  <div class="field"><label for="f-templateId">${m.bulk.template}</label>
  <select id="f-templateId" name="templateId">${active.map((t) => html`<option value="${t.id}"${t.id === v.templateId ? html` selected` : ''}>${pick(t.content.name, ctx.locale)}</option>`)}</select></div>
  <div class="field${v.error ? ' has-error' : ''}"><label for="f-file">${m.bulk.file}</label>
  <p class="hint" id="f-file-hint">${m.bulk.fileHint}</p>
  <input id="f-file" name="file" type="file" accept=".csv,.txt,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" required aria-describedby="f-file-hint"></div>
  <button type="submit">${m.bulk.upload}</button>
</form>`
      : html`<p>${m.bulk.noTemplates}</p>`
    : ''
}
<h2>${m.bulk.jobs}</h2>
${
  v.jobs.length
    ? html`<table>
<thead><tr><th scope="col">${m.bulk.created}</th><th scope="col">${m.bulk.template}</th><th scope="col">${m.bulk.rows}</th><th scope="col">${m.common.status}</th></tr></thead>
<tbody>${v.jobs.map(
        (
          j,
        ) => html`<tr><td><a href="/console/${v.org.slug}/bulk/${j.id}">${fmtDate(ctx, j.createdAt)}</a>${j.filename ? html`<br><span class="meta">${j.filename}</span>` : ''}</td>
<td>${v.templateNames.get(j.templateId) ?? ''}</td><td>${j.totalRows}</td><td><span class="tag">${m.bulk.status[j.status]}</span></td></tr>`,
      )}</tbody>
</table>`
    : html`<p>${m.bulk.none}</p>`
}`,
  );
}

function mappingForm(ctx: PageContext, slug: string, view: JobView, editable: boolean): Html {
  const { m } = ctx;
  const targets = [...BASE_TARGETS, ...view.content.fields.map((f) => `field:${f.key}`)];
  const mapping = view.job.mapping ?? {};
  if (!editable) {
    return html`<h3>${m.bulk.mapped}</h3><dl class="facts">${view.job.headers.filter((h) => mapping[h]).map((h) => html`<dt>${h}</dt><dd>${targetLabel(ctx, view.content, mapping[h]!)}</dd>`)}</dl>`;
  }
  return html`<h3>${m.bulk.stepMapping}</h3>
<p>${m.bulk.mappingIntro}</p>
<form method="post" action="/console/${slug}/bulk/${view.job.id}/mapping">
${csrfField(ctx)}
<table><tbody>${view.job.headers.map(
    (h, i) => html`<tr><th scope="row"><label for="f-map-${i}">${h}</label></th><td>
<select id="f-map-${i}" name="map.${i}"><option value="">${m.bulk.ignore}</option>${targets.map((t) => html`<option value="${t}"${mapping[h] === t ? html` selected` : ''}>${targetLabel(ctx, view.content, t)}</option>`)}</select></td></tr>`,
  )}</tbody></table>
<button type="submit">${m.bulk.saveMapping}</button>
</form>`;
}

function fixForm(ctx: PageContext, slug: string, view: JobView, row: IssuanceRow): Html {
  const { m } = ctx;
  const mapping = view.job.mapping ?? {};
  const mapped = view.job.headers.map((h, i) => ({ h, i, target: mapping[h] })).filter((x) => x.target);
  const bad = new Set(row.errors.map((e) => e.target));
  const line = format(m.bulk.line, { line: row.rowNo });
  // Each button names its line (a screen reader's list of buttons would otherwise repeat "Corriger la ligne").
  const which = html`<span class="visually-hidden"> (${line})</span>`;
  return html`<li id="row-${row.rowNo}"><h4 id="row-${row.rowNo}-title">${line}</h4>
<ul class="errors" id="row-${row.rowNo}-errors">${row.errors.map((e) => html`<li class="error">${targetLabel(ctx, view.content, e.target === 'mapping' ? 'email' : e.target)}${m.common.colon}${rowErrorText(ctx, e)}</li>`)}</ul>
<form method="post" action="/console/${slug}/bulk/${view.job.id}/rows/${row.rowNo}" class="row-fix" aria-labelledby="row-${row.rowNo}-title">
${csrfField(ctx)}
${mapped.map(
  (
    x,
  ) => html`<div class="field${bad.has(x.target!) ? ' has-error' : ''}"><label for="f-r${row.rowNo}-${x.i}">${targetLabel(ctx, view.content, x.target!)}</label>
<input id="f-r${row.rowNo}-${x.i}" name="${x.target}" value="${row.cells[x.i] ?? ''}" maxlength="2000"${bad.has(x.target!) ? html` aria-invalid="true" aria-describedby="row-${row.rowNo}-errors"` : ''}></div>`,
)}
<button type="submit">${m.bulk.fix}${which}</button>
</form>
<form method="post" action="/console/${slug}/bulk/${view.job.id}/rows/${row.rowNo}/exclude" class="inline">${csrfField(ctx)}<button type="submit" class="secondary small">${m.bulk.exclude}${which}</button></form>
</li>`;
}

export function bulkJobPage(
  ctx: PageContext,
  v: {
    org: Organization;
    standing: Standing;
    view: JobView;
    invalid: IssuanceRow[];
    excluded: IssuanceRow[];
    preview: IssuanceRow[];
    results: IssuanceRow[];
    credentialIds: Map<number, string>;
    notice?: string;
    error?: string;
    errorStatus?: number;
  },
): Html {
  const { m } = ctx;
  const { view } = v;
  const { job, counts } = view;
  const slug = v.org.slug;
  const editable = job.status === 'draft' && canIssue(v.standing);
  const title = pick(view.content.name, ctx.locale);
  const p = progressOf(job, counts);
  let body: Html;
  if (job.status === 'draft') {
    body = html`
${mappingForm(ctx, slug, view, editable)}
<h3>${m.bulk.stepReport}</h3>
<p role="status">${countsText(ctx, { valid: counts.valid, invalid: counts.invalid, excluded: counts.excluded, total: counts.total })}</p>
${
  v.invalid.length
    ? html`<h4>${m.bulk.invalidTitle}</h4><p>${m.bulk.invalidIntro}</p>
${editable ? html`<form method="post" action="/console/${slug}/bulk/${job.id}/exclude-invalid">${csrfField(ctx)}<button type="submit" class="secondary">${plural(ctx.locale, m.bulk.excludeAll, { count: counts.invalid })}</button></form>` : ''}
<ol class="row-report">${v.invalid.map((r) => (editable ? fixForm(ctx, slug, view, r) : html`<li>${format(m.bulk.line, { line: r.rowNo })}${m.common.colon}${r.errors.map((e) => rowErrorText(ctx, e)).join(m.common.semicolon)}</li>`))}</ol>
${counts.invalid > v.invalid.length ? html`<p>${plural(ctx.locale, m.bulk.moreInvalid, { count: counts.invalid - v.invalid.length })}</p>` : ''}`
    : ''
}
${
  v.excluded.length
    ? html`<h4>${m.bulk.excludedTitle}</h4><ul>${v.excluded.map(
        (r) => html`<li>${format(m.bulk.line, { line: r.rowNo })}
${editable ? html`<form method="post" action="/console/${slug}/bulk/${job.id}/rows/${r.rowNo}/include" class="inline">${csrfField(ctx)}<button type="submit" class="link">${m.bulk.include}<span class="visually-hidden"> (${format(m.bulk.line, { line: r.rowNo })})</span></button></form>` : ''}</li>`,
      )}</ul>`
    : ''
}
<h3>${m.bulk.stepReview}</h3>
${
  v.preview.length
    ? html`<p>${m.bulk.reviewIntro}</p><table>
<thead><tr><th scope="col">${m.bulk.rows}</th><th scope="col">${m.bulk.targets.name}</th><th scope="col">${m.bulk.targets.email}</th>${view.content.fields.map((f) => html`<th scope="col">${pick(f.label, ctx.locale)}</th>`)}</tr></thead>
<tbody>${v.preview.map((r) => html`<tr><td>${r.rowNo}</td><td>${r.data?.name ?? ''}</td><td>${r.data?.email ?? ''}</td>${view.content.fields.map((f) => html`<td>${r.data?.fields[f.key] ?? ''}</td>`)}</tr>`)}</tbody></table>`
    : ''
}
${
  counts.invalid > 0
    ? html`<p class="alert alert-info">${plural(ctx.locale, m.bulk.blocked, { count: counts.invalid })}</p>`
    : editable && counts.valid > 0
      ? html`<form method="post" action="/console/${slug}/bulk/${job.id}/publish">${csrfField(ctx)}<button type="submit">${plural(ctx.locale, m.bulk.publish, { count: counts.valid })}</button></form>`
      : ''
}`;
  } else if (job.status === 'queued' || job.status === 'running') {
    body = html`
${mappingForm(ctx, slug, view, false)}
<h3 id="h-progress">${m.bulk.progressTitle}</h3>
<div class="progress" data-events="/console/${slug}/bulk/${job.id}/events" data-done-url="/console/${slug}/bulk/${job.id}">
<progress id="bulk-progress" max="100" value="${p.percent}" aria-labelledby="h-progress" aria-describedby="bulk-progress-text">${p.percent} %</progress>
<p id="bulk-progress-text" role="status" aria-live="polite">${format(m.bulk.progress, { done: p.done, total: p.total, percent: p.percent })}</p>
</div>
<p><a href="/console/${slug}/bulk/${job.id}">${m.bulk.refresh}</a></p>
<script src="/assets/bulk-progress.js" defer></script>`;
  } else {
    body = html`
${mappingForm(ctx, slug, view, false)}
<h3 id="h-completed">${m.bulk.completedTitle}</h3>
<progress max="100" value="100" aria-labelledby="h-completed">100 %</progress>
<p role="status">${[plural(ctx.locale, m.bulk.summary.issued, { count: counts.issued }), plural(ctx.locale, m.bulk.summary.failed, { count: counts.failed }), plural(ctx.locale, m.bulk.summary.excluded, { count: counts.excluded })].join(', ')}.</p>
<p><a class="button" href="/console/${slug}/bulk/${job.id}/results.csv">${m.bulk.download}</a></p>
<h4>${m.bulk.results}</h4>
<p class="meta">${format(m.bulk.firstRows, { count: v.results.length })}</p>
<table><thead><tr><th scope="col">${m.bulk.rows}</th><th scope="col">${m.bulk.targets.name}</th><th scope="col">${m.bulk.targets.email}</th><th scope="col">${m.common.status}</th></tr></thead>
<tbody>${v.results.map((r) => {
      const cred = v.credentialIds.get(r.rowNo);
      return html`<tr><td>${r.rowNo}</td><td>${r.data?.name ?? ''}</td><td>${r.data?.email ?? ''}</td><td><span class="tag">${m.bulk.rowStatus[r.status]}</span>${cred ? html` <a href="/console/${slug}/credentials/${cred}"><span aria-hidden="true">→</span><span class="visually-hidden">${m.holder.open} (${r.data?.name ?? r.rowNo})</span></a>` : ''}</td></tr>`;
    })}</tbody></table>`;
  }
  return layout(
    ctx,
    `${m.bulk.title} · ${title}`,
    html`
${orgHeader(ctx, v.org, { standing: v.standing, current: '/bulk' })}
<p class="breadcrumb"><a href="/console/${slug}/bulk">${m.bulk.title}</a></p>
<h2>${title} <span class="tag">${m.bulk.status[job.status]}</span></h2>
<p class="meta">${job.filename ? `${job.filename} · ` : ''}${countsText(ctx, { valid: counts.valid + counts.pending + counts.issued + counts.failed, invalid: counts.invalid, excluded: counts.excluded, total: counts.total })}</p>
${notice(v.notice)}
${errorSummary(ctx, v.error ? [v.error] : [])}
${body}`,
  );
}
