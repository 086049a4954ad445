/**
 * Plural forms with `Intl.PluralRules` (French: 0 and 1 are singular; English: only 1), never "(s)".
 *
 * - Page messages are objects keyed by plural category: `{ one: '# ligne invalide', other: '# lignes invalides' }`;
 *   `plural(locale, message, count, params)` picks the variant (`other` when the category has none) and fills `#`
 *   with the count in the language's number format, then the `{name}` placeholders.
 * - Catalogue strings that must stay strings (error messages, verification codes: documented as text) embed the same
 *   variants: `{count, plural, one {# ligne invalide} other {# lignes invalides}}`, resolved by `formatMessage`.
 */
import type { Locale } from '../domain/shared/model.js';
import { format } from './t.js';

/** Variants of one message by plural category; `other` is required. */
export type Plural = Partial<Record<Intl.LDMLPluralRule, string>> & { other: string };

const rules = new Map<Locale, Intl.PluralRules>();
const numbers = new Map<Locale, Intl.NumberFormat>();
const intlLocale = (locale: Locale) => (locale === 'fr' ? 'fr-CA' : 'en-GB');

function rulesOf(locale: Locale): Intl.PluralRules {
  let r = rules.get(locale);
  if (!r) rules.set(locale, (r = new Intl.PluralRules(intlLocale(locale))));
  return r;
}

export function formatCount(locale: Locale, n: number): string {
  let f = numbers.get(locale);
  if (!f) numbers.set(locale, (f = new Intl.NumberFormat(intlLocale(locale))));
  return f.format(n);
}

/** The variant of `message` for `count`, `#` replaced by the count (placeholders left as they are). */
function variantOf(locale: Locale, message: Plural, count: number): string {
  return (message[rulesOf(locale).select(count)] ?? message.other).replace(/#/g, formatCount(locale, count));
}

/** The variant of `message` for `count`, `#` replaced by the count, then `{name}` placeholders filled. */
export function plural(locale: Locale, message: Plural, { count, params = {} }: { count: number; params?: Record<string, string | number> }): string {
  return format(variantOf(locale, message, count), params);
}

/**
 * A catalogue string with embedded plurals (`{name, plural, one {…} other {…}}`, variants without braces other than
 * `{placeholders}`) and `{name}` placeholders, in `locale`.
 */
export function formatMessage(locale: Locale, template: string, params: Record<string, string | number> = {}): string {
  const resolved = template.replace(/\{(\w+), plural,((?:\s*\w+\s*\{(?:[^{}]|\{\w+\})*\})+)\s*\}/g, (all, name: string, body: string) => {
    const count = Number(params[name]);
    if (!Number.isFinite(count)) return all;
    const variants: Plural = { other: '' };
    for (const m of body.matchAll(/(\w+)\s*\{((?:[^{}]|\{\w+\})*)\}/g)) variants[m[1] as Intl.LDMLPluralRule] = m[2]!;
    return variantOf(locale, variants, count);
  });
  return format(resolved, params);
}
