// The layering of src/ (ARCHITECTURE.md), checked by dependency-cruiser with .dependency-cruiser.cjs plus the
// folder-level DAG check of scripts/layering.ts; and proof, on a throw-away tree, that the check does fail.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLayering, FOLDER_DAG_RULE, type Violation } from '../../scripts/layering.js';

const show = (v: Violation) => `${v.rule}: ${v.from} → ${v.to}`;

describe('layering (dependency-cruiser)', () => {
  it('src/ has no violation: no cycle, a pure domain, adapters below drivers, leaf shared/i18n, a folder DAG', async () => {
    const { violations, cruise } = await checkLayering();
    expect(cruise.summary.totalCruised).toBeGreaterThan(100);
    expect(violations.map((v) => (v.cycle ? `${show(v)} (cycle ${v.cycle.join(' → ')})` : show(v)))).toEqual([]);
  });

  describe('on a tree that breaks every rule', () => {
    let dir: string;
    const tree: Record<string, string> = {
      // domain reaching out: an adapter, an npm package, a node builtin
      'src/domain/x.ts': "import { y } from '../store/y.js';\nexport const x = y;\n",
      'src/domain/n.ts': "import { randomUUID } from 'node:crypto';\nimport fastify from 'fastify';\nexport const n = [randomUUID, fastify];\n",
      'src/store/y.ts': 'export const y = 1;\n',
      // a two-module cycle held by a type-only import
      'src/crypto/a.ts': "import { b } from './b.js';\nexport interface A { b: typeof b }\n",
      'src/crypto/b.ts': "import type { A } from './a.js';\nexport const b: A | null = null;\n",
      // adapters importing a driver and the composition root (which imports them back: a cycle)
      'src/mail/m.ts': "import { h } from '../http/h.js';\nexport const m = h;\n",
      'src/jobs/w.ts': "import { root } from '../compose.js';\nexport const w = root;\n",
      'src/compose.ts': "import { w } from './jobs/w.js';\nexport const root = 1;\nexport const all = [w];\n",
      // http and web leaning on each other through different modules: no module cycle, a folder cycle
      'src/http/h.ts': "import { q } from '../web/q.js';\nexport const h = q;\n",
      'src/http/s.ts': 'export const s = 1;\n',
      'src/web/q.ts': 'export const q = 1;\n',
      'src/web/r.ts': "import { s } from '../http/s.js';\nexport const r = s;\n",
      // leaves that are not
      'src/shared/html.ts': "import { y } from '../store/y.js';\nexport const html = y;\n",
      'src/i18n/t.ts': "import { x } from '../domain/x.js';\nimport { q } from '../web/q.js';\nexport const t = [x, q];\n",
      'src/i18n/ok.ts': "import type { A } from '../crypto/a.js';\nexport type Ok = A;\n",
    };

    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sceau-layering-'));
      for (const [file, text] of Object.entries(tree)) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), text);
      }
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('reports each broken rule, by name', async () => {
      const { violations } = await checkLayering(dir);
      expect(violations.map(show).sort()).toEqual(
        [
          'adapters-not-drivers: src/jobs/w.ts → src/compose.ts',
          'adapters-not-drivers: src/mail/m.ts → src/http/h.ts',
          'domain-is-pure: src/domain/n.ts → fastify',
          'domain-is-pure: src/domain/n.ts → crypto',
          'domain-is-pure: src/domain/x.ts → src/store/y.ts',
          'i18n-is-a-leaf: src/i18n/ok.ts → src/crypto/a.ts',
          'i18n-is-a-leaf: src/i18n/t.ts → src/web/q.ts',
          'i18n-takes-only-types-from-domain: src/i18n/t.ts → src/domain/x.ts',
          'no-circular: src/compose.ts → src/jobs/w.ts',
          'no-circular: src/crypto/a.ts → src/crypto/b.ts',
          'shared-is-a-leaf: src/shared/html.ts → src/store/y.ts',
          `${FOLDER_DAG_RULE}: src/compose.ts → src/jobs/`,
          `${FOLDER_DAG_RULE}: src/http/ → src/web/`,
        ].sort(),
      );
      const cycles = violations.filter((v) => v.rule === 'no-circular').map((v) => v.cycle);
      expect(cycles).toEqual(
        expect.arrayContaining([
          ['src/crypto/a.ts', 'src/crypto/b.ts'],
          ['src/compose.ts', 'src/jobs/w.ts'],
        ]),
      );
      const http = violations.find((v) => v.rule === FOLDER_DAG_RULE && v.from === 'src/http/');
      expect(http?.via).toEqual(['src/http/h.ts → src/web/q.ts', 'src/web/r.ts → src/http/s.ts']);
    });
  });
});
