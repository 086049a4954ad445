/**
 * The figures of an organisation's console overview: what was issued this month (in the organisation's time zone),
 * what is waiting (bulk rows not issued yet, delayed automatic issuances), failed credential e-mails, bulk jobs in
 * progress, and whether it has a template yet (the next step of a new organisation).
 */
import type { Store } from '../shared/store.js';
import type { Organization } from './model.js';
import type { OrgFigures } from './ports.js';

/** Offset of `timeZone` from UTC at instant `t`, in ms. */
function zoneOffsetMs(t: number, timeZone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(new Date(t))
      .map((p) => [p.type, p.value]),
  );
  const asUtc = Date.UTC(
    Number(parts['year']),
    Number(parts['month']) - 1,
    Number(parts['day']),
    Number(parts['hour']),
    Number(parts['minute']),
    Number(parts['second']),
  );
  return asUtc - Math.floor(t / 1000) * 1000;
}

/** The first instant of the current month in `timeZone` (midnight on the 1st, local time). */
export function startOfMonth(now: Date, timeZone: string): Date {
  const local = new Date(now.getTime() + zoneOffsetMs(now.getTime(), timeZone));
  const guess = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), 1);
  // The offset at local midnight on the 1st (a DST change between then and now does not matter).
  let start = guess - zoneOffsetMs(guess, timeZone);
  start = guess - zoneOffsetMs(start, timeZone);
  return new Date(start);
}

export async function orgFigures(deps: { store: Pick<Store, 'overview'>; clock: { now(): Date } }, org: Organization): Promise<OrgFigures> {
  return deps.store.overview.figures(org.id, startOfMonth(deps.clock.now(), org.timeZone));
}
