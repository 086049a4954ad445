import { describe, expect, it } from 'vitest';
import { detectSeparator, parseTabular, RECIPIENT_TARGETS, suggestMapping, TABULAR_LIMITS } from '../../src/files/tabular.js';
import { REFUSAL, expectAppError } from '../support/expect.js';

const utf8 = (s: string) => Buffer.from(s, 'utf8');
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

describe('parseTabular: CSV', () => {
  it('reads a UTF-8 file with a BOM and `;` (French Excel "CSV UTF-8")', async () => {
    const t = await parseTabular(Buffer.concat([BOM, utf8('Courriel;Nom;Note\r\neloise@example.ca;Éloïse Hébert;92,5\r\n')]));
    expect(t).toEqual({
      format: 'csv',
      encoding: 'utf-8',
      separator: ';',
      headers: ['Courriel', 'Nom', 'Note'],
      rows: [{ line: 2, cells: ['eloise@example.ca', 'Éloïse Hébert', '92,5'] }],
    });
  });

  it('detects `,`, `;` and tab from the header line, outside quotes', async () => {
    expect((await parseTabular(utf8('email,name\na@x.ca,A\n'))).separator).toBe(',');
    expect((await parseTabular(utf8('email;name\na@x.ca;A, B\n'))).separator).toBe(';');
    const tab = await parseTabular(utf8('email\tname\ta;b\na@x.ca\tA, B\tc\n'));
    expect(tab.separator).toBe('\t');
    expect(tab.rows[0]!.cells).toEqual(['a@x.ca', 'A, B', 'c']);
    // Separators inside a quoted header title do not count.
    const quoted = await parseTabular(utf8('"Nom, prénom";"Courriel, travail"\n"Hébert, Éloïse";e@x.ca\n'));
    expect(quoted.separator).toBe(';');
    expect(quoted.headers).toEqual(['Nom, prénom', 'Courriel, travail']);
    // A single column file: comma by default.
    expect((await parseTabular(utf8('email\na@x.ca\n'))).separator).toBe(',');
    // Blank lines (or lines of separators) before the header are not the header line.
    expect(detectSeparator('\n,,,,\n"a;b";c;d\n')).toBe(';');
  });

  it('reports physical line numbers with CRLF, LF, CR and mixed line endings', async () => {
    const expected = [
      { line: 2, cells: ['1', 'a'] },
      { line: 4, cells: ['2', 'b'] },
      { line: 5, cells: ['3', 'c'] },
    ];
    for (const eol of ['\n', '\r\n', '\r']) {
      const t = await parseTabular(utf8(['n,v', '1,a', '', '2,b', '3,c', ''].join(eol)));
      expect(t.rows, JSON.stringify(eol)).toEqual(expected);
    }
    const mixed = await parseTabular(utf8('n,v\r\n1,a\n\r\n2,b\r3,c\n'));
    expect(mixed.rows).toEqual(expected);
  });

  it('reads quoted cells with embedded newlines, separators and doubled quotes; line is where the record starts', async () => {
    const t = await parseTabular(utf8('name;note\r\n"Hébert; Éloïse";"ligne 1\r\nligne 2\r\nligne 3"\r\nJo;"dit ""Jojo"""\r\nAl;"a\nb"\nZed;z\n'));
    expect(t.rows).toEqual([
      { line: 2, cells: ['Hébert; Éloïse', 'ligne 1\nligne 2\nligne 3'] },
      { line: 5, cells: ['Jo', 'dit "Jojo"'] },
      { line: 6, cells: ['Al', 'a\nb'] },
      { line: 8, cells: ['Zed', 'z'] },
    ]);
  });

  it('trims cells (also around quotes), keeps stray quotes inside unquoted cells, skips empty lines', async () => {
    const t = await parseTabular(utf8('\n  email , name \n\n ,  \n a@x.ca ,  "  Éloïse  "  \nb@x.ca,Dwayne "The Rock" Johnson\n,,\n'));
    expect(t.headers).toEqual(['email', 'name']);
    expect(t.rows).toEqual([
      { line: 5, cells: ['a@x.ca', 'Éloïse'] },
      { line: 6, cells: ['b@x.ca', 'Dwayne "The Rock" Johnson'] },
    ]);
  });

  it('falls back to windows-1252 for Latin-1 files (Excel "CSV" on Windows), and keeps UTF-8 when valid', async () => {
    const text = 'Nom;Courriel;Mention\r\nÉloïse Hébert;eloise@example.ca;Très bien — « 90 % » ’\r\n';
    const latin = await parseTabular(encode1252(text));
    expect(latin.encoding).toBe('windows-1252');
    expect(latin.rows[0]!.cells).toEqual(['Éloïse Hébert', 'eloise@example.ca', 'Très bien — « 90 % » ’']);
    const u = await parseTabular(utf8(text));
    expect(u.encoding).toBe('utf-8');
    expect(u.rows).toEqual(latin.rows);
    expect(u.headers).toEqual(latin.headers);
  });

  it('reads UTF-16 with a BOM (Excel "Unicode text")', async () => {
    const text = 'Nom\tCourriel\r\nÉloïse Hébert\te@x.ca\r\n';
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const t = await parseTabular(le);
    expect(t).toMatchObject({ encoding: 'utf-16le', separator: '\t', rows: [{ line: 2, cells: ['Éloïse Hébert', 'e@x.ca'] }] });
    const be = Buffer.from(text, 'utf16le').swap16();
    expect((await parseTabular(Buffer.concat([Buffer.from([0xfe, 0xff]), be]))).rows).toEqual(t.rows);
  });

  it('refuses NUL bytes and binary files as not text', async () => {
    await expectAppError(parseTabular(utf8('email,name\na@x.ca,A\u0000\n')), 'IMPORT_BINARY', undefined, REFUSAL);
    await expectAppError(parseTabular(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0])), 'IMPORT_BINARY', undefined, REFUSAL); // legacy .xls
    await expectAppError(parseTabular(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])), 'IMPORT_BINARY', undefined, REFUSAL); // PNG
  });

  it('refuses a file over 20 MB with IMPORT_TOO_LARGE (413)', async () => {
    expect(TABULAR_LIMITS.maxBytes).toBe(20 * 1024 * 1024);
    const big = Buffer.alloc(TABULAR_LIMITS.maxBytes + 1, 'a');
    await expectAppError(parseTabular(big), 'IMPORT_TOO_LARGE', { max: 20 }, REFUSAL);
    await expectAppError(parseTabular(utf8('a,b\n1,2\n'), { maxBytes: 4 }), 'IMPORT_TOO_LARGE', undefined, REFUSAL);
  });

  it('accepts 100,000 data rows and refuses 100,001 with IMPORT_TOO_MANY_ROWS (413)', async () => {
    const lines = ['email;name'];
    for (let i = 0; i < 100_000; i++) lines.push(`p${i}@example.ca;Personne ${i}`);
    const ok = await parseTabular(utf8(lines.join('\r\n')));
    expect(ok.rows.length).toBe(100_000);
    expect(ok.rows.at(-1)).toEqual({ line: 100_001, cells: ['p99999@example.ca', 'Personne 99999'] });
    lines.push('one@too.many;Trop');
    await expectAppError(parseTabular(utf8(lines.join('\r\n'))), 'IMPORT_TOO_MANY_ROWS', { max: 100_000 }, REFUSAL);
    // Empty lines do not count.
    await parseTabular(utf8('a\n1\n\n\n2\n'), { maxRows: 2 });
    await expectAppError(parseTabular(utf8('a\n1\n2\n3\n'), { maxRows: 2 }), 'IMPORT_TOO_MANY_ROWS', { max: 2 }, REFUSAL);
  });

  it('refuses empty and duplicate column titles, naming the column', async () => {
    await expectAppError(parseTabular(utf8('email;Nom;EMAIL\n1;2;3\n')), 'IMPORT_HEADER_DUPLICATE', { line: 1, name: 'EMAIL' }, REFUSAL);
    await expectAppError(parseTabular(utf8('\nÉcole;école\n1;2\n')), 'IMPORT_HEADER_DUPLICATE', { line: 2, name: 'école' }, REFUSAL);
    await expectAppError(parseTabular(utf8('email;;name\n1;2;3\n')), 'IMPORT_HEADER_EMPTY', { line: 1, column: 2 }, REFUSAL);
    // Trailing empty titles (a trailing separator, common in Excel exports) are dropped.
    expect((await parseTabular(utf8('email;name;;\na;b;;\n'))).headers).toEqual(['email', 'name']);
    const wide = Array.from({ length: TABULAR_LIMITS.maxColumns + 1 }, (_, i) => `c${i}`).join(',');
    await expectAppError(parseTabular(utf8(`${wide}\n1\n`)), 'IMPORT_TOO_MANY_COLUMNS', { max: TABULAR_LIMITS.maxColumns }, REFUSAL);
  });

  it('refuses a row with more filled cells than titles, naming the line; pads short rows', async () => {
    await expectAppError(parseTabular(utf8('email,name\na@x.ca,A\n"b\nc",B,extra\n')), 'IMPORT_COLUMNS_MISMATCH', { line: 3, expected: 2, found: 3 }, REFUSAL);
    const t = await parseTabular(utf8('email,name,note\na@x.ca\nb@x.ca,B,,,,\n'));
    expect(t.rows).toEqual([
      { line: 2, cells: ['a@x.ca', '', ''] },
      { line: 3, cells: ['b@x.ca', 'B', ''] },
    ]);
  });

  it('refuses unbalanced quotes with the line where the record starts', async () => {
    await expectAppError(parseTabular(utf8('email,name\na@x.ca,A\nb@x.ca,"B\nc@x.ca,C\n')), 'IMPORT_QUOTE_INVALID', { line: 3 }, REFUSAL);
    await expectAppError(parseTabular(utf8('email,name\r\na@x.ca,"A"b\r\n')), 'IMPORT_QUOTE_INVALID', { line: 2 }, REFUSAL);
  });

  it('refuses empty files and files without data rows', async () => {
    await expectAppError(parseTabular(Buffer.alloc(0)), 'IMPORT_EMPTY', undefined, REFUSAL);
    await expectAppError(parseTabular(BOM), 'IMPORT_EMPTY', undefined, REFUSAL);
    await expectAppError(parseTabular(utf8(' \r\n;;\r\n\r\n')), 'IMPORT_EMPTY', undefined, REFUSAL);
    await expectAppError(parseTabular(utf8('email;name\r\n;\r\n')), 'IMPORT_EMPTY', undefined, REFUSAL);
  });
});

describe('suggestMapping', () => {
  it('matches usual French and English titles, ignoring case, accents and punctuation', () => {
    expect(suggestMapping(['Adresse courriel', 'Nom complet', 'Code permanent', 'Langue', 'Note'], RECIPIENT_TARGETS)).toEqual({
      email: 'Adresse courriel',
      name: 'Nom complet',
      learnerId: 'Code permanent',
      locale: 'Langue',
    });
    expect(suggestMapping(['E-mail', 'Name', 'Learner ID', 'Language'], RECIPIENT_TARGETS)).toEqual({
      email: 'E-mail',
      name: 'Name',
      learnerId: 'Learner ID',
      locale: 'Language',
    });
    expect(suggestMapping(['COURRIEL', 'NOM', 'MATRICULE'], RECIPIENT_TARGETS)).toEqual({
      email: 'COURRIEL',
      name: 'NOM',
      learnerId: 'MATRICULE',
      locale: null,
    });
    expect(suggestMapping(['email', 'learnerId'], RECIPIENT_TARGETS)).toMatchObject({ email: 'email', learnerId: 'learnerId', name: null });
  });

  it('prefers exact matches, gives each column to one target only, and does not confuse "Prénom" with "Nom"', () => {
    expect(suggestMapping(['Prénom', 'Courriel du titulaire', 'Courriel'], RECIPIENT_TARGETS)).toMatchObject({ email: 'Courriel', name: null });
    const targets = [...RECIPIENT_TARGETS, { key: 'grade', aliases: ['note finale', 'résultat'] }, { key: 'issuedOn', aliases: ['date'] }];
    expect(suggestMapping(['Nom', 'E-mail', 'Note finale', 'Date de délivrance', 'Date'], targets)).toEqual({
      email: 'E-mail',
      name: 'Nom',
      learnerId: null,
      locale: null,
      grade: 'Note finale',
      issuedOn: 'Date',
    });
  });
});

/** windows-1252 encoder for the characters these tests use. */
function encode1252(s: string): Buffer {
  const extra: Record<string, number> = { '€': 0x80, '’': 0x92, '—': 0x97, '«': 0xab, '»': 0xbb };
  return Buffer.from([...s].map((ch) => extra[ch] ?? ch.charCodeAt(0)));
}
