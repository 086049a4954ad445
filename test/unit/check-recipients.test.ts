/** The one recipient check of every issuance source, and the API's conversion of JSON records into drafts. */
import { describe, expect, it } from 'vitest';
import { checkRecipients, requireRecipient } from '../../src/domain/issuance/check-recipients.js';
import { checkRecords } from '../../src/domain/issuance/issue-from-api.js';
import type { RecipientDraft } from '../../src/domain/issuance/model.js';
import { validateTemplate } from '../../src/domain/templates/manage-templates.js';

const { content } = validateTemplate({
  kind: 'certificate',
  name: { fr: 'Secourisme' },
  description: { fr: 'Formation' },
  defaultLocale: 'fr',
  fields: [
    { key: 'note', label: { fr: 'Note' }, type: 'grade', required: true },
    { key: 'score', label: { fr: 'Score' }, type: 'number', required: false },
    { key: 'date_examen', label: { fr: 'Date' }, type: 'date', required: false },
    { key: 'remarque', label: { fr: 'Remarque' }, type: 'text', required: false },
  ],
});

const ok = (o: Partial<RecipientDraft> = {}): RecipientDraft => ({ name: 'Zoé Tremblay', email: 'zoe@example.org', fields: { note: 'A' }, ...o });

describe('checkRecipients', () => {
  it('normalises valid drafts: trimmed name, lower-case e-mail, locale words, numbers and dates by field type', () => {
    const checked = checkRecipients(content, [
      ok({
        name: '  Zoé   Tremblay ',
        email: ' ZOE@Example.org ',
        learnerId: 42,
        locale: 'English',
        fields: { note: ' A+ ', score: '1 234,5', date_examen: '30/06/2026', remarque: 'bien' },
      }),
      ok({ email: 'ana@example.org', learnerId: '', locale: null, fields: { note: 'B', score: 12 } }),
    ]);
    expect(checked.errors).toBeUndefined();
    expect(checked.recipients).toEqual([
      {
        name: 'Zoé Tremblay',
        email: 'zoe@example.org',
        learnerId: '42',
        locale: 'en',
        fields: { note: 'A+', score: '1234.5', date_examen: '2026-06-30', remarque: 'bien' },
      },
      { name: 'Zoé Tremblay', email: 'ana@example.org', learnerId: null, locale: 'fr', fields: { note: 'B', score: '12' } },
    ]);
  });

  it('reports every problem of every draft, in target order, with its position', () => {
    const checked = checkRecipients(content, [
      ok(),
      {
        email: 'pas-un-courriel',
        learnerId: 'x'.repeat(101),
        locale: 'klingon',
        fields: { score: 'douze', date_examen: '31/02/2026', remarque: 'r'.repeat(501) },
      },
      ok({ email: 'ana@example.org', name: 'A\u0007na', fields: { note: 'n'.repeat(51) } }),
    ]);
    expect(checked.recipients).toBeUndefined();
    expect(checked.errors).toEqual([
      { index: 1, target: 'name', code: 'RECIPIENT_NAME_INVALID' },
      { index: 1, target: 'email', code: 'EMAIL_INVALID' },
      { index: 1, target: 'learnerId', code: 'LEARNER_ID_INVALID' },
      { index: 1, target: 'locale', code: 'RECIPIENT_LOCALE_INVALID' },
      { index: 1, target: 'field:note', code: 'FIELD_REQUIRED' },
      { index: 1, target: 'field:score', code: 'FIELD_NUMBER_INVALID' },
      { index: 1, target: 'field:date_examen', code: 'FIELD_DATE_INVALID' },
      { index: 1, target: 'field:remarque', code: 'FIELD_TOO_LONG' },
      { index: 2, target: 'name', code: 'RECIPIENT_NAME_INVALID' },
      { index: 2, target: 'field:note', code: 'FIELD_TOO_LONG' },
    ]);
    // The valid draft is still known (a row report keeps it; results issue it).
    expect(checked.errors && checked.valid.map((r) => r?.email ?? null)).toEqual(['zoe@example.org', null, null]);
  });

  it('refuses control characters in fields and missing name or e-mail', () => {
    const checked = checkRecipients(content, [{ fields: { note: 'A\u0000' } }]);
    expect(checked.errors).toEqual([
      { index: 0, target: 'name', code: 'RECIPIENT_NAME_INVALID' },
      { index: 0, target: 'email', code: 'EMAIL_INVALID' },
      { index: 0, target: 'field:note', code: 'FIELD_INVALID' },
    ]);
  });

  it('reports values of a wrong type with the invalid code of their target, whatever the value says', () => {
    const checked = checkRecipients(content, [
      ok({
        learnerId: 'M-1',
        locale: 'fr',
        fields: { note: 'A', score: 3 },
        wrongTypes: ['name', 'email', 'learnerId', 'locale', 'field:note', 'field:score'],
      }),
    ]);
    expect(checked.errors).toEqual([
      { index: 0, target: 'name', code: 'RECIPIENT_NAME_INVALID' },
      { index: 0, target: 'email', code: 'EMAIL_INVALID' },
      { index: 0, target: 'learnerId', code: 'LEARNER_ID_INVALID' },
      { index: 0, target: 'locale', code: 'RECIPIENT_LOCALE_INVALID' },
      { index: 0, target: 'field:note', code: 'FIELD_INVALID' },
      { index: 0, target: 'field:score', code: 'FIELD_INVALID' },
    ]);
  });

  it('flags a repeated e-mail (after normalisation) as a duplicate of the first VALID draft with it', () => {
    const checked = checkRecipients(content, [
      ok({ fields: {} }), // invalid: its address does not count
      ok({ email: 'ZOE@example.org' }),
      ok({ email: 'ana@example.org' }),
      ok({ email: ' zoe@example.org' }),
      ok({ email: 'ana@example.org', name: '' }), // invalid for its own reason: not a duplicate on top
    ]);
    expect(checked.errors).toEqual([
      { index: 0, target: 'field:note', code: 'FIELD_REQUIRED' },
      { index: 3, target: 'email', code: 'RECIPIENT_DUPLICATE', firstIndex: 1 },
      { index: 4, target: 'name', code: 'RECIPIENT_NAME_INVALID' },
    ]);
    expect(checked.errors && checked.valid.map((r) => r !== null)).toEqual([false, true, true, false, false]);
  });

  it('requireRecipient throws the first problem as a field error', () => {
    expect(requireRecipient(content, ok()).email).toBe('zoe@example.org');
    expect(() => requireRecipient(content, ok({ email: 'x', fields: {} }))).toThrow(expect.objectContaining({ code: 'EMAIL_INVALID', field: 'email' }));
  });
});

describe('checkRecords (API records → drafts)', () => {
  it('gives JSON values of a wrong type the code of their target; numbers are read as text', () => {
    const checked = checkRecords(content, [
      { name: true, email: 'zoe@example.org', learnerId: { id: 1 }, locale: ['fr'], fields: { note: false, score: [1] } },
      { name: 42, email: 'ana@example.org', learnerId: 7, fields: { note: 'A', score: 12.5 } },
    ]);
    expect(checked).toEqual({
      errors: [
        { index: 0, target: 'name', code: 'RECIPIENT_NAME_INVALID' },
        { index: 0, target: 'learnerId', code: 'LEARNER_ID_INVALID' },
        { index: 0, target: 'locale', code: 'RECIPIENT_LOCALE_INVALID' },
        { index: 0, target: 'field:note', code: 'FIELD_INVALID' },
        { index: 0, target: 'field:score', code: 'FIELD_INVALID' },
      ],
    });
    const valid = checkRecords(content, [{ name: 42, email: 'ana@example.org', learnerId: 7, fields: { note: 'A', score: 12.5 } }]);
    expect(valid).toEqual({ recipients: [{ name: '42', email: 'ana@example.org', learnerId: '7', locale: 'fr', fields: { note: 'A', score: '12.5' } }] });
  });

  it('refuses unknown field keys and a `fields` that is not an object, after the record’s own problems', () => {
    const checked = checkRecords(content, [
      { name: 'Zoé', email: 'zoe@example.org', fields: { note: 'A', typo: 'x' } },
      { name: 'Ana', email: 'zoe@example.org', fields: ['A'] },
      'not a record',
    ]);
    expect(checked).toEqual({
      errors: [
        { index: 0, target: 'field:typo', code: 'FIELD_INVALID' },
        // Record 0 is valid but for its unknown key: its address still counts for duplicates.
        { index: 1, target: 'field:note', code: 'FIELD_REQUIRED' },
        { index: 1, target: 'fields', code: 'FIELD_INVALID' },
        { index: 2, target: 'name', code: 'RECIPIENT_NAME_INVALID' },
        { index: 2, target: 'email', code: 'EMAIL_INVALID' },
        { index: 2, target: 'field:note', code: 'FIELD_REQUIRED' },
      ],
    });
    const dup = checkRecords(content, [
      { name: 'Zoé', email: 'zoe@example.org', fields: { note: 'A', typo: 'x' } },
      { name: 'Ana', email: 'ZOE@example.org', fields: { note: 'B' } },
    ]);
    expect(dup).toEqual({
      errors: [
        { index: 0, target: 'field:typo', code: 'FIELD_INVALID' },
        { index: 1, target: 'email', code: 'RECIPIENT_DUPLICATE', firstIndex: 0 },
      ],
    });
  });
});
