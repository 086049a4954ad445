import type { AuditEvent } from '../../domain/shared/model.js';
import { formatDateTime } from '../../i18n/dates.js';
import { format } from '../../i18n/t.js';
import { type Html, html } from '../../shared/html.js';
import { type PageContext, csrfField, errorSummary, field, layout, notice, select } from '../layout.js';
import type { FormState } from './auth.js';
import { type ApiKey, type Invitation, type MemberView, type Organization, type Role, ROLES, isRole } from '../../domain/organizations/model.js';
import { type Standing, can } from '../../domain/shared/policies.js';
import type { OrgFigures } from '../../domain/organizations/ports.js';

/**
 * A date and time in the page's language and time zone (the organisation's on its pages, else UTC), naming the zone:
 * `8 déc. 2026 04:00 (Europe/Brussels)`. `seconds` for delivery logs.
 */
export const fmtDate = (ctx: PageContext, d: Date, options: { seconds?: boolean } = {}) =>
  formatDateTime(ctx.locale, d, { timeZone: ctx.timeZone, seconds: options.seconds });

function tabs(ctx: PageContext, org: Organization, standing: Standing, current: string): Html {
  const { m } = ctx;
  const items: [string, string][] = [
    ['', m.console.overview],
    ['/templates', m.templates.tab],
    ['/credentials', m.credentials.tab],
    ['/bulk', m.bulk.tab],
    ['/results', m.results.tab],
    ['/analytics', m.analytics.tab],
    ['/members', m.console.members],
  ];
  if (can(standing, 'org.manage')) items.push(['/settings', m.console.settings], ['/api-keys', m.console.apiKeys]);
  if (can(standing, 'webhooks.manage')) items.push(['/webhooks', m.webhooks.tab]);
  if (can(standing, 'org.manage')) items.push(['/audit', m.console.audit]);
  return html`<nav aria-label="${org.name}" class="tabs"><ul>${items.map(([suffix, label]) => html`<li><a href="/console/${org.slug}${suffix}"${current === suffix ? html` aria-current="page"` : ''}>${label}</a></li>`)}</ul></nav>`;
}

/** The organisation's heading and tabs; `standing` (a member's role, in pages) decides which tabs show. */
export function orgHeader(ctx: PageContext, org: Organization, { standing, current }: { standing: Standing; current: string }): Html {
  return html`<p class="breadcrumb"><a href="/console">${ctx.m.console.title}</a></p>
<h1>${org.name}</h1>
<p class="meta">${ctx.m.console.yourRole} <span class="tag">${isRole(standing) ? ctx.m.roles[standing] : ''}</span></p>
${tabs(ctx, org, standing, current)}`;
}

export function consoleIndexPage(ctx: PageContext, orgs: { org: Organization; role: Role }[]): Html {
  const { m } = ctx;
  return layout(
    ctx,
    m.console.title,
    html`
<h1>${m.console.title}</h1>
${
  orgs.length
    ? html`<ul class="list">${orgs.map((o) => html`<li><a href="/console/${o.org.slug}">${o.org.name}</a> <span class="tag">${m.roles[o.role]}</span></li>`)}</ul>`
    : html`<p>${m.account.noOrgs}</p>`
}`,
  );
}

/** The figures that matter, each linking to where it is handled, and the next step of a new organisation. */
function figuresSection(ctx: PageContext, org: Organization, standing: Standing, f: OrgFigures, now: Date): Html {
  const o = ctx.m.overview;
  const base = `/console/${org.slug}`;
  const month = new Intl.DateTimeFormat(ctx.locale === 'fr' ? 'fr-CA' : 'en-GB', { month: 'long', year: 'numeric', timeZone: ctx.timeZone }).format(now);
  const figure = (label: string, n: number, href: string, className = '') =>
    html`<div class="figure${className && n > 0 ? ` ${className}` : ''}"><dt>${label}</dt><dd><a href="${href}">${new Intl.NumberFormat(ctx.locale === 'fr' ? 'fr-CA' : 'en-GB').format(n)}</a></dd></div>`;
  const canIssue = can(standing, 'templates.edit');
  return html`${
    f.templates === 0
      ? html`<section class="next-step alert alert-info" aria-labelledby="h-next">
<h2 id="h-next">${o.nextStep}</h2>
<p>${o.noTemplate}</p>
${canIssue ? html`<p><a class="button" href="${base}/templates/new">${o.createTemplate}</a></p>` : html`<p class="hint">${o.askAdmin}</p>`}
</section>`
      : ''
  }
<section aria-labelledby="h-figures">
<h2 id="h-figures">${o.title}</h2>
<dl class="figures">
  ${figure(format(o.issuedThisMonth, { month }), f.issuedThisMonth, `${base}/credentials`)}
  ${figure(o.pendingRows, f.pendingRows, `${base}/bulk`)}
  ${figure(o.pendingDecisions, f.pendingDecisions, `${base}/results`)}
  ${figure(o.failedDeliveries, f.failedDeliveries, `${base}/credentials`, 'figure-alert')}
  ${figure(o.runningJobs, f.runningJobs, `${base}/bulk`)}
</dl>
</section>`;
}

export function orgOverviewPage(
  ctx: PageContext,
  v: {
    org: Organization;
    standing: Standing;
    parent?: Organization;
    children: Organization[];
    memberCount: number;
    figures: OrgFigures;
    now: Date;
  },
): Html {
  const { m } = ctx;
  return layout(
    ctx,
    v.org.name,
    html`
${orgHeader(ctx, v.org, { standing: v.standing, current: '' })}
${figuresSection(ctx, v.org, v.standing, v.figures, v.now)}
<h2>${m.overview.about}</h2>
<dl class="facts">
  <dt>${m.console.slug}</dt><dd><code>${v.org.slug}</code></dd>
  <dt>${m.console.languages}</dt><dd>${v.org.languages.join(', ')}</dd>
  <dt>${m.console.timeZone}</dt><dd>${v.org.timeZone}</dd>
  <dt>${m.console.members}</dt><dd>${v.memberCount}</dd>
  ${v.parent ? html`<dt>${m.console.parent}</dt><dd>${v.parent.name}</dd>` : ''}
</dl>
${v.children.length ? html`<h2>${m.console.network}</h2><ul class="list">${v.children.map((c) => html`<li>${c.name} <code>${c.slug}</code></li>`)}</ul>` : ''}`,
  );
}

export function membersPage(
  ctx: PageContext,
  v: {
    org: Organization;
    standing: Standing;
    members: MemberView[];
    invitations: Invitation[];
    notice?: string;
    state?: FormState;
    selfId: string;
  },
): Html {
  const { m } = ctx;
  const isAdmin = can(v.standing, 'org.manage');
  const roleChoices = ROLES.map((r) => ({ value: r, label: m.roles[r] }));
  return layout(
    ctx,
    `${m.console.members} · ${v.org.name}`,
    html`
${orgHeader(ctx, v.org, { standing: v.standing, current: '/members' })}
${notice(v.notice)}
${errorSummary(ctx, [...(v.state?.general ?? []), ...Object.values(v.state?.errors ?? {})])}
<h2>${m.console.members}</h2>
<table>
<thead><tr><th scope="col">${m.common.name}</th><th scope="col">${m.common.email}</th><th scope="col">${m.common.role}</th>${isAdmin ? html`<th scope="col">${m.common.actions}</th>` : ''}</tr></thead>
<tbody>
${v.members.map(
  (mb) => html`<tr>
  <td>${mb.displayName}</td><td>${mb.email}</td><td>${m.roles[mb.role]}</td>
  ${
    isAdmin
      ? html`<td>
    <form method="post" action="/console/${v.org.slug}/members/${mb.userId}/role" class="inline">
      ${csrfField(ctx)}
      <label class="visually-hidden" for="role-${mb.userId}">${m.console.changeRole} (${mb.displayName})</label>
      <select id="role-${mb.userId}" name="role">${roleChoices.map((c) => html`<option value="${c.value}"${c.value === mb.role ? html` selected` : ''}>${c.label}</option>`)}</select>
      <button type="submit" class="small">${m.console.changeRole}</button>
    </form>
    ${mb.userId !== v.selfId ? html`<form method="post" action="/console/${v.org.slug}/members/${mb.userId}/remove" class="inline">${csrfField(ctx)}<button type="submit" class="small secondary">${m.console.removeMember}<span class="visually-hidden"> ${mb.displayName}</span></button></form>` : ''}
  </td>`
      : ''
  }
</tr>`,
)}
</tbody>
</table>
${
  isAdmin
    ? html`
<h2 id="h-invite">${m.console.invite}</h2>
<form method="post" action="/console/${v.org.slug}/invitations" aria-labelledby="h-invite">
  ${csrfField(ctx)}
  ${field({ name: 'email', label: m.common.email, type: 'email', required: true, maxlength: 254, value: v.state?.values?.['email'], error: v.state?.errors?.['email'] })}
  ${select({ name: 'role', label: m.common.role, value: v.state?.values?.['role'] ?? 'staff', choices: roleChoices })}
  ${select({
    name: 'locale',
    label: m.console.inviteLanguage,
    value: v.org.languages[0] ?? 'fr',
    choices: [
      { value: 'fr', label: 'Français' },
      { value: 'en', label: 'English' },
    ],
  })}
  <button type="submit">${m.console.inviteSubmit}</button>
</form>
<h2>${m.console.pending}</h2>
${
  v.invitations.length
    ? html`<table>
<thead><tr><th scope="col">${m.common.email}</th><th scope="col">${m.common.role}</th><th scope="col">${m.console.expires}</th><th scope="col">${m.common.actions}</th></tr></thead>
<tbody>${v.invitations.map(
        (i) => html`<tr><td>${i.email}</td><td>${m.roles[i.role]}</td><td>${fmtDate(ctx, i.expiresAt)}</td>
<td><form method="post" action="/console/${v.org.slug}/invitations/${i.id}/revoke" class="inline">${csrfField(ctx)}<button type="submit" class="small secondary">${m.console.revoke}<span class="visually-hidden"> ${i.email}</span></button></form></td></tr>`,
      )}</tbody>
</table>`
    : html`<p>${m.common.none}</p>`
}`
    : ''
}`,
  );
}

export function settingsPage(ctx: PageContext, v: { org: Organization; standing: Standing; notice?: string; state?: FormState }): Html {
  const { m } = ctx;
  const e = v.state?.errors ?? {};
  return layout(
    ctx,
    `${m.console.settings} · ${v.org.name}`,
    html`
${orgHeader(ctx, v.org, { standing: v.standing, current: '/settings' })}
${notice(v.notice)}
${errorSummary(ctx, [...(v.state?.general ?? []), ...Object.values(e)])}
<form method="post" action="/console/${v.org.slug}/settings">
  ${csrfField(ctx)}
  ${field({ name: 'name', label: m.console.orgName, value: v.state?.values?.['name'] ?? v.org.name, required: true, maxlength: 200, error: e['name'] })}
  ${field({ name: 'logoUrl', label: m.console.logoUrl, type: 'url', value: v.state?.values?.['logoUrl'] ?? v.org.logoUrl ?? '', maxlength: 2048, error: e['logoUrl'] })}
  <fieldset><legend>${m.console.languages}</legend>
    <label><input type="checkbox" name="languages" value="fr"${v.org.languages.includes('fr') ? html` checked` : ''}> Français</label>
    <label><input type="checkbox" name="languages" value="en"${v.org.languages.includes('en') ? html` checked` : ''}> English</label>
  </fieldset>
  ${timeZoneSelect(ctx, v.state?.values?.['timeZone'] ?? v.org.timeZone, e['timeZone'])}
  <button type="submit">${m.common.save}</button>
</form>`,
  );
}

/** Every IANA zone the runtime knows, plus UTC and the current value (an alias such as America/Montreal). */
function timeZoneSelect(ctx: PageContext, value: string, error?: string): Html {
  const zones = [...new Set([...Intl.supportedValuesOf('timeZone'), 'UTC', value])].sort();
  const describedBy = error ? 'f-timeZone-hint f-timeZone-error' : 'f-timeZone-hint';
  return html`<div class="field${error ? ' has-error' : ''}"><label for="f-timeZone">${ctx.m.console.timeZone}</label>
<p class="hint" id="f-timeZone-hint">${ctx.m.console.timeZoneHint}</p>
${error ? html`<p class="error" id="f-timeZone-error">${error}</p>` : ''}
<select id="f-timeZone" name="timeZone" aria-describedby="${describedBy}"${error ? html` aria-invalid="true"` : ''}>${zones.map((z) => html`<option value="${z}"${z === value ? html` selected` : ''}>${z}</option>`)}</select></div>`;
}

export function apiKeysPage(
  ctx: PageContext,
  v: { org: Organization; standing: Standing; keys: ApiKey[]; newKey?: string; notice?: string; state?: FormState },
): Html {
  const { m } = ctx;
  return layout(
    ctx,
    `${m.console.apiKeys} · ${v.org.name}`,
    html`
${orgHeader(ctx, v.org, { standing: v.standing, current: '/api-keys' })}
${notice(v.notice)}
${v.newKey ? html`<div class="alert alert-ok" role="status"><p>${m.console.keyCreated}</p><p><code class="secret">${v.newKey}</code></p></div>` : ''}
${errorSummary(ctx, [...(v.state?.general ?? []), ...Object.values(v.state?.errors ?? {})])}
<table>
<thead><tr><th scope="col">${m.console.keyLabel}</th><th scope="col">${m.console.keyPrefix}</th><th scope="col">${m.common.created}</th><th scope="col">${m.console.lastUsed}</th><th scope="col">${m.common.status}</th><th scope="col">${m.common.actions}</th></tr></thead>
<tbody>${v.keys.map(
      (k) => html`<tr><td>${k.label}</td><td><code>${k.prefix}…</code></td><td>${fmtDate(ctx, k.createdAt)}</td>
<td>${k.lastUsedAt ? fmtDate(ctx, k.lastUsedAt) : m.console.never}</td><td>${k.revokedAt ? m.console.revoked : m.console.active}</td>
<td>${k.revokedAt ? '' : html`<form method="post" action="/console/${v.org.slug}/api-keys/${k.id}/revoke" class="inline">${csrfField(ctx)}<button type="submit" class="small secondary">${m.console.revoke}<span class="visually-hidden"> ${k.label}</span></button></form>`}</td></tr>`,
    )}</tbody>
</table>
<h2 id="h-newkey">${m.console.newKey}</h2>
<form method="post" action="/console/${v.org.slug}/api-keys" aria-labelledby="h-newkey">
  ${csrfField(ctx)}
  ${field({ name: 'label', label: m.console.keyLabel, maxlength: 100 })}
  <button type="submit">${m.console.newKey}</button>
</form>`,
  );
}

export function auditPage(ctx: PageContext, v: { org: Organization; standing: Standing; events: AuditEvent[]; actors: Map<string, string> }): Html {
  const { m } = ctx;
  return layout(
    ctx,
    `${m.console.audit} · ${v.org.name}`,
    html`
${orgHeader(ctx, v.org, { standing: v.standing, current: '/audit' })}
<table>
<thead><tr><th scope="col">${m.common.date}</th><th scope="col">${m.console.auditAction}</th><th scope="col">${m.console.auditActor}</th><th scope="col">${m.console.auditTarget}</th></tr></thead>
<tbody>${v.events.map(
      (e) => html`<tr><td>${fmtDate(ctx, e.at)}</td><td><code>${e.action}</code></td>
<td>${e.actorUserId ? (v.actors.get(e.actorUserId) ?? e.actorUserId) : e.actorApiKeyId ? `API ${e.actorApiKeyId.slice(0, 8)}` : 'system'}</td>
<td>${e.targetType ?? ''}</td></tr>`,
    )}</tbody>
</table>`,
  );
}

export function invitationPage(
  ctx: PageContext,
  v: {
    org?: Organization;
    role?: Role;
    email?: string;
    token?: string;
    hasAccount?: boolean;
    isInvalid?: boolean;
    state?: FormState;
    signedInAs?: string;
  },
): Html {
  const { m } = ctx;
  if (v.isInvalid || !v.org || !v.role || !v.token) {
    return layout(ctx, m.invitation.title, html`<h1>${m.invitation.title}</h1><p class="alert alert-error" role="alert">${m.invitation.invalid}</p>`);
  }
  const e = v.state?.errors ?? {};
  return layout(
    ctx,
    m.invitation.title,
    html`
<h1>${m.invitation.title}</h1>
<p class="lead">${format(m.invitation.intro, { org: v.org.name, role: m.roles[v.role] })}</p>
<p>${format(m.invitation.forEmail, { email: v.email ?? '' })}</p>
${errorSummary(ctx, [...(v.state?.general ?? []), ...Object.values(e)])}
${
  v.signedInAs
    ? html`<form method="post" action="/invitations/accept">${csrfField(ctx)}<input type="hidden" name="token" value="${v.token}"><button type="submit">${m.invitation.accept}</button></form>`
    : v.hasAccount
      ? html`<p>${m.invitation.signInFirst}</p><p><a class="button" href="/signin?next=${encodeURIComponent(`/invitations/accept?token=${v.token}`)}">${m.nav.signIn}</a></p>`
      : html`<h2>${m.invitation.createAccount}</h2>
<form method="post" action="/invitations/accept" novalidate>
  ${csrfField(ctx)}
  <input type="hidden" name="token" value="${v.token}">
  <input type="text" name="username" value="${v.email ?? ''}" autocomplete="username" hidden>
  ${field({ name: 'displayName', label: m.common.name, autocomplete: 'name', required: true, maxlength: 200, value: v.state?.values?.['displayName'], error: e['displayName'] })}
  ${field({ name: 'password', label: m.common.password, type: 'password', autocomplete: 'new-password', required: true, hint: m.common.passwordHint, maxlength: 128, error: e['password'] })}
  <button type="submit">${m.invitation.accept}</button>
</form>`
}`,
  );
}
