/** Input rules shared by every driver (web forms, API, CLI). Each throws an AppError naming the field. */
import { AppError } from './errors.js';

const EMAIL_RE = /^[^\s@,;<>()"'\\]+@[^\s@,;<>()"'\\]+\.[^\s@,;<>()"'\\]+$/u;

/** Trimmed, lower-cased, one address only (no CR/LF, commas or lists: header injection and A10 d). */
export function normalizeEmail(raw: unknown, field = 'email'): string {
  if (typeof raw !== 'string') throw new AppError('EMAIL_INVALID', {}, { field });
  const email = raw.trim().toLowerCase();
  if (email.length > 254 || !EMAIL_RE.test(email) || /[\u0000-\u001f\u007f]/.test(email)) {
    throw new AppError('EMAIL_INVALID', {}, { field });
  }
  return email;
}

/** 1–200 characters after trimming, no control characters. */
export function normalizeName(raw: unknown, field = 'displayName', max = 200): string {
  const name = typeof raw === 'string' ? raw.normalize('NFC').trim().replace(/\s+/g, ' ') : '';
  if (name.length < 1 || name.length > max || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new AppError('NAME_INVALID', { max }, { field });
  }
  return name;
}

/** Organisation slugs: lowercase letters, digits and inner hyphens, 2–63 characters. */
export function normalizeSlug(raw: unknown): string {
  const slug = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])$/.test(slug)) throw new AppError('ORG_SLUG_INVALID', {}, { field: 'slug' });
  return slug;
}

/** A URL without credentials, at most 2,048 characters. */
function parseUrl(raw: unknown, field: string): URL {
  if (typeof raw !== 'string' || raw.length > 2048) throw new AppError('URL_INVALID', {}, { field });
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new AppError('URL_INVALID', {}, { field });
  }
  if (url.username || url.password) throw new AppError('URL_INVALID', {}, { field });
  return url;
}

/** https URLs only (http allowed for localhost during development). */
export function normalizeUrl(raw: unknown, field: string): string | null {
  if (raw === undefined || raw === null || raw === '') return null;
  const url = parseUrl(raw, field);
  const isLocal = url.hostname === 'localhost' || url.hostname === '127.0.0.1';
  if (!(url.protocol === 'https:' || (url.protocol === 'http:' && isLocal))) throw new AppError('URL_INVALID', {}, { field });
  return url.toString();
}

/** The time zone of a new organisation. */
export const DEFAULT_TIME_ZONE = 'Europe/Paris';

/**
 * An IANA time zone name known to the runtime (`Intl.supportedValuesOf('timeZone')`, plus `UTC` and the aliases it
 * resolves, such as America/Montreal); a listed name is returned with its canonical spelling.
 */
export function normalizeTimeZone(raw: unknown, field = 'timeZone'): string {
  const name = typeof raw === 'string' ? raw.trim() : '';
  if (!name || name.length > 64 || !/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(name)) throw new AppError('TIME_ZONE_INVALID', {}, { field });
  const known = Intl.supportedValuesOf('timeZone');
  const exact = known.find((z) => z.toLowerCase() === name.toLowerCase());
  if (exact) return exact;
  if (name.toUpperCase() === 'UTC') return 'UTC';
  try {
    // An alias (America/Montreal → America/Toronto) keeps the name the person chose.
    const resolved = new Intl.DateTimeFormat('en', { timeZone: name }).resolvedOptions().timeZone;
    if (known.includes(resolved) || resolved === 'UTC') return name;
  } catch {
    // Unknown to the runtime.
  }
  throw new AppError('TIME_ZONE_INVALID', {}, { field });
}

/** A framework identifier (ESCO, CASE…): http or https, never fetched by Sceau. */
export function identifierUrl(raw: unknown, field: string): string {
  const url = parseUrl(raw, field);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new AppError('URL_INVALID', {}, { field });
  return url.toString();
}
