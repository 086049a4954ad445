import { type Html, html } from '../../shared/html.js';
import { type PageContext, csrfField, errorSummary, field, layout, notice, select } from '../layout.js';
import type { FormState } from './auth.js';
import type { User, UserEmail } from '../../domain/accounts/model.js';
import type { Organization, Role } from '../../domain/organizations/model.js';

export interface AccountView {
  user: User;
  emails: UserEmail[];
  orgs: { org: Organization; role: Role }[];
  notice?: string;
  /** Which form the state belongs to. */
  form?: 'profile' | 'addEmail' | 'verifyEmail' | 'password' | 'emails';
  state?: FormState;
  pendingFlowId?: string;
}

export function accountPage(ctx: PageContext, view: AccountView): Html {
  const { m } = ctx;
  const st = (form: AccountView['form']) => (view.form === form ? (view.state ?? {}) : {});
  const errs = (form: AccountView['form']) => [...(st(form).general ?? []), ...Object.values(st(form).errors ?? {})];
  return layout(
    ctx,
    m.account.title,
    html`
<h1>${m.account.title}</h1>
${notice(view.notice)}
<p><a href="/account/credentials">${m.holder.walletLink}</a></p>

<section aria-labelledby="h-profile">
<h2 id="h-profile">${m.account.profile}</h2>
${errorSummary(ctx, errs('profile'))}
<form method="post" action="/account/profile">
  ${csrfField(ctx)}
  ${field({ name: 'displayName', label: m.common.name, value: view.user.displayName, autocomplete: 'name', required: true, maxlength: 200 })}
  ${select({
    name: 'locale',
    label: m.common.language,
    value: view.user.locale,
    choices: [
      { value: 'fr', label: 'Français' },
      { value: 'en', label: 'English' },
    ],
  })}
  <button type="submit">${m.common.save}</button>
</form>
</section>

<section aria-labelledby="h-emails">
<h2 id="h-emails">${m.account.emails}</h2>
${errorSummary(ctx, errs('emails'))}
<ul class="list">
${view.emails.map(
  (e) => html`<li>
  <span class="email">${e.email}</span>
  ${e.isPrimary ? html`<span class="tag">${m.account.primary}</span>` : ''}
  ${e.verifiedAt ? html`<span class="tag tag-ok">${m.account.verified}</span>` : ''}
  ${
    !e.isPrimary
      ? html`
    <form method="post" action="/account/emails/${e.id}/primary" class="inline">${csrfField(ctx)}<button type="submit" class="small">${m.account.makePrimary}</button></form>
    <form method="post" action="/account/emails/${e.id}/remove" class="inline">${csrfField(ctx)}<button type="submit" class="small secondary">${m.account.remove}</button></form>`
      : ''
  }
</li>`,
)}
</ul>
${
  view.pendingFlowId
    ? html`<h3>${m.account.addEmail}</h3>
<p>${m.account.codeSent}</p>
${errorSummary(ctx, errs('verifyEmail'))}
<form method="post" action="/account/emails/verify">
  ${csrfField(ctx)}
  <input type="hidden" name="flow" value="${view.pendingFlowId}">
  ${field({ name: 'code', label: m.verify.code, inputmode: 'numeric', autocomplete: 'one-time-code', required: true, maxlength: 6 })}
  <button type="submit">${m.verify.submit}</button>
</form>`
    : html`<h3>${m.account.addEmail}</h3>
<p class="hint">${m.account.addEmailHint}</p>
${errorSummary(ctx, errs('addEmail'))}
<form method="post" action="/account/emails">
  ${csrfField(ctx)}
  ${field({ name: 'email', label: m.common.email, type: 'email', autocomplete: 'email', required: true, maxlength: 254, value: st('addEmail').values?.['email'] })}
  ${field({ name: 'password', label: m.account.currentPassword, type: 'password', autocomplete: 'current-password', required: true, maxlength: 128 })}
  <button type="submit">${m.account.sendCode}</button>
</form>`
}
</section>

<section aria-labelledby="h-password">
<h2 id="h-password">${m.account.password}</h2>
${errorSummary(ctx, errs('password'))}
<form method="post" action="/account/password">
  ${csrfField(ctx)}
  <input type="text" name="username" value="${view.emails.find((e) => e.isPrimary)?.email ?? ''}" autocomplete="username" hidden>
  ${field({ name: 'currentPassword', label: m.account.currentPassword, type: 'password', autocomplete: 'current-password', required: true, maxlength: 128 })}
  ${field({ name: 'newPassword', label: m.account.newPassword, type: 'password', autocomplete: 'new-password', required: true, hint: m.common.passwordHint, maxlength: 128 })}
  <button type="submit">${m.account.changePassword}</button>
</form>
</section>

<section aria-labelledby="h-orgs">
<h2 id="h-orgs">${m.account.orgs}</h2>
${
  view.orgs.length
    ? html`<ul class="list">${view.orgs.map((o) => html`<li><a href="/console/${o.org.slug}">${o.org.name}</a> <span class="tag">${m.roles[o.role]}</span></li>`)}</ul>`
    : html`<p>${m.account.noOrgs}</p>`
}
</section>`,
  );
}
