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

describe('source rules', () => {
  it('never uses Math.random (tokens and ids come from node:crypto, A5)', () => {
    expect(src.filter((s) => s.text.includes('Math.random')).map((s) => s.f)).toEqual([]);
  });

  it('reads process.env only in config.ts (one validated reader)', () => {
    const offenders = src.filter((s) => /process\.env\b/.test(s.text) && s.f !== 'src/config.ts');
    expect(offenders.map((s) => s.f)).toEqual([]);
  });

  it('keeps the domain free of adapters and drivers (dependency rule)', () => {
    const domain = src.filter((s) => s.f.startsWith('src/domain/'));
    const bad = domain.filter((s) => /from '(fastify|kysely|pino|better-sqlite3|pg|nodemailer|argon2|node:crypto|\.\.\/(http|web|store|crypto|jobs|mail|files|cli)\/)/.test(s.text));
    expect(bad.map((s) => s.f)).toEqual([]);
  });

  it('keeps src/shared a leaf (importable from every layer)', () => {
    const shared = src.filter((s) => s.f.startsWith('src/shared/'));
    expect(shared.filter((s) => /from '\.\.\//.test(s.text)).map((s) => s.f)).toEqual([]);
  });

  it('keeps adapters away from drivers', () => {
    const adapters = src.filter((s) => /^src\/(store|crypto|jobs|mail|files)\//.test(s.f));
    const bad = adapters.filter((s) => /from '\.\.\/(http|web|cli)\//.test(s.text));
    expect(bad.map((s) => s.f)).toEqual([]);
  });
});
