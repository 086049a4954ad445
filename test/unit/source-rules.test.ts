import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}
const src = files(path.join(root, 'src')).map((f) => ({ f: path.relative(root, f), text: fs.readFileSync(f, 'utf8') }));

// Rules about what src/ may import are in layering.test.ts (dependency-cruiser).
describe('source rules', () => {
  it('never uses Math.random (tokens and ids come from node:crypto, A5)', () => {
    expect(src.filter((s) => s.text.includes('Math.random')).map((s) => s.f)).toEqual([]);
  });

  it('reads process.env only in config.ts (one validated reader)', () => {
    const offenders = src.filter((s) => /process\.env\b/.test(s.text) && s.f !== 'src/config.ts');
    expect(offenders.map((s) => s.f)).toEqual([]);
  });
});
