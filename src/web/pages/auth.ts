import { type Html, html } from '../../shared/html.js';
import { type PageContext, csrfField, errorSummary, field, layout, notice, select } from '../layout.js';

export interface FormState {
  values?: Record<string, string>;
  errors?: Record<string, string>;
  general?: string[];
  notice?: string;
}

function allErrors(state: FormState): string[] {
  return [...(state.general ?? []), ...Object.values(state.errors ?? {})];
}

function languageChoices() {
  return [
    { value: 'fr', label: 'Français' },
    { value: 'en', label: 'English' },
  ].map((c) => ({ ...c, label: c.label }));
}

export function signUpPage(ctx: PageContext, state: FormState = {}): Html {
  const { m } = ctx;
  const v = state.values ?? {};
  const e = state.errors ?? {};
  return layout(
    ctx,
    m.signup.title,
    html`
<h1>${m.signup.title}</h1>
<p>${m.signup.intro}</p>
${errorSummary(ctx, allErrors(state))}
<form method="post" action="/signup" novalidate>
  ${csrfField(ctx)}
  ${field({ name: 'displayName', label: m.common.name, value: v['displayName'], autocomplete: 'name', required: true, error: e['displayName'], maxlength: 200 })}
  ${field({ name: 'email', label: m.common.email, type: 'email', value: v['email'], autocomplete: 'email', required: true, error: e['email'], maxlength: 254 })}
  ${field({ name: 'password', label: m.common.password, type: 'password', autocomplete: 'new-password', required: true, hint: m.common.passwordHint, error: e['password'], maxlength: 128 })}
  ${select({ name: 'locale', label: m.common.language, value: v['locale'] ?? ctx.locale, choices: languageChoices() })}
  <button type="submit">${m.signup.submit}</button>
</form>
<p>${m.signup.haveAccount} <a href="/signin">${m.nav.signIn}</a></p>`,
  );
}

export function verifyCodePage(ctx: PageContext, flowId: string, state: FormState = {}): Html {
  const { m } = ctx;
  return layout(
    ctx,
    m.verify.title,
    html`
<h1>${m.verify.title}</h1>
${notice(state.notice)}
<p>${m.verify.intro}</p>
${errorSummary(ctx, allErrors(state))}
<form method="post" action="/signup/verify" novalidate>
  ${csrfField(ctx)}
  <input type="hidden" name="flow" value="${flowId}">
  ${field({ name: 'code', label: m.verify.code, inputmode: 'numeric', autocomplete: 'one-time-code', required: true, error: state.errors?.['code'], maxlength: 6 })}
  <button type="submit">${m.verify.submit}</button>
</form>
<form method="post" action="/signup/resend" class="secondary">
  ${csrfField(ctx)}
  <input type="hidden" name="flow" value="${flowId}">
  <button type="submit" class="link">${m.verify.resend}</button>
</form>`,
  );
}

export function signInPage(ctx: PageContext, state: FormState = {}, next = ''): Html {
  const { m } = ctx;
  const v = state.values ?? {};
  return layout(
    ctx,
    m.signin.title,
    html`
<h1>${m.signin.title}</h1>
${notice(state.notice)}
${errorSummary(ctx, allErrors(state))}
<form method="post" action="/signin" novalidate>
  ${csrfField(ctx)}
  <input type="hidden" name="next" value="${next}">
  ${field({ name: 'email', label: m.common.email, type: 'email', value: v['email'], autocomplete: 'username', required: true, maxlength: 254 })}
  ${field({ name: 'password', label: m.common.password, type: 'password', autocomplete: 'current-password', required: true, maxlength: 128 })}
  <button type="submit">${m.signin.submit}</button>
</form>
<p><a href="/password/forgot">${m.signin.forgot}</a></p>
<p>${m.signin.noAccount} <a href="/signup">${m.nav.signUp}</a></p>`,
  );
}

export function forgotPage(ctx: PageContext, state: FormState = {}): Html {
  const { m } = ctx;
  return layout(
    ctx,
    m.forgot.title,
    html`
<h1>${m.forgot.title}</h1>
${notice(state.notice)}
<p>${m.forgot.intro}</p>
<form method="post" action="/password/forgot" novalidate>
  ${csrfField(ctx)}
  ${field({ name: 'email', label: m.common.email, type: 'email', autocomplete: 'email', required: true, maxlength: 254 })}
  <button type="submit">${m.forgot.submit}</button>
</form>`,
  );
}

export function resetPage(ctx: PageContext, token: string, state: FormState = {}): Html {
  const { m } = ctx;
  return layout(
    ctx,
    m.reset.title,
    html`
<h1>${m.reset.title}</h1>
${errorSummary(ctx, allErrors(state))}
<form method="post" action="/password/reset" novalidate>
  ${csrfField(ctx)}
  <input type="hidden" name="token" value="${token}">
  ${field({ name: 'password', label: m.reset.newPassword, type: 'password', autocomplete: 'new-password', required: true, hint: m.common.passwordHint, error: state.errors?.['password'], maxlength: 128 })}
  <button type="submit">${m.reset.submit}</button>
</form>`,
  );
}

export function resetInvalidPage(ctx: PageContext): Html {
  const { m } = ctx;
  return layout(
    ctx,
    m.reset.title,
    html`
<h1>${m.reset.title}</h1>
<p class="alert alert-error" role="alert">${m.reset.invalid}</p>
<p><a href="/password/forgot">${m.reset.again}</a></p>`,
  );
}
