import { describe, expect, it } from 'vitest';
import { loadCommonPasswords } from '../../src/crypto/common-passwords.js';
import { createPasswordHasher } from '../../src/crypto/password-hasher.js';
import { checkPasswordPolicy } from '../../src/domain/accounts/password-policy.js';
import { createRequire } from 'node:module';
import { expectAppError } from '../support/expect.js';

const common = loadCommonPasswords();

describe('password policy (A2)', () => {
  it('accepts 8 and 128 characters and Unicode, with no composition rules', () => {
    expect(() => checkPasswordPolicy('plumeaux', { common })).not.toThrow();
    expect(() => checkPasswordPolicy('x'.repeat(60) + 'é'.repeat(68), { common })).not.toThrow();
    expect(() => checkPasswordPolicy('日本語のパスワード', { common })).not.toThrow();
    expect(() => checkPasswordPolicy('🔐🔑🗝️🛡️🔒🔓', { common })).not.toThrow();
  });

  it('counts characters, not bytes, and refuses 7 and 129', () => {
    expectAppError(() => checkPasswordPolicy('abcdefg', { common }), 'PASSWORD_TOO_SHORT');
    expectAppError(() => checkPasswordPolicy('é'.repeat(129), { common }), 'PASSWORD_TOO_LONG');
  });

  it('refuses each of the top 3,000 common passwords (case-insensitive)', () => {
    const require = createRequire(import.meta.url);
    const ranked = (require('@zxcvbn-ts/language-common') as { dictionary: Record<string, string[]> }).dictionary['passwords-common']!;
    const top = ranked.slice(0, 3000);
    expect(top.length).toBe(3000);
    for (const p of top) {
      expectAppError(() => checkPasswordPolicy(p, { common }), ['PASSWORD_TOO_COMMON', 'PASSWORD_TOO_SHORT'], undefined, { message: p });
      if ([...p].length >= 8) expectAppError(() => checkPasswordPolicy(p.toUpperCase(), { common }), 'PASSWORD_TOO_COMMON', undefined, { message: p });
    }
  });

  it('refuses product and organisation words with light decoration', () => {
    expectAppError(() => checkPasswordPolicy('Sceau2024!', { common }), 'PASSWORD_TOO_COMMON');
    expectAppError(() => checkPasswordPolicy('InstitutDémo1', { common, contextWords: ['Institut Démo'] }), 'PASSWORD_TOO_COMMON');
    expect(() => checkPasswordPolicy('mon sceau est dans le tiroir', { common })).not.toThrow();
  });
});

describe('password hashing (A1, A2)', () => {
  it('stores argon2id with m ≥ 19456, t = 2, p = 1, and never truncates', async () => {
    const hasher = await createPasswordHasher({ concurrency: 2 });
    const hash = await hasher.hash('un mot de passe assez long');
    const m = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=1\$/.exec(hash);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(19456);
    expect(Number(m![2])).toBe(2);
    const base = 'a'.repeat(72);
    const h73 = await hasher.hash(base + 'X');
    expect(await hasher.verify(h73, base + 'X')).toBe(true);
    expect(await hasher.verify(h73, base + 'Y')).toBe(false);
  });

  it('gives 1,000 users with the same password 1,000 distinct hashes', async () => {
    const hasher = await createPasswordHasher({ concurrency: 4 });
    const hashes = new Set<string>();
    const batch = 8;
    for (let i = 0; i < 1000; i += batch) {
      const chunk = await Promise.all(Array.from({ length: batch }, () => hasher.hash('même mot de passe')));
      chunk.forEach((h) => hashes.add(h));
    }
    expect(hashes.size).toBe(1000);
  }, 180_000);
});
