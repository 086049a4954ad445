/**
 * The issuer refuses documents a conforming verifier must reject (VCDM 2.0 §2.1, §4.5 typed objects, §5.3
 * related resources), and the verifier rejects them too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../support/app.js';
import { apiKeyFor } from '../../support/factories.js';
import type { Organization } from '../../../src/domain/organizations/model.js';

const base = { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiableCredential'], credentialSubject: { id: 'did:example:holder' } };
const digest = 'sha384-S57yQDg1MTzF56Oi9DbSQ14u7jBy0RDdx0YbeV7shwhCS88G8SCXeFq82PafhCrW';

describe('VCDM conformance at issuance', () => {
  let t: TestApp, org: Organization, key: string;
  beforeAll(async () => {
    t = await createTestApp();
    org = await t.createOrg({ name: 'Conformité', slug: 'conformite' });
    key = await apiKeyFor(t, org, { label: 'k' });
  });
  afterAll(async () => {
    await t.close();
  });

  const issue = (credential: object) =>
    t.app.inject({
      method: 'POST',
      url: '/credentials/issue',
      headers: { authorization: `Bearer ${key}`, 'accept-language': 'en' },
      payload: { credential },
    });

  it.each([
    ['an untyped refreshService', { refreshService: { id: 'https://example.org/refresh' } }],
    ['an untyped credentialSchema', { credentialSchema: { id: 'https://example.org/schema.json' } }],
    ['a credentialSchema without id', { credentialSchema: { type: 'JsonSchema' } }],
    ['a credentialSchema whose id is not a URL', { credentialSchema: { id: 'schema.json', type: 'JsonSchema' } }],
    ['relatedResource given as strings', { relatedResource: ['https://example.org/a.png'] }],
    ['a relatedResource without id', { relatedResource: [{ digestSRI: digest }] }],
    [
      'duplicate relatedResource ids',
      {
        relatedResource: [
          { id: 'https://example.org/a', digestSRI: digest },
          { id: 'https://example.org/a', digestSRI: digest },
        ],
      },
    ],
    ['a relatedResource without digest', { relatedResource: [{ id: 'https://example.org/a' }] }],
  ])('refuses %s with a clear error and stores nothing', async (_label, extra) => {
    const before = (await t.container.handle.db.selectFrom('credentials').select('id').execute()).length;
    const res = await issue({ ...base, ...extra });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'CREDENTIAL_INVALID' });
    expect(res.json().detail).toMatch(/cannot be issued/i);
    expect((await t.container.handle.db.selectFrom('credentials').select('id').execute()).length).toBe(before);
  });

  it('issues the same credential once it is conforming, and the verifier accepts it', async () => {
    const res = await issue({
      ...base,
      '@context': ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/examples/v2'],
      refreshService: { id: 'https://example.org/refresh', type: 'ExampleRefreshService' },
      relatedResource: [{ id: 'https://example.org/a', digestSRI: digest }],
    });
    expect(res.statusCode, res.body).toBe(201);
    const verified = await t.container.deps.verifier.verifyCredential(res.json().verifiableCredential);
    expect(verified.errors).toEqual([]);
  });

  it('the verifier rejects a signed credential whose relatedResource has no digest', async () => {
    const ok = await issue(base);
    const vc = ok.json().verifiableCredential as Record<string, unknown>;
    const tampered = { ...vc, relatedResource: [{ id: 'https://example.org/a' }] };
    const result = await t.container.deps.verifier.verifyCredential(tampered);
    expect(result.verified).toBe(false);
    expect(result.errors.map((e) => e.code)).toContain('RELATED_RESOURCE_INVALID');
  });
});
