/**
 * Console pages of automatic issuance: results (CSV import with its row report, rules per template, the decision
 * log) and one template's rules. Also the "pending credentials" section of the holder's porte-document.
 * Times are shown in the organisation's time zone, naming it (the holder's list: each organisation's own zone).
 */
import type { Standing } from '../../domain/shared/policies.js';
import type { Template } from '../../domain/templates/model.js';
import type { CsvRowError } from '../../domain/issuance/issue-from-results.js';
import type { DecisionKind, DecisionReason, IssuanceRules } from '../../domain/issuance/rules.js';
import { pick } from '../../domain/templates/manage-templates.js';
import { formatDateTime, formatDay } from '../../i18n/dates.js';
import { formatMessage, plural } from '../../i18n/plural.js';
import { format } from '../../i18n/t.js';
import { type Html, html } from '../../shared/html.js';
import { type PageContext, csrfField, errorSummary, field, layout, notice } from '../layout.js';
import type { FormState } from './auth.js';
import { orgHeader, fmtDate } from './console.js';
import type { Organization } from '../../domain/organizations/model.js';
import type { PendingCredential } from '../../domain/issuance/ports.js';

const fmtDay = (ctx: PageContext, d: Date) => formatDay(ctx.locale, d, ctx.timeZone);

/** One line of a decision table (from the log, or from the import just made). */
export interface DecisionRow {
  createdAt: Date;
  name: string;
  email: string;
  templateName: Template['content']['name'];
  decision: DecisionKind;
  reason: DecisionReason | null;
  details: Record<string, string | number | null> | null;
  dueAt: Date | null;
  awardId: string | null;
}

export function reasonText(ctx: PageContext, reason: DecisionReason | null, details: Record<string, string | number | null> | null): string {
  if (!reason) return '';
  const params: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(details ?? {})) {
    if (v === null) continue;
    if (k === 'renewFrom' && typeof v === 'string') params[k] = fmtDay(ctx, new Date(v));
    else if (k === 'missing' && typeof v === 'string') params[k] = v.split(',').join(', ');
    else params[k] = v;
  }
  return format(ctx.m.results.reasons[reason], params);
}

function decisionsTable(ctx: PageContext, org: Organization, rows: DecisionRow[]): Html {
  const r = ctx.m.results;
  if (!rows.length) return html`<p>${r.decisionsNone}</p>`;
  return html`<table class="decisions">
<thead><tr><th scope="col">${r.when}</th><th scope="col">${r.learner}</th><th scope="col">${r.template}</th><th scope="col">${r.decision}</th><th scope="col">${r.reasonCol}</th><th scope="col">${r.due}</th></tr></thead>
<tbody>${rows.map(
    (d) => html`<tr data-decision="${d.decision}">
  <td><time datetime="${d.createdAt.toISOString()}">${fmtDate(ctx, d.createdAt)}</time></td>
  <td>${d.name}<br><span class="hint">${d.email}</span></td>
  <td>${pick(d.templateName, ctx.locale)}</td>
  <td><span class="tag${d.decision === 'issued' ? ' tag-ok' : ''}">${r.decisions[d.decision]}</span></td>
  <td>${reasonText(ctx, d.reason, d.details)}</td>
  <td>${
    d.decision === 'pending' && d.dueAt
      ? html`<time datetime="${d.dueAt.toISOString()}">${format(r.expectedAround, { time: fmtDate(ctx, d.dueAt) })}</time>`
      : d.awardId
        ? html`<a href="/console/${org.slug}/credentials/${d.awardId}">${r.viewCredential}<span class="visually-hidden"> (${d.name})</span></a>`
        : ''
  }</td>
</tr>`,
  )}</tbody>
</table>`;
}

function rulesSummary(ctx: PageContext, rules: IssuanceRules | null): string {
  const r = ctx.m.results;
  if (!rules?.enabled) return r.rulesOff;
  const parts = [format(r.rulesSummary, { mode: rules.mode === 'all' ? r.modeAll : r.modeAny, activities: rules.activities.join(', ') })];
  if (rules.minScore !== null) parts.push(format(r.minScoreShort, { n: rules.minScore }));
  parts.push(rules.delayMinutes ? format(r.delayShort, { minutes: rules.delayMinutes }) : r.immediate);
  return parts.join(' · ');
}

export interface ResultsPageView {
  org: Organization;
  standing: Standing;
  canImport: boolean;
  rules: { template: Template; rules: IssuanceRules | null }[];
  decisions: DecisionRow[];
  /** Link to the next (older) page of the log. */
  olderHref: string | null;
  notice?: string;
  state?: FormState;
  /** A refused file: every invalid line, nothing stored. */
  report?: { errors: CsvRowError[]; columns: Record<string, string | null> };
  /** The decisions of the import just made. */
  imported?: DecisionRow[];
}

export function resultsPage(ctx: PageContext, v: ResultsPageView): Html {
  const { m } = ctx;
  const r = m.results;
  const base = `/console/${v.org.slug}`;
  const fileError = v.state?.errors?.['file'];
  const reportLines = v.report ? new Set(v.report.errors.map((e) => e.line)).size : 0;
  return layout(
    ctx,
    `${r.title} · ${v.org.name}`,
    html`
${orgHeader(ctx, v.org, { standing: v.standing, current: '/results' })}
${notice(v.notice)}
${errorSummary(ctx, [...(v.state?.general ?? []), ...(fileError ? [fileError] : [])])}
<p>${r.intro}</p>
${
  v.report
    ? html`<section aria-labelledby="h-report" class="alert alert-error">
<h2 id="h-report">${r.reportTitle}</h2>
<p>${plural(ctx.locale, r.reportIntro, { count: reportLines })}</p>
<table>
<thead><tr><th scope="col">${r.line}</th><th scope="col">${r.column}</th><th scope="col">${r.problem}</th></tr></thead>
<tbody>${v.report.errors.map((e) => html`<tr data-line="${e.line}"><td>${e.line}</td><td>${v.report!.columns[e.target] ?? e.target}</td><td>${formatMessage(ctx.locale, m.errors[e.code], { max: 200 })}</td></tr>`)}</tbody>
</table>
</section>`
    : ''
}
${v.imported ? html`<h2>${r.importDecisions}</h2>${decisionsTable(ctx, v.org, v.imported)}` : ''}
${
  v.canImport
    ? html`<h2 id="h-upload">${r.uploadTitle}</h2>
<form method="post" action="${base}/results" enctype="multipart/form-data" aria-labelledby="h-upload">
  ${csrfField(ctx)}
  <div class="field${fileError ? ' has-error' : ''}">
    <label for="f-file">${r.file}</label>
    <p class="hint" id="f-file-hint">${r.uploadHint}</p>
    ${fileError ? html`<p class="error" id="f-file-error">${fileError}</p>` : ''}
    <input id="f-file" name="file" type="file" accept=".csv,.txt,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" required
      aria-describedby="f-file-hint${fileError ? ' f-file-error' : ''}"${fileError ? html` aria-invalid="true"` : ''}>
  </div>
  <button type="submit">${r.upload}</button>
</form>`
    : ''
}
<h2>${r.rulesTitle}</h2>
${
  v.rules.length
    ? html`<table>
<thead><tr><th scope="col">${r.template}</th><th scope="col">${r.rulesTitle}</th><th scope="col">${m.common.actions}</th></tr></thead>
<tbody>${v.rules.map(
        (x) => html`<tr>
  <td>${pick(x.template.content.name, ctx.locale)}${x.template.status === 'archived' ? html` <span class="tag">${m.templates.archived}</span>` : ''}</td>
  <td>${rulesSummary(ctx, x.rules)}</td>
  <td><a href="${base}/templates/${x.template.id}/rules">${r.rulesEdit}<span class="visually-hidden"> ${pick(x.template.content.name, ctx.locale)}</span></a></td>
</tr>`,
      )}</tbody>
</table>`
    : html`<p>${r.rulesNone}</p>`
}
<h2>${r.decisionsTitle}</h2>
${decisionsTable(ctx, v.org, v.decisions)}
${v.olderHref ? html`<p><a href="${v.olderHref}">${r.older}</a></p>` : ''}`,
  );
}

/** Form values of rules (what the inputs show). */
export function rulesValues(rules: IssuanceRules): Record<string, string> {
  return {
    enabled: rules.enabled ? 'on' : '',
    activities: rules.activities.join(', '),
    mode: rules.mode,
    minScore: rules.minScore === null ? '' : String(rules.minScore),
    requirePassed: rules.requirePassed ? 'on' : '',
    policy: rules.policy,
    renewWithinDays: String(rules.renewWithinDays),
    delayMinutes: String(rules.delayMinutes),
  };
}

export function rulesPage(
  ctx: PageContext,
  v: {
    org: Organization;
    standing: Standing;
    template: Template;
    values: Record<string, string>;
    editable: boolean;
    scoreField: string | null;
    notice?: string;
    state?: FormState;
  },
): Html {
  const { m } = ctx;
  const f = m.results.form;
  const e = v.state?.errors ?? {};
  const val = { ...v.values, ...(v.state?.values ?? {}) };
  const name = pick(v.template.content.name, ctx.locale);
  const dis = v.editable ? '' : html` disabled`;
  const checked = (on: boolean) => (on ? html` checked` : '');
  const radio = (group: string, value: string, label: string) =>
    html`<label><input type="radio" name="${group}" value="${value}"${checked(val[group] === value)}${dis}> ${label}</label>`;
  const fields = html`
  <div class="field"><label><input type="checkbox" name="enabled" value="on"${checked(val['enabled'] === 'on')}${dis}> ${f.enabled}</label></div>
  ${
    v.editable
      ? field({ name: 'activities', label: f.activities, value: val['activities'], hint: f.activitiesHint, error: e['activities'], maxlength: 2500 })
      : html`<div class="field"><label for="f-activities">${f.activities}</label><input id="f-activities" name="activities" type="text" value="${val['activities'] ?? ''}" disabled></div>`
  }
  <fieldset><legend>${f.mode}</legend>${radio('mode', 'all', f.modeAll)}${radio('mode', 'any', f.modeAny)}</fieldset>
  ${
    v.editable
      ? field({ name: 'minScore', label: f.minScore, value: val['minScore'], hint: f.minScoreHint, error: e['minScore'], inputmode: 'decimal', maxlength: 20 })
      : html`<div class="field"><label for="f-minScore">${f.minScore}</label><input id="f-minScore" name="minScore" type="text" value="${val['minScore'] ?? ''}" disabled></div>`
  }
  <div class="field"><label><input type="checkbox" name="requirePassed" value="on"${checked(val['requirePassed'] === 'on')}${dis}> ${f.requirePassed}</label>
    <p class="hint">${f.requirePassedHint}</p></div>
  <fieldset><legend>${f.policy}</legend>${radio('policy', 'once', f.policyOnce)}${radio('policy', 'recertify', f.policyRecertify)}</fieldset>
  ${
    v.editable
      ? field({
          name: 'renewWithinDays',
          label: f.renewWithinDays,
          value: val['renewWithinDays'],
          error: e['renewWithinDays'],
          inputmode: 'numeric',
          maxlength: 5,
        })
      : html`<div class="field"><label for="f-renewWithinDays">${f.renewWithinDays}</label><input id="f-renewWithinDays" name="renewWithinDays" type="text" value="${val['renewWithinDays'] ?? ''}" disabled></div>`
  }
  ${
    v.editable
      ? field({
          name: 'delayMinutes',
          label: f.delayMinutes,
          value: val['delayMinutes'],
          hint: f.delayHint,
          error: e['delayMinutes'],
          inputmode: 'numeric',
          maxlength: 6,
        })
      : html`<div class="field"><label for="f-delayMinutes">${f.delayMinutes}</label><input id="f-delayMinutes" name="delayMinutes" type="text" value="${val['delayMinutes'] ?? ''}" disabled></div>`
  }
`;
  return layout(
    ctx,
    `${format(m.results.rulesEditOf, { name })} · ${v.org.name}`,
    html`
<p class="breadcrumb"><a href="/console">${m.console.title}</a> › <a href="/console/${v.org.slug}">${v.org.name}</a> › <a href="/console/${v.org.slug}/results">${m.results.tab}</a></p>
<h1>${format(m.results.rulesEditOf, { name })}</h1>
${notice(v.notice)}
${errorSummary(ctx, [...(v.state?.general ?? []), ...Object.values(e)])}
${v.editable ? '' : html`<p class="hint">${f.readOnly}</p>`}
<p class="hint">${v.scoreField ? format(f.scoreField, { field: v.scoreField }) : f.noScoreField}</p>
${
  v.editable
    ? html`<form method="post" action="/console/${v.org.slug}/templates/${v.template.id}/rules">
  ${csrfField(ctx)}
  ${fields}
  <button type="submit">${f.save}</button>
</form>`
    : html`<div class="rules-readonly">${fields}</div>`
}
<p><a href="/console/${v.org.slug}/results">${f.back}</a></p>`,
  );
}

/** The holder's delayed credentials: "pending, expected around <time in the organisation's zone>". Empty when there are none. */
export function pendingSection(ctx: PageContext, pending: PendingCredential[]): Html {
  if (!pending.length) return html``;
  const r = ctx.m.results;
  return html`<section aria-labelledby="h-pending" class="pending-credentials">
<h2 id="h-pending">${r.pendingTitle}</h2>
<p class="hint">${r.pendingIntro}</p>
<ul class="list">${pending.map(
    (p) =>
      html`<li data-pending="${p.decisionId}">${format(r.pendingItem, {
        credential: pick(p.templateName, ctx.locale),
        org: p.orgName,
        time: formatDateTime(ctx.locale, p.dueAt, { timeZone: p.orgTimeZone }),
      })}</li>`,
  )}</ul>
</section>`;
}
