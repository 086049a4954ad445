/** The verification-code catalogue: every code has a French and an English message, and nothing else is there. */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { STEP_IDS } from '../../../src/domain/credentials/verification.js';
import { VERIFICATION_CODES, VERIFICATION_CODE_LIST } from '../../../src/domain/credentials/verification-codes.js';
import { en } from '../../../src/i18n/en.js';
import { fr } from '../../../src/i18n/fr.js';

describe('verification codes', () => {
  it('every code has a non-empty message in French and in English, and no message lacks a code', () => {
    for (const messages of [fr.verification.codes, en.verification.codes] as Record<string, string>[]) {
      expect(Object.keys(messages).sort()).toEqual([...VERIFICATION_CODE_LIST].sort());
      for (const code of VERIFICATION_CODE_LIST) expect(messages[code]?.trim(), code).toBeTruthy();
    }
  });

  it('every code has a "when" comment in the catalogue and a row in docs/verification.md (scripts/gen-verification-doc.ts)', () => {
    const source = fs.readFileSync(new URL('../../../src/domain/credentials/verification-codes.ts', import.meta.url), 'utf8');
    const doc = fs.readFileSync(new URL('../../../docs/verification.md', import.meta.url), 'utf8');
    for (const code of VERIFICATION_CODE_LIST) {
      expect(source, code).toMatch(new RegExp(`/\\*\\* .+ \\*/\\s*${code}:`));
      expect(doc, code).toContain(`| \`${code}\` | ${VERIFICATION_CODES[code]} |`);
    }
  });

  it('French and English use the same placeholders', () => {
    const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const code of VERIFICATION_CODE_LIST) expect(names(fr.verification.codes[code]), code).toEqual(names(en.verification.codes[code]));
  });

  it('every step has a label in both languages', () => {
    for (const id of STEP_IDS) {
      expect(fr.verification.steps[id]).toBeTruthy();
      expect(en.verification.steps[id]).toBeTruthy();
    }
  });

  it('"issuer not recognised" is not "tampered", and the key verdicts read as intended in French', () => {
    expect(fr.verification.codes.SIGNATURE_INTACT).toMatch(/^Signature intacte/);
    expect(fr.verification.codes.ISSUER_UNCONFIRMED).toMatch(/^Émetteur non reconnu/);
    expect(fr.verification.codes.SIGNATURE_INVALID).toMatch(/^Falsifié/);
    expect(fr.verification.codes.ISSUER_UNCONFIRMED).not.toMatch(/Falsifi/);
    expect(fr.verification.codes.REVOKED).toMatch(/^Révoqué/);
    expect(fr.verification.codes.SUSPENDED).toMatch(/^Suspendu/);
    expect(fr.verification.codes.EXPIRED).toMatch(/^Expiré le \{date\}/);
    expect(fr.verification.codes.NOT_YET_VALID).toMatch(/^Pas encore valide/);
    expect(VERIFICATION_CODES.ISSUER_UNCONFIRMED).toBe('error');
    expect(VERIFICATION_CODES.PROOF_TYPE_UNKNOWN).toBe('warning');
  });
});
