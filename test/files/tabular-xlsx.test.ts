import { deflateRawSync } from 'node:zlib';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { parseTabular } from '../../src/files/tabular.js';
import { REFUSAL, expectAppError } from '../support/expect.js';
import { zip } from './support.js';

async function xlsx(build: (wb: ExcelJS.Workbook) => void): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  build(wb);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** The workbook an issuer would type, next to the CSV Excel would save from it. */
const sample = () =>
  xlsx((wb) => {
    const ws = wb.addWorksheet('Diplômés');
    ws.addRow(['  Courriel ', 'Nom', 'Date', 'Note', 'Double', 'Mention', 'Site', 'Réussi', 'Total']);
    ws.addRow([
      'eloise@example.ca',
      'Éloïse Hébert',
      new Date(Date.UTC(2024, 4, 17)),
      85.5,
      { formula: 'D2*2', result: 171 },
      { richText: [{ text: 'Très ' }, { font: { bold: true }, text: 'bien' }] },
      { text: 'portfolio', hyperlink: 'https://example.ca/e' },
      true,
      { formula: 'D2+0.1+0.2', result: 85.5 + 0.1 + 0.2 },
    ]);
    ws.addRow([]);
    ws.addRow([
      'jo@example.ca',
      { formula: 'UPPER("jo")', result: 'JO' },
      new Date(Date.UTC(2023, 11, 31, 13, 30)),
      70,
      { sharedFormula: 'E2', result: 140 },
      '',
      '',
      false,
      { formula: '1/0', result: { error: '#DIV/0!' } },
    ]);
    ws.getCell('C2').numFmt = 'yyyy-mm-dd';
    ws.getCell('C4').numFmt = 'yyyy-mm-dd hh:mm';
    wb.addWorksheet('Autre').addRow(['ignored']);
  });

const sampleCsv = [
  'Courriel;Nom;Date;Note;Double;Mention;Site;Réussi;Total',
  'eloise@example.ca;Éloïse Hébert;2024-05-17;85.5;171;Très bien;portfolio;TRUE;85.8',
  '',
  'jo@example.ca;JO;2023-12-31 13:30;70;140;;;FALSE;#DIV/0!',
].join('\r\n');

describe('parseTabular: XLSX', () => {
  it('reads the first worksheet like the equivalent CSV: dates, numbers, formula results, rich text, links', async () => {
    const fromXlsx = await parseTabular(await sample());
    const fromCsv = await parseTabular(Buffer.from(sampleCsv, 'utf8'));
    expect(fromXlsx).toMatchObject({ format: 'xlsx', encoding: null, separator: null });
    expect(fromXlsx.headers).toEqual(fromCsv.headers);
    expect(fromXlsx.rows).toEqual(fromCsv.rows);
    expect(fromXlsx.rows.map((r) => r.line)).toEqual([2, 4]);
    expect(JSON.stringify(fromXlsx)).not.toContain('D2*2'); // never the formula itself
  });

  it('applies the same header and row rules as CSV', async () => {
    const dup = await xlsx((wb) => {
      const ws = wb.addWorksheet('S');
      ws.addRow(['Email', 'email']);
      ws.addRow([1, 2]);
    });
    await expectAppError(parseTabular(dup), 'IMPORT_HEADER_DUPLICATE', { line: 1, name: 'email' }, REFUSAL);
    const ragged = await xlsx((wb) => {
      const ws = wb.addWorksheet('S');
      ws.getRow(2).values = ['email', 'name'];
      ws.getRow(3).values = ['a@x.ca', 'A'];
      ws.getRow(5).values = ['b@x.ca', 'B', 'surplus'];
    });
    await expectAppError(parseTabular(ragged), 'IMPORT_COLUMNS_MISMATCH', { line: 5, expected: 2, found: 3 }, REFUSAL);
    const rows = await xlsx((wb) => {
      const ws = wb.addWorksheet('S');
      ws.addRow(['email']);
      for (let i = 0; i < 6; i++) ws.addRow([`p${i}@x.ca`]);
    });
    await expectAppError(parseTabular(rows, { maxRows: 5 }), 'IMPORT_TOO_MANY_ROWS', { max: 5 }, REFUSAL);
    const headerOnly = await xlsx((wb) => {
      wb.addWorksheet('S').addRow(['email']);
    });
    await expectAppError(parseTabular(headerOnly), 'IMPORT_EMPTY', undefined, REFUSAL);
    await expectAppError(
      parseTabular(
        await xlsx((wb) => {
          wb.addWorksheet('S');
        }),
      ),
      'IMPORT_EMPTY',
      undefined,
      REFUSAL,
    );
    await expectAppError(parseTabular(await sample(), { maxBytes: 1000 }), 'IMPORT_TOO_LARGE', undefined, REFUSAL);
  });

  it('refuses damaged workbooks and other zip files as IMPORT_XLSX_INVALID', async () => {
    const good = await sample();
    await expectAppError(parseTabular(Buffer.from('PK\u0003\u0004 not really a zip')), 'IMPORT_XLSX_INVALID', undefined, REFUSAL);
    await expectAppError(parseTabular(good.subarray(0, Math.floor(good.length / 2))), 'IMPORT_XLSX_INVALID', undefined, REFUSAL);
    const docx = zip([{ name: 'word/document.xml', data: Buffer.from('<w:document/>'), method: 0 }]);
    await expectAppError(parseTabular(docx), 'IMPORT_XLSX_INVALID', undefined, REFUSAL);
    const garbage = zip([
      { name: 'xl/workbook.xml', data: Buffer.from('<<<not xml'), method: 0 },
      { name: '[Content_Types].xml', data: Buffer.from('x'), method: 0 },
    ]);
    await expectAppError(parseTabular(garbage), 'IMPORT_XLSX_INVALID', undefined, REFUSAL);
  });

  it('refuses zip bombs before inflating them, even when the declared sizes lie', async () => {
    const zeros = deflateRawSync(Buffer.alloc(8 * 1024 * 1024)); // 8 MiB of zeros → ~8 KiB
    const honest = zip([{ name: 'xl/worksheets/sheet1.xml', data: zeros, method: 8 }]);
    await expectAppError(parseTabular(honest, { maxBytes: 1024 * 1024 }), 'IMPORT_XLSX_TOO_LARGE', undefined, REFUSAL);
    const lying = zip([{ name: 'xl/worksheets/sheet1.xml', data: zeros, method: 8, declaredSize: 1000 }]);
    await expectAppError(parseTabular(lying, { maxBytes: 1024 * 1024 }), 'IMPORT_XLSX_TOO_LARGE', undefined, REFUSAL);
    // Many parts that add up past the budget.
    const many = zip(
      Array.from({ length: 6 }, (_, i) => ({ name: `xl/media/p${i}.bin`, data: deflateRawSync(Buffer.alloc(1024 * 1024)), method: 8 as const })),
    );
    await expectAppError(parseTabular(many, { maxBytes: 1024 * 1024 }), 'IMPORT_XLSX_TOO_LARGE', undefined, REFUSAL);
  });
});
