/**
 * The credential presenter reads any stored document without throwing: a credential of another issuer (the OB 3.0
 * implementation guide's signed example), VC 1.1 names, JSON-LD language values, a compact JWT, and odd shapes.
 * Its reading of Sceau's own stored credentials is in test/templates/signed-credential-views.test.ts.
 */
import { readVector } from '../credentials/verifier/support.js';
import { describe, expect, it } from 'vitest';
import { credentialView } from '../../src/http/presenters/credential.js';

const active: { credentialId: string; revokedAt: Date | null; suspendedAt: Date | null } = {
  credentialId: 'urn:uuid:00000000-0000-4000-8000-000000000000',
  revokedAt: null,
  suspendedAt: null,
};
const view = (doc: unknown, extra: Partial<typeof active> = {}) =>
  credentialView({ ...active, ...extra, document: typeof doc === 'string' ? doc : JSON.stringify(doc) });

describe('credential presenter', () => {
  it('reads a credential of another issuer (OB 3.0 implementation guide, signed)', () => {
    const doc = readVector('ob3-spec-impl-guide-signed.json');
    const v = view(doc);
    expect(v.credentialId).toBe('http://example.com/credentials/3527');
    expect(v.name).toBe('Teamwork Badge');
    expect(v.description).toBe('This badge recognizes the development of the capacity to collaborate within a group environment.');
    expect(v.criteria).toMatch(/^Team members are nominated/);
    expect(v.issuer).toEqual({ id: 'https://example.edu/issuers/565049', name: 'Example Corp', url: 'https://www.imsglobal.org', imageUrl: null });
    expect(v.validFrom?.toISOString()).toBe('2010-01-01T00:00:00.000Z');
    expect(v.issuedOn?.toISOString()).toBe('2010-01-01T00:00:00.000Z');
    expect(v.validUntil).toBeNull();
    expect(v.achievementType).toBeNull();
    expect(v.kind).toBeNull();
    expect(v.recipientName).toBe('');
    expect(v.results).toEqual([]);
    expect(v.status).toBe('active');
    expect(v.links).toBeNull(); // not one of Sceau's holder links
  });

  it('takes the status from the database record, not from the document', () => {
    expect(view({}, { suspendedAt: new Date() }).status).toBe('suspended');
    expect(view({}, { suspendedAt: new Date(), revokedAt: new Date() }).status).toBe('revoked');
  });

  it('never throws on odd shapes: not JSON, arrays, nulls, numbers, wrong types', () => {
    const odd: unknown[] = [
      '',
      'not json',
      '[]',
      'null',
      '42',
      '"text"',
      '{"credentialSubject":null}',
      '{"credentialSubject":[1,null,"x"]}',
      { issuer: 7, name: { nested: true }, validFrom: 'yesterday', validUntil: 12, credentialSubject: { achievement: 'x', result: 'y', identifier: 5 } },
      {
        credentialSubject: {
          achievement: { alignment: [null, 3, { targetName: 4 }], tag: { a: 1 }, resultDescription: 'z', image: { id: 5 } },
          result: [null, { value: null }],
        },
      },
      { '@context': [], id: 5, type: null, issuer: { image: 'javascript:alert(1)' } },
    ];
    for (const doc of odd) {
      const v = view(doc);
      expect(v.name).toBe('');
      expect(v.credentialId).toBe(active.credentialId);
      expect(v.issuer.imageUrl).toBeNull();
      expect(v.results).toEqual([]);
    }
  });

  it('reads VC 1.1 dates, JSON-LD language values and the results with their descriptions', () => {
    const v = view({
      id: 'urn:uuid:0f1e2d3c-4b5a-4978-8877-665544332211',
      issuer: {
        id: 'did:web:example.org',
        name: [
          { '@value': 'Uni', '@language': 'de' },
          { '@value': 'University', '@language': 'en' },
        ],
      },
      issuanceDate: '2024-05-01T10:00:00Z',
      expirationDate: '2030-05-01T10:00:00Z',
      credentialSubject: [
        {
          identifier: [
            { identityType: 'name', hashed: true, identityHash: 'sha256$x' },
            { identityType: 'name', hashed: false, identityHash: 'Ada' },
          ],
          achievement: {
            name: { '@value': 'Logik' },
            description: 'D',
            criteria: { narrative: 'D' },
            achievementType: 'Diploma',
            inLanguage: 'de',
            image: 'data:image/png;base64,iVBORw0KGgo=',
            resultDescription: [{ id: 'urn:x#score', name: 'Score', resultType: 'RawScore' }],
            alignment: [{ targetName: 'Maths', targetUrl: 'https://example.org/m', targetCode: 'M1' }],
            tag: ['logic', 7],
          },
          result: [{ resultDescription: 'urn:x#score', value: '12.5' }, { resultDescription: 'urn:y#grade', value: 'A' }, { status: 'Completed' }],
        },
      ],
    });
    expect(v.name).toBe('Logik');
    expect(v.issuer.name).toBe('Uni');
    expect(
      credentialView(
        {
          ...active,
          document: JSON.stringify({
            issuer: {
              name: [
                { '@value': 'Uni', '@language': 'de' },
                { '@value': 'University', '@language': 'en' },
              ],
            },
          }),
        },
        { language: 'en' },
      ).issuer.name,
    ).toBe('University');
    expect(v.recipientName).toBe('Ada');
    expect(v.validFrom?.toISOString()).toBe('2024-05-01T10:00:00.000Z');
    expect(v.validUntil?.toISOString()).toBe('2030-05-01T10:00:00.000Z');
    expect(v.criteria).toBe(''); // only repeats the description
    expect(v.kind).toBe('diploma');
    expect(v.language).toBe('de');
    expect(v.imageUrl).toBe('data:image/png;base64,iVBORw0KGgo=');
    expect(v.results).toEqual([
      { label: 'Score', value: '12.5', resultType: 'RawScore' },
      { label: 'grade', value: 'A', resultType: null },
      { label: '', value: 'Completed', resultType: null },
    ]);
    expect(v.alignments).toEqual([{ name: 'Maths', url: 'https://example.org/m', code: 'M1', framework: null }]);
    expect(v.tags).toEqual(['logic', '7']);
    expect(v.links).toEqual({
      page: '/c/0f1e2d3c-4b5a-4978-8877-665544332211',
      download: '/c/0f1e2d3c-4b5a-4978-8877-665544332211/credential.json',
      verification: '/c/0f1e2d3c-4b5a-4978-8877-665544332211/verification',
    });
  });

  it('reads the credential inside a compact VC-JWT', () => {
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const jwt = `${b64({ alg: 'EdDSA' })}.${b64({ iss: 'did:web:x', vc: { name: 'From a JWT', issuer: { id: 'did:web:x', name: 'X' } } })}.c2ln`;
    const v = view(jwt);
    expect(v.name).toBe('From a JWT');
    expect(v.issuer.name).toBe('X');
  });
});
