import { createRequire } from 'node:module';

/**
 * The most common passwords of the zxcvbn-ts "common" dictionary (ranked by frequency in leaks), lower-cased.
 * We keep the top 10,000 entries that could pass the length rule (≥ 8 characters) plus the top 3,000 overall.
 */
export function loadCommonPasswords(): ReadonlySet<string> {
  const require = createRequire(import.meta.url);
  const { dictionary } = require('@zxcvbn-ts/language-common') as { dictionary: Record<string, string[]> };
  const ranked = dictionary['passwords-common'] ?? [];
  if (ranked.length < 10_000) throw new Error('common password dictionary missing');
  const set = new Set<string>(ranked.slice(0, 3000).map((p) => p.toLowerCase()));
  let kept = 0;
  for (const p of ranked) {
    if (kept >= 10_000) break;
    if ([...p].length >= 8) {
      set.add(p.toLowerCase());
      kept++;
    }
  }
  return set;
}
