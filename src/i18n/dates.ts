/**
 * Dates and times as people read them, in one place: `8 déc. 2026 04:00 (Europe/Brussels)` /
 * `8 Dec 2026 04:00 (Europe/Brussels)`. An organisation's pages and e-mails use its time zone; pages that belong to
 * no organisation (platform admin, public verification) use UTC and say so. Stored values and credentials stay UTC.
 */
import type { Locale } from '../domain/shared/model.js';

export const UTC = 'UTC';

const intlLocale = (locale: Locale) => (locale === 'fr' ? 'fr-CA' : 'en-GB');

const cache = new Map<string, Intl.DateTimeFormat>();
function formatter(locale: Locale, timeZone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${timeZone}|${JSON.stringify(options)}`;
  let f = cache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(intlLocale(locale), { ...options, timeZone });
    if (cache.size > 500) cache.clear();
    cache.set(key, f);
  }
  return f;
}

/** A zone Intl knows, else UTC (a stored zone the runtime no longer knows must not break a page). */
function usable(timeZone: string | undefined): string {
  if (!timeZone) return UTC;
  try {
    formatter('en', timeZone, { hour: 'numeric' });
    return timeZone;
  } catch {
    return UTC;
  }
}

/** The day, e.g. `8 déc. 2026` / `8 Dec 2026`, in the zone. */
export function formatDay(locale: Locale, d: Date, timeZone?: string): string {
  return formatter(locale, usable(timeZone), { dateStyle: 'medium' }).format(d);
}

/**
 * The day and the 24-hour time in the zone, with the zone's name: `8 déc. 2026 04:00 (Europe/Brussels)`.
 * `seconds` adds `:SS` (delivery logs).
 */
export function formatDateTime(locale: Locale, d: Date, options: { timeZone?: string; seconds?: boolean } = {}): string {
  const zone = usable(options.timeZone);
  const parts = formatter(locale, zone, {
    hour: '2-digit',
    minute: '2-digit',
    ...(options.seconds ? { second: '2-digit' } : {}),
    hourCycle: 'h23',
  }).formatToParts(d);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '00';
  const time = `${part('hour')}:${part('minute')}${options.seconds ? `:${part('second')}` : ''}`;
  return `${formatDay(locale, d, zone)} ${time} (${zone})`;
}
