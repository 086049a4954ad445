import type { Locale } from '../domain/shared/model.js';
import { en } from './en.js';
import { type Messages, fr } from './fr.js';

export const MESSAGES: Record<Locale, Messages> = { fr, en };

/** Fills `{name}` placeholders. Values are inserted as text; escaping is the template's job. */
export function format(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m));
}

export function messages(locale: Locale): Messages {
  return MESSAGES[locale];
}

/** Picks the locale from `?lang`, then the cookie, then the signed-in person's preference, then Accept-Language, then the default. */
export function negotiateLocale(input: {
  query?: unknown;
  cookie?: unknown;
  userPreference?: unknown;
  acceptLanguage?: string | undefined;
  fallback: Locale;
}): Locale {
  for (const v of [input.query, input.cookie, input.userPreference]) if (v === 'fr' || v === 'en') return v;
  const header = input.acceptLanguage ?? '';
  const ranked = header
    .split(',')
    .map((part) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { lang: tag.toLowerCase().slice(0, 2), q: q ? Number(q.slice(2)) || 0 : 1 };
    })
    .filter((x) => x.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const r of ranked) if (r.lang === 'fr' || r.lang === 'en') return r.lang;
  return input.fallback;
}
