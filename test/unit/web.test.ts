import { describe, expect, it } from 'vitest';
import { jsonDepth } from '../../src/http/server.js';
import { messages, negotiateLocale } from '../../src/i18n/t.js';
import { redactUrl } from '../../src/logger.js';
import { renderMail } from '../../src/mail/render.js';
import { escapeHtml, html, unsafeRaw } from '../../src/shared/html.js';
import { safeNext } from '../../src/web/routes/helpers.js';

describe('html templates', () => {
  it('escapes every interpolated value and keeps nested templates', () => {
    const evil = `<script>alert(1)</script>"'\`&`;
    const out = html`<p title="${evil}">${evil}${html`<b>${evil}</b>`}${[evil, 1]}${null}${unsafeRaw('<i>ok</i>')}</p>`.value;
    expect(out).not.toContain('<script>');
    expect(out).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&#96;&amp;');
    expect(out).toContain('<b>&lt;script&gt;');
    expect(out).toContain('<i>ok</i>');
  });
});

describe('locale negotiation', () => {
  it('prefers the query, then the cookie, then Accept-Language, then the default', () => {
    expect(negotiateLocale({ query: 'en', cookie: 'fr', acceptLanguage: 'fr', fallback: 'fr' })).toBe('en');
    expect(negotiateLocale({ cookie: 'en', acceptLanguage: 'fr', fallback: 'fr' })).toBe('en');
    expect(negotiateLocale({ userPreference: 'fr', acceptLanguage: 'en', fallback: 'en' })).toBe('fr');
    expect(negotiateLocale({ cookie: 'en', userPreference: 'fr', fallback: 'fr' })).toBe('en');
    expect(negotiateLocale({ acceptLanguage: 'de-DE, en-GB;q=0.8, fr;q=0.5', fallback: 'fr' })).toBe('en');
    expect(negotiateLocale({ acceptLanguage: 'fr-CA', fallback: 'en' })).toBe('fr');
    expect(negotiateLocale({ acceptLanguage: 'de', fallback: 'fr' })).toBe('fr');
    expect(negotiateLocale({ query: 'xx', acceptLanguage: 'en;q=0', fallback: 'fr' })).toBe('fr');
  });
});

describe('helpers', () => {
  it('computes JSON depth without recursion', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(jsonDepth(deep, 32)).toBeGreaterThan(32);
    expect(jsonDepth({ a: { b: [1] } }, 32)).toBe(3);
  });

  it('redacts tokens from logged URLs, encoded or not', () => {
    expect(redactUrl('/password/reset?token=abc&lang=en')).toBe('/password/reset?token=[redacted]&lang=en');
    expect(redactUrl('/signin?next=%2Finvitations%2Faccept%3Ftoken%3Dabc')).not.toContain('abc');
  });

  it('follows only same-site relative paths after sign-in', () => {
    expect(safeNext('/console/x', '/')).toBe('/console/x');
    for (const bad of ['//evil.test', 'https://evil.test', '/\\evil.test', 'javascript:alert(1)', '/a\nb']) expect(safeNext(bad, '/')).toBe('/');
  });
});

describe('mail rendering (X4)', () => {
  it('never puts a code or a link in a subject (subjects are stored in clear and shown on lock screens)', async () => {
    const { fr } = await import('../../src/i18n/fr.js');
    const { en } = await import('../../src/i18n/en.js');
    for (const m of [fr.mail, en.mail]) {
      for (const [kind, tpl] of Object.entries(m)) {
        if (typeof tpl === 'object' && tpl && 'subject' in tpl) expect(tpl.subject, kind).not.toMatch(/\{(code|resetUrl|acceptUrl|signInUrl)\}/);
      }
    }
  });

  it('keeps subjects on one line and escapes HTML bodies', () => {
    const mail = renderMail({
      kind: 'invitation',
      to: 'a@example.org',
      locale: 'fr',
      params: {
        orgName: 'Evil\r\nBcc: x@evil.test <b>',
        inviterName: '<script>x</script>',
        role: 'staff',
        acceptUrl: 'https://sceau.test/invitations/accept?token=t',
      },
    });
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.html).not.toContain('<script>x');
    expect(mail.html).toContain('&lt;script&gt;');
    expect(mail.text).toContain('Personnel');
    const en = renderMail({ kind: 'password.changed', to: 'a@example.org', locale: 'en', params: { name: 'Ann' } });
    expect(en.subject).toBe('Your Sceau password was changed');
  });

  it('tells a credential recipient what to do if it is not for them, not "if you did not ask for this"', () => {
    for (const locale of ['fr', 'en'] as const) {
      const mail = renderMail({
        kind: 'credential.issued',
        to: 'a@example.org',
        locale,
        params: { name: 'Ann', orgName: 'École', credentialName: 'SST', link: 'https://sceau.test/c/1?t=x', inAccount: 0, customSubject: '', customBody: '' },
      });
      const m = messages(locale).mail;
      expect(mail.text).toContain(m.notForYou);
      expect(mail.html).toContain(escapeHtml(m.notForYou));
      expect(mail.text).not.toContain(m.ignore);
    }
    const reset = renderMail({ kind: 'password.changed', to: 'a@example.org', locale: 'fr', params: { name: 'Ann' } });
    expect(reset.text).toContain(messages('fr').mail.ignore);
  });
});
