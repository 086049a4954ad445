import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/shared/errors.js';
import { parseTabular, type ParsedTable } from '../../src/files/tabular.js';
import { STATUS } from '../../src/http/plugins/errors.js';
import { seeded } from '../support/seed.js';

const VALID = Buffer.from(
  [
    'Courriel;Nom;Matricule;Note;Date',
    'eloise@example.ca;Éloïse Hébert;A123;92;2024-05-17',
    'jo@example.ca;"Tremblay, Jo";B456;78;2024-05-17',
    'zoe@example.ca;"Zoé ""Z"" Côté";C789;85;2024-05-18',
    'marc@example.ca;Marc-André Lévesque;D012;66;2024-05-18',
    'lea@example.ca;"Léa\nGagnon";E345;99;2024-05-19',
  ].join('\r\n'),
  'utf8',
);

type Mutation = (b: Buffer) => Buffer;
const at = (b: Buffer, pos: number) => (b.length === 0 ? 0 : pos % (b.length + 1));
const insert = (b: Buffer, pos: number, bytes: Buffer | number[]) => {
  const p = at(b, pos);
  return Buffer.concat([b.subarray(0, p), Buffer.from(bytes), b.subarray(p)]);
};

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.nat().map(
    (pos): Mutation =>
      (b) =>
        insert(b, pos, [0xef, 0xbb, 0xbf]),
  ), // BOM anywhere
  fc.constant<Mutation>((b) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b])),
  fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }).map((flags): Mutation => (b) => {
    // CRLF/LF/CR mixing
    let i = 0;
    return Buffer.from(
      b.toString('latin1').replace(/\r?\n/g, () => (flags[i++ % flags.length] ? '\r\n' : i % 3 ? '\n' : '\r')),
      'latin1',
    );
  }),
  fc.nat().map(
    (pos): Mutation =>
      (b) =>
        insert(b, pos, [0x22]),
  ), // unbalanced quote
  fc.nat().map(
    (pos): Mutation =>
      (b) =>
        insert(b, pos, [0x0a]),
  ), // embedded newline
  fc.nat().map(
    (pos): Mutation =>
      (b) =>
        insert(b, pos, [0x22, 0x0a, 0x22]),
  ),
  fc.nat().map(
    (pos): Mutation =>
      (b) =>
        insert(b, pos, [0x00]),
  ), // NUL
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 200_000 })).map(
    ([pos, n]): Mutation =>
      (b) =>
        insert(b, pos, Buffer.alloc(n, 'x')),
  ), // long field
  fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(
    ([pos, bytes]): Mutation =>
      (b) =>
        insert(
          b,
          pos,
          [...bytes].map((x) => 0x80 | x),
        ),
  ), // Latin-1 bytes
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([pos, x]): Mutation => (b) => {
    // byte flip
    if (b.length === 0) return b;
    const c = Buffer.from(b);
    c[pos % c.length]! ^= x;
    return c;
  }),
  fc.nat().map(
    (pos): Mutation =>
      (b) =>
        b.subarray(0, at(b, pos)),
  ), // truncation
  fc.tuple(fc.nat(), fc.constantFrom(';', ',', '\t', ';;;;', '"";"')).map(
    ([pos, s]): Mutation =>
      (b) =>
        insert(b, pos, Buffer.from(s)),
  ),
);

/** Either a well-formed table or an AppError with a 4xx status; anything else fails the property. */
async function check(bytes: Buffer, limits?: { maxRows?: number }): Promise<'table' | string> {
  let table: ParsedTable;
  try {
    table = await parseTabular(bytes, limits);
  } catch (e) {
    if (!(e instanceof AppError)) throw new Error(`non-AppError escaped: ${String(e)}`, { cause: e });
    expect(STATUS[e.code]).toBeGreaterThanOrEqual(400);
    expect(STATUS[e.code]).toBeLessThan(500);
    if ('line' in e.params) expect(e.params.line).toBeGreaterThanOrEqual(1);
    return e.code;
  }
  expect(table.headers.length).toBeGreaterThan(0);
  expect(new Set(table.headers.map((h) => h.toLowerCase())).size).toBe(table.headers.length);
  expect(table.rows.length).toBeGreaterThan(0);
  let previous = 0;
  for (const row of table.rows) {
    expect(row.line).toBeGreaterThan(previous);
    previous = row.line;
    expect(row.cells.length).toBe(table.headers.length);
    for (const c of row.cells) expect(typeof c).toBe('string');
  }
  return 'table';
}

describe('F2: mutated files give a table or a clear 4xx, never anything else', () => {
  it('5,000 mutated CSVs', async () => {
    const outcomes = new Map<string, number>();
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (mutations) => {
        const bytes = mutations.reduce<Buffer>((b, m) => m(b), VALID);
        const outcome = await check(bytes, { maxRows: 1000 });
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }),
      seeded({ numRuns: 5000 }),
    );
    expect([...outcomes.values()].reduce((a, b) => a + b, 0)).toBe(5000);
    // The mutations exercise both sides: plenty of readable tables and several kinds of refusal.
    expect(outcomes.get('table') ?? 0).toBeGreaterThan(500);
    expect(outcomes.size).toBeGreaterThan(4);
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 120_000);

  it('300 mutated XLSX workbooks', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('S');
    ws.addRow(['Courriel', 'Nom', 'Date', 'Note']);
    for (let i = 0; i < 5; i++)
      ws.addRow([`p${i}@example.ca`, { richText: [{ text: `Pers ${i}` }] }, new Date(Date.UTC(2024, 0, i + 1)), { formula: `${i}*2`, result: i * 2 }]);
    const valid = Buffer.from(await wb.xlsx.writeBuffer());
    expect(await check(valid)).toBe('table');
    const xlsxMutation = fc.oneof(
      fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([pos, x]): Mutation => (b) => {
        const c = Buffer.from(b);
        c[4 + (pos % (c.length - 4))]! ^= x; // keep the zip magic so the XLSX path is taken
        return c;
      }),
      fc.integer({ min: 4, max: valid.length }).map(
        (n): Mutation =>
          (b) =>
            b.subarray(0, Math.min(n, b.length)),
      ),
      fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 16 })).map(
        ([pos, bytes]): Mutation =>
          (b) =>
            insert(b, 4 + (pos % (b.length - 3)), [...bytes]),
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(xlsxMutation, { minLength: 1, maxLength: 3 }), async (mutations) => {
        await check(mutations.reduce<Buffer>((b, m) => m(b), valid));
      }),
      seeded({ numRuns: 300 }),
    );
  }, 120_000);
});

describe('CSV reader', () => {
  it('agrees with csv-parse on 500 generated well-formed files (cells and line numbers)', async () => {
    const cellArb = fc.string({ maxLength: 12, unit: fc.constantFrom('a', 'É', '1', ' ', '"', ',', ';', '\t', '\n', '=', "'") });
    const fileArb = fc
      .record({
        sep: fc.constantFrom(',', ';', '\t'),
        eol: fc.constantFrom('\n', '\r\n'),
        bom: fc.boolean(),
        width: fc.integer({ min: 1, max: 5 }),
        quoteAll: fc.boolean(),
      })
      .chain((f) =>
        fc.record({
          f: fc.constant(f),
          rows: fc.array(fc.array(cellArb, { minLength: f.width, maxLength: f.width }), { minLength: 0, maxLength: 15 }),
        }),
      );
    await fc.assert(
      fc.asyncProperty(fileArb, async ({ f, rows }) => {
        const headers = Array.from({ length: f.width }, (_, i) => `Colonne ${i} é`);
        const field = (v: string) => (f.quoteAll || /[",;\t\n ]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
        const text = [headers, ...rows].map((r) => r.map(field).join(f.sep)).join(f.eol) + f.eol;
        const bytes = Buffer.concat([Buffer.from(f.bom ? [0xef, 0xbb, 0xbf] : []), Buffer.from(text, 'utf8')]);
        // Reference: csv-parse, trimmed, blank rows dropped, line = 1 + lines taken by the records before.
        const records = parse(text, { delimiter: f.sep, record_delimiter: f.eol, relax_column_count: false }) as string[][];
        const expected: { line: number; cells: string[] }[] = [];
        let line = 1;
        for (const [i, r] of records.entries()) {
          const cells = r.map((c) => c.trim());
          if (i > 0 && cells.some((c) => c !== '')) expected.push({ line, cells });
          line += 1 + r.join('').split('\n').length - 1;
        }
        if (expected.length === 0) {
          await expect(parseTabular(bytes)).rejects.toMatchObject({ code: 'IMPORT_EMPTY' });
          return;
        }
        const table = await parseTabular(bytes);
        if (f.width > 1) expect(table.separator).toBe(f.sep);
        expect(table.headers).toEqual(headers);
        expect(table.rows).toEqual(expected);
      }),
      seeded({ numRuns: 500 }),
    );
  });
});
