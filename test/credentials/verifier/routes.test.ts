/**
 * VC-API verification routes through the real app (createTestApp + inject): POST /credentials/verify and
 * POST /presentations/verify. A credential issued by one of the instance's organisations verifies end to end
 * (own DID and own status list from the database: no network); revoking and suspending it make it fail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueOpenBadge } from '../../../src/domain/credentials/issue-credentials.js';
import { setCredentialStatus } from '../../../src/domain/credentials/status-lists.js';
import { formatDateTime } from '../../../src/i18n/dates.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { loadVector, readVector } from './support.js';
import type { Organization } from '../../../src/domain/organizations/model.js';

const system = { kind: 'system' } as const;
type Body = {
  verified: boolean;
  format: string;
  checks: string[];
  log: { id: string; valid: boolean; code: string; message: string }[];
  errors: { code: string; message: string }[];
  warnings: { code: string }[];
  credential?: Record<string, unknown>;
  presentation?: unknown;
  nested?: { verified: boolean }[];
};

describe('VC-API verify routes', () => {
  let t: TestApp, org: Organization;
  let issued: { document: string; jwt: string | null; id: string };

  beforeAll(async () => {
    t = await createTestApp();
    org = await t.createOrg({ name: 'Institut Mercier', slug: 'mercier' });
    const r = await issueOpenBadge(t.container.deps, system, {
      slug: org.slug,
      badge: {
        recipient: { email: 'apprenant@example.org' },
        achievement: { name: 'Secourisme', description: 'Premiers secours.', criteria: { narrative: 'Évaluation pratique.' } },
        jwt: true,
      },
    });
    issued = { document: r.document, jwt: r.jwt, id: (JSON.parse(r.document) as { id: string }).id };
  });
  afterAll(async () => {
    await t.close();
  });

  const post = async (url: string, payload: unknown, headers: Record<string, string> = {}) => {
    const res = await t.app.inject({ method: 'POST', url, payload: payload as object, headers: { 'content-type': 'application/json', ...headers } });
    return { status: res.statusCode, type: String(res.headers['content-type']), body: JSON.parse(res.body) as Body };
  };

  it('a credential issued here: 200, verified, every step logged, issuer registered', async () => {
    const res = await post('/credentials/verify', { verifiableCredential: JSON.parse(issued.document) });
    expect(res.body.errors).toEqual([]);
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^application\/json/);
    expect(res.body.verified).toBe(true);
    expect(res.body.format).toBe('ldp');
    expect(Object.fromEntries(res.body.log.map((s) => [s.id, s.code]))).toMatchObject({
      schema: 'SCHEMA_VALID',
      valid_signature: 'SIGNATURE_INTACT',
      issuer_binding: 'ISSUER_BOUND',
      registered_issuer: 'ISSUER_REGISTERED',
      validity_start: 'VALIDITY_STARTED',
      revocation_status: 'NOT_REVOKED',
      suspension_status: 'NOT_SUSPENDED',
    });
    expect(res.body.checks).toContain('valid_signature');
    expect(res.body.credential?.['id']).toBe(issued.id);
  });

  it('messages carry dates as people read them, formatted like the pages; params keep the ISO form', async () => {
    const validFrom = (JSON.parse(issued.document) as { validFrom: string }).validFrom;
    const fr = await post('/credentials/verify', { verifiableCredential: JSON.parse(issued.document) });
    const step = fr.body.log.find((s) => s.id === 'validity_start') as { message: string; params?: Record<string, string> };
    expect(step.params?.['date']).toBe(validFrom);
    expect(step.message).toBe(`Valide depuis le ${formatDateTime('fr', new Date(validFrom))}.`);
    expect(step.message).toMatch(/^Valide depuis le \d{1,2} [^\d]+ \d{4} \d{2}:\d{2} \(UTC\)\.$/);
    expect(step.message).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
    const en = await post('/credentials/verify', { verifiableCredential: JSON.parse(issued.document) }, { 'accept-language': 'en' });
    expect(en.body.log.find((s) => s.id === 'validity_start')?.message).toBe(`Valid since ${formatDateTime('en', new Date(validFrom))}.`);
  });

  it('its VC-JWT too, as a string and as an EnvelopedVerifiableCredential', async () => {
    expect(issued.jwt).toBeTruthy();
    const r1 = await post('/credentials/verify', { verifiableCredential: issued.jwt });
    expect(r1.body.errors).toEqual([]);
    expect(r1.status).toBe(200);
    expect(r1.body.format).toBe('vc-jwt');
    const r2 = await post('/credentials/verify', {
      verifiableCredential: {
        '@context': ['https://www.w3.org/ns/credentials/v2'],
        type: 'EnvelopedVerifiableCredential',
        id: `data:application/vc+jwt,${issued.jwt}`,
      },
    });
    expect(r2.status).toBe(200);
  });

  it('a tampered credential: 400 with the log and SIGNATURE_INVALID', async () => {
    const doc = JSON.parse(issued.document) as Record<string, unknown>;
    doc['name'] = 'Autre chose';
    const res = await post('/credentials/verify', { verifiableCredential: doc });
    expect(res.status).toBe(400);
    expect(res.body.verified).toBe(false);
    expect(res.body.errors.map((e) => e.code)).toContain('SIGNATURE_INVALID');
    expect(res.body.log.find((s) => s.id === 'valid_signature')?.valid).toBe(false);
  });

  it('the 1EdTech fixture: 400, signature intact, issuer unconfirmed (never "tampered")', async () => {
    const res = await post('/credentials/verify', { verifiableCredential: loadVector('1edtech-validator/ob30/simple.json') });
    expect(res.status).toBe(400);
    expect(res.body.log.find((s) => s.id === 'valid_signature')?.code).toBe('SIGNATURE_INTACT');
    expect(res.body.errors.map((e) => e.code)).toEqual(['ISSUER_UNCONFIRMED']);
    const jwt = await post('/credentials/verify', { verifiableCredential: readVector('1edtech-validator/clr20/simple.jwt').trim() });
    expect(jwt.status).toBe(400);
    expect(jwt.body.format).toBe('vc-jwt');
  });

  it('revoked, then (another credential) suspended and reactivated: the status steps follow at once', async () => {
    const other = await issueOpenBadge(t.container.deps, system, {
      slug: org.slug,
      badge: {
        recipient: { email: 'autre@example.org' },
        achievement: { name: 'Secourisme', description: 'Premiers secours.', criteria: { narrative: 'Évaluation pratique.' } },
      },
    });
    const otherId = (JSON.parse(other.document) as { id: string }).id;
    await setCredentialStatus(t.container.deps, system, { slug: org.slug, credentialId: otherId, status: 'suspended' });
    const suspended = await post('/credentials/verify', { verifiableCredential: JSON.parse(other.document) });
    expect(suspended.status).toBe(400);
    expect(suspended.body.errors.map((e) => e.code)).toEqual(['SUSPENDED']);
    await setCredentialStatus(t.container.deps, system, { slug: org.slug, credentialId: otherId, status: 'active' });
    expect((await post('/credentials/verify', { verifiableCredential: JSON.parse(other.document) })).status).toBe(200);
    await setCredentialStatus(t.container.deps, system, { slug: org.slug, credentialId: otherId, status: 'revoked' });
    const revoked = await post('/credentials/verify', { verifiableCredential: JSON.parse(other.document) });
    expect(revoked.status).toBe(400);
    expect(revoked.body.errors.map((e) => e.code)).toContain('REVOKED');
    expect(revoked.body.log.find((s) => s.id === 'revocation_status')?.message).toBe('Révoqué par l’émetteur.');
  });

  it('presentations: an unsigned one holding a credential issued here verifies (with a warning); a challenge requires a proof', async () => {
    const vp = { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiablePresentation'], verifiableCredential: [JSON.parse(issued.document)] };
    const ok = await post('/presentations/verify', { verifiablePresentation: vp });
    expect(ok.status).toBe(200);
    expect(ok.body.format).toBe('presentation');
    expect(ok.body.warnings.map((w) => w.code)).toEqual(['PRESENTATION_UNSIGNED']);
    expect(ok.body.nested?.[0]?.verified).toBe(true);
    const challenged = await post('/presentations/verify', { verifiablePresentation: vp, options: { challenge: 'abc', domain: 'sceau.test' } });
    expect(challenged.status).toBe(400);
    expect(challenged.body.errors.map((e) => e.code)).toEqual(['PRESENTATION_PROOF_MISSING']);
  });

  it('bodies that are not verification requests: 400 problem+json (schema), like every route', async () => {
    for (const payload of [{}, { verifiableCredential: 42 }, { verifiableCredential: 'not a jwt at all' }, { verifiableCredential: {}, extra: 1 }]) {
      const res = await t.app.inject({ method: 'POST', url: '/credentials/verify', payload });
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    const res = await t.app.inject({ method: 'POST', url: '/presentations/verify', payload: { verifiableCredential: {} } });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('messages follow the request language (codes and params are stable)', async () => {
    const vc = loadVector('1edtech-validator/ob30/simple-err-expired.json');
    const fr = await post('/credentials/verify', { verifiableCredential: vc }, { 'accept-language': 'fr' });
    expect(fr.body.errors.find((e) => e.code === 'EXPIRED')?.message).toBe('Expiré le 1 janv. 2010 00:00 (UTC).');
    expect(fr.body.log.find((s) => s.id === 'valid_signature')?.message).toMatch(/^Signature intacte/);
    const en = await post('/credentials/verify', { verifiableCredential: vc }, { 'accept-language': 'en' });
    expect(en.body.errors.find((e) => e.code === 'EXPIRED')?.message).toBe('Expired on 1 Jan 2010 00:00 (UTC).');
  });
});
