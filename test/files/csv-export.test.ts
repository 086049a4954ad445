import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { neutralizeCell, toCsv } from '../../src/files/csv-export.js';
import { parseTabular } from '../../src/files/tabular.js';
import { seeded } from '../support/seed.js';

const TRIGGERS = ['=', '+', '-', '@', '\t', '\r', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20'];
/** A cell a spreadsheet could evaluate: after optional whitespace, a trigger character (tab and CR count by themselves). */
const dangerous = (s: string) => /^\s*[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/u.test(s);

const readBack = (csv: Buffer): string[][] => {
  expect([...csv.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  return parse(csv, { bom: true, record_delimiter: '\r\n' }) as string[][];
};

describe('toCsv', () => {
  it('writes UTF-8 with a BOM, `,`, CRLF and RFC 4180 quoting', () => {
    const csv = toCsv(
      ['Ligne', 'Nom', 'Résultat'],
      [
        [2, 'Éloïse "Lili" Hébert', 'ok'],
        [3, 'a,b;c', 'ligne 1\nligne 2'],
        [4, null, ' espace '],
      ],
    );
    expect(csv.toString('utf8')).toBe('\uFEFFLigne,Nom,Résultat\r\n2,"Éloïse ""Lili"" Hébert",ok\r\n3,"a,b;c","ligne 1\nligne 2"\r\n4,," espace "\r\n');
  });

  it('neutralises formula triggers, also after leading whitespace and in full-width forms; numbers stay plain', () => {
    expect(neutralizeCell('=1+1')).toBe("'=1+1");
    expect(neutralizeCell('=HYPERLINK("http://x")')).toBe('\'=HYPERLINK("http://x")');
    expect(neutralizeCell("=cmd|' /C calc'!A0")).toBe("'=cmd|' /C calc'!A0");
    expect(neutralizeCell('  @SUM(A1)')).toBe("'  @SUM(A1)");
    expect(neutralizeCell('\n-2+3')).toBe("'\n-2+3");
    expect(neutralizeCell('\tx')).toBe("'\tx");
    expect(neutralizeCell('\rx')).toBe("'\rx");
    expect(neutralizeCell(' \tx')).toBe("' \tx");
    expect(neutralizeCell('\uFF1D1+1')).toBe("'\uFF1D1+1");
    expect(neutralizeCell('+33 6 12')).toBe("'+33 6 12");
    expect(neutralizeCell('a=1')).toBe('a=1');
    expect(neutralizeCell('Éloïse')).toBe('Éloïse');
    expect(neutralizeCell('')).toBe('');
    expect(toCsv(['n'], [[-5], ['-5']]).toString('utf8')).toBe("\uFEFFn\r\n-5\r\n'-5\r\n");
  });

  it('X3: 500 hostile values come back inert and recoverable', () => {
    const tail = fc.string({
      maxLength: 30,
      unit: fc.constantFrom('a', '1', '"', ',', ';', "'", ' ', '\n', '\r', '\t', '=', '(', ')', '!', '|', 'é', '\uFF1D', 'A'),
    });
    const hostile = fc.oneof(
      fc.tuple(fc.constantFrom(...TRIGGERS, '\n'), tail).map(([a, b]) => a + b),
      fc.tuple(fc.constantFrom(' ', '  ', '\n', ' \n', '\u00a0', '\u3000'), fc.constantFrom(...TRIGGERS), tail).map(([a, b, c]) => a + b + c),
      fc.constantFrom(
        '=HYPERLINK("http://x")',
        "=cmd|' /C calc'!A0",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        '+1+1',
        '-1+1',
        '\uFF1D1+1',
        'a","=1',
        '","=1',
        'a"\r\n=1',
        '";=1;"',
        "'=1",
        '"=1"',
        '\t=1',
        '\r=1',
        ' =1',
        '=1\r\n=2',
        '',
      ),
      tail,
    );
    let checked = 0;
    fc.assert(
      fc.property(fc.array(hostile, { minLength: 1, maxLength: 1 }), ([value]) => {
        const v = value!;
        const rows = readBack(toCsv(['before', 'value', 'after'], [['x', v, 'y']]));
        expect(rows.length).toBe(2);
        expect(rows[1]!.length).toBe(3);
        const [before, cell, after] = rows[1]!;
        expect(before).toBe('x');
        expect(after).toBe('y');
        if (!cell!.startsWith("'")) expect(dangerous(cell!)).toBe(false);
        expect(cell === v || cell === `'${v}`).toBe(true);
        expect(cell === `'${v}`).toBe(dangerous(v));
        checked++;
      }),
      seeded({ numRuns: 500 }),
    );
    expect(checked).toBe(500);
  });

  it('round-trips through parseTabular', async () => {
    const csv = toCsv(
      ['Courriel', 'Nom'],
      [
        ['eloise@example.ca', 'Éloïse Hébert'],
        ['jo@example.ca', 'Jo "le grand", Tremblay'],
      ],
    );
    const t = await parseTabular(csv);
    expect(t).toMatchObject({ encoding: 'utf-8', separator: ',', headers: ['Courriel', 'Nom'] });
    expect(t.rows.map((r) => r.cells)).toEqual([
      ['eloise@example.ca', 'Éloïse Hébert'],
      ['jo@example.ca', 'Jo "le grand", Tremblay'],
    ]);
  });
});
