/** Localises a verification result's messages (steps, errors, warnings, nested results) from the code catalogue. */
import type { VerificationResult } from '../domain/credentials/verification.js';
import type { Locale } from '../domain/shared/model.js';
import { messages } from './t.js';
import { formatDateTime } from './dates.js';
import { formatMessage } from './plural.js';

export function verificationMessage(locale: Locale, code: string, params?: Record<string, string | number>): string | undefined {
  const template = (messages(locale).verification.codes as Record<string, string>)[code];
  return template === undefined ? undefined : formatMessage(locale, template, params);
}

/** An ISO date-time parameter as people read it (the one formatter of pages and e-mails); anything else as is. */
function readable(locale: Locale, value: string | number, timeZone: string | undefined): string | number {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) return value;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : formatDateTime(locale, d, { timeZone });
}

/**
 * Localises the messages (steps, errors, warnings, nested results). Dates in messages read like everywhere else
 * (`Valide depuis le 7 déc. 2026 16:21 (UTC)`: the page's time zone, UTC by default); `params` keep their ISO form
 * for programs.
 */
export function localizeVerification(result: VerificationResult, locale: Locale, options: { timeZone?: string } = {}): VerificationResult {
  const localise = <T extends { code?: string; message?: string; params?: Record<string, string | number> }>(item: T): T => {
    const params = item.params && Object.fromEntries(Object.entries(item.params).map(([k, v]) => [k, readable(locale, v, options.timeZone)]));
    const message = item.code ? verificationMessage(locale, item.code, params) : undefined;
    return message === undefined ? item : { ...item, message };
  };
  const out: VerificationResult = { ...result, log: result.log.map(localise), errors: result.errors.map(localise), warnings: result.warnings.map(localise) };
  if (result.nested) out.nested = result.nested.map((n) => localizeVerification(n, locale, options));
  return out;
}
