import { AppError } from '../shared/errors.js';

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;
const PRODUCT_WORDS = ['sceau', 'motdepasse', 'password'];

/**
 * NIST 800-63B / ASVS 6.1: length 8–128 (counted in code points), any characters, no composition rules,
 * refuse common passwords and context words. Nothing is truncated: argon2 hashes the whole string.
 */
export function checkPasswordPolicy(password: unknown, options: { common: ReadonlySet<string>; contextWords?: string[] }): string {
  if (typeof password !== 'string') throw new AppError('PASSWORD_TOO_SHORT', { min: PASSWORD_MIN }, { field: 'password' });
  const length = [...password].length;
  if (length < PASSWORD_MIN) throw new AppError('PASSWORD_TOO_SHORT', { min: PASSWORD_MIN }, { field: 'password' });
  if (length > PASSWORD_MAX) throw new AppError('PASSWORD_TOO_LONG', { max: PASSWORD_MAX }, { field: 'password' });
  const folded = password.normalize('NFKC').toLowerCase();
  if (options.common.has(folded)) throw new AppError('PASSWORD_TOO_COMMON', {}, { field: 'password' });
  const words = [...PRODUCT_WORDS, ...(options.contextWords ?? [])]
    .map((w) =>
      w
        .normalize('NFKD')
        .replace(/[\u0300-\u036f]/g, '')
        .toLowerCase()
        .replace(/[^a-z0-9]/g, ''),
    )
    .filter((w) => w.length >= 4);
  const bare = folded
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]/g, '');
  // A context word plus a short decoration ("sceau2024!") is as guessable as a common password.
  if (words.some((w) => bare.includes(w) && bare.length - w.length < 6)) {
    throw new AppError('PASSWORD_TOO_COMMON', {}, { field: 'password' });
  }
  return password;
}
