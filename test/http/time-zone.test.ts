/** An organisation's time zone: chosen in its settings (Europe/Paris by default), used for every time on its pages. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Organization } from '../../src/domain/organizations/model.js';
import { normalizeTimeZone } from '../../src/domain/shared/validation.js';
import { formatDateTime } from '../../src/i18n/dates.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { fixedClock } from '../support/db.js';

describe('organisation time zone', () => {
  let t: TestApp, org: Organization;
  beforeAll(async () => {
    t = await createTestApp({ clock: fixedClock(new Date('2026-12-08T03:00:00Z')) });
    org = await t.createOrg({ name: 'Centre de Bruxelles', slug: 'bruxelles' });
    await t.createUser({ email: 'admin@bruxelles.example', org, role: 'admin' });
    await t.createUser({ email: 'staff@bruxelles.example', org, role: 'staff' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('formats a time in a zone, naming it', () => {
    const d = new Date('2026-12-08T03:00:00Z');
    expect(formatDateTime('fr', d, { timeZone: 'Europe/Brussels' })).toBe('8 déc. 2026 04:00 (Europe/Brussels)');
    expect(formatDateTime('en', d, { timeZone: 'America/Toronto' })).toBe('7 Dec 2026 22:00 (America/Toronto)');
    expect(formatDateTime('fr', d, { timeZone: 'UTC', seconds: true })).toBe('8 déc. 2026 03:00:00 (UTC)');
    expect(formatDateTime('fr', d)).toBe('8 déc. 2026 03:00 (UTC)');
  });

  it('accepts IANA names known to the runtime (and their aliases), refuses anything else', () => {
    expect(normalizeTimeZone('europe/brussels')).toBe('Europe/Brussels');
    expect(normalizeTimeZone('America/Montreal')).toBe('America/Montreal');
    expect(normalizeTimeZone('UTC')).toBe('UTC');
    for (const bad of ['Mars/Olympus', '', 'Europe/Paris\nX', '+01:00', 'CET; drop table', 42]) {
      expect(() => normalizeTimeZone(bad), String(bad)).toThrow(expect.objectContaining({ code: 'TIME_ZONE_INVALID' }));
    }
  });

  it('defaults to Europe/Paris; an admin picks another zone and the console shows local times with it', async () => {
    expect(org.timeZone).toBe('Europe/Paris');
    const admin = t.agent();
    await admin.signIn('admin@bruxelles.example');
    const settings = await admin.get('/console/bruxelles/settings');
    expect(settings.body).toContain('<label for="f-timeZone">Fuseau horaire</label>');
    expect(settings.body).toContain('<option value="Europe/Paris" selected>Europe/Paris</option>');

    // An API key created now (03:00 UTC) is listed at 04:00 in Paris, then in Brussels, then in Montreal.
    await admin.post('/console/bruxelles/api-keys', { label: 'SIS' });
    expect((await admin.get('/console/bruxelles/api-keys')).body).toContain('8 déc. 2026 04:00 (Europe/Paris)');

    const saved = await admin.post('/console/bruxelles/settings', { name: 'Centre de Bruxelles', languages: ['fr'], timeZone: 'Europe/Brussels' });
    expect(saved.statusCode).toBe(303);
    expect((await t.container.store.organizations.findBySlug('bruxelles'))!.timeZone).toBe('Europe/Brussels');
    const keys = await admin.get('/console/bruxelles/api-keys');
    expect(keys.body).toContain('8 déc. 2026 04:00 (Europe/Brussels)');
    expect(keys.body).not.toContain('UTC');
    expect((await admin.get('/console/bruxelles/api-keys?lang=en')).body).toContain('8 Dec 2026 04:00 (Europe/Brussels)');
    // Every member sees the organisation's zone.
    const staff = t.agent();
    await staff.signIn('staff@bruxelles.example');
    expect((await staff.get('/console/bruxelles/audit')).statusCode).toBe(403);
    expect((await staff.get('/console/bruxelles/templates')).statusCode).toBe(200);

    await admin.post('/console/bruxelles/settings', { name: 'Centre de Bruxelles', languages: ['fr'], timeZone: 'America/Montreal' });
    expect((await admin.get('/console/bruxelles/api-keys?lang=fr')).body).toContain('7 déc. 2026 22:00 (America/Montreal)');
  });

  it('refuses an unknown zone with a localised message, keeping the form; a form without the field keeps the zone', async () => {
    const admin = t.agent();
    await admin.signIn('admin@bruxelles.example');
    const before = (await t.container.store.organizations.findBySlug('bruxelles'))!.timeZone;
    const bad = await admin.post('/console/bruxelles/settings', { name: 'Centre de Bruxelles', languages: ['fr'], timeZone: 'Mars/Olympus' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Fuseau horaire inconnu');
    expect(bad.body).toContain('aria-invalid="true"');
    const badEn = await admin.post('/console/bruxelles/settings?lang=en', { name: 'Centre de Bruxelles', languages: ['fr'], timeZone: 'Mars/Olympus' });
    expect(badEn.body).toContain('Unknown time zone');
    expect((await t.container.store.organizations.findBySlug('bruxelles'))!.timeZone).toBe(before);
    expect((await admin.post('/console/bruxelles/settings', { name: 'Centre Bruxelles', languages: ['fr'] })).statusCode).toBe(303);
    expect((await t.container.store.organizations.findBySlug('bruxelles'))!.timeZone).toBe(before);
  });
});
