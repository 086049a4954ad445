/** Localises a verification result's messages (steps, errors, warnings, nested results) from the code catalogue. */
import type { VerificationResult } from '../domain/credentials/verification.js';
import type { Locale } from '../domain/model.js';
import { formatMessage } from './plural.js';
import { messages } from './t.js';

export function verificationMessage(locale: Locale, code: string, params?: Record<string, string | number>): string | undefined {
  const template = (messages(locale).verification.codes as Record<string, string>)[code];
  return template === undefined ? undefined : formatMessage(locale, template, params);
}

export function localizeVerification(result: VerificationResult, locale: Locale): VerificationResult {
  const localise = <T extends { code?: string; message?: string; params?: Record<string, string | number> }>(item: T): T => {
    const message = item.code ? verificationMessage(locale, item.code, item.params) : undefined;
    return message === undefined ? item : { ...item, message };
  };
  const out: VerificationResult = { ...result, log: result.log.map(localise), errors: result.errors.map(localise), warnings: result.warnings.map(localise) };
  if (result.nested) out.nested = result.nested.map((n) => localizeVerification(n, locale));
  return out;
}
