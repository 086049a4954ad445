import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AppError, ERROR_CODES } from '../../src/domain/shared/errors.js';
import { STATUS, toProblem } from '../../src/http/plugins/errors.js';
import { en } from '../../src/i18n/en.js';
import { fr } from '../../src/i18n/fr.js';

describe('error catalogue', () => {
  const doc = fs.readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const source = fs.readFileSync(new URL('../../src/domain/shared/errors.ts', import.meta.url), 'utf8');

  it.each(ERROR_CODES)('%s has fr and en messages, a status, a "when" comment and a docs entry', (code) => {
    expect(fr.errors[code]?.trim()).toBeTruthy();
    expect(en.errors[code]?.trim()).toBeTruthy();
    expect(fr.errors[code]).not.toBe(en.errors[code]);
    expect(STATUS[code]).toBeGreaterThanOrEqual(400);
    expect(source).toMatch(new RegExp(`/\\*\\* .+ \\*/\\s*'${code}'`));
    expect(doc).toContain(`| \`${code}\` | ${STATUS[code]} |`);
  });

  it('has no message for a code that does not exist', () => {
    expect(Object.keys(fr.errors).sort()).toEqual([...ERROR_CODES].sort());
    expect(Object.keys(en.errors).sort()).toEqual([...ERROR_CODES].sort());
  });

  it('uses the same placeholders in both languages', () => {
    for (const code of ERROR_CODES) {
      const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      expect(names(fr.errors[code]), code).toEqual(names(en.errors[code]));
    }
  });

  it('builds problem details without a request id on 4xx and with one on 5xx', () => {
    const p404 = toProblem(new AppError('NOT_FOUND'), 'en', { requestId: 'req-1' });
    expect(p404).toEqual({ type: 'urn:sceau:error:NOT_FOUND', title: 'NOT_FOUND', status: 404, code: 'NOT_FOUND', detail: en.errors.NOT_FOUND });
    const p500 = toProblem(new AppError('INTERNAL'), 'fr', { requestId: 'req-2' });
    expect(p500.requestId).toBe('req-2');
    expect(p500.detail).toContain('req-2');
  });
});
