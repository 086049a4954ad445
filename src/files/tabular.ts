/**
 * Reads the spreadsheet an issuer uploads for bulk issuance: CSV (any of `;`, `,` or tab, UTF-8 or the
 * windows-1252 that Excel writes, CRLF/LF/CR, quoted newlines) or the first worksheet of an XLSX workbook.
 * The result is a plain table of trimmed strings with the line number the issuer sees in a text editor
 * (CSV) or in Excel (XLSX), so the row report can point at it.
 *
 * Every failure is an `AppError` with an `IMPORT_*` code (4xx) and, where it applies, a `line` param;
 * nothing else escapes, whatever the bytes.
 */
import { inflateRawSync } from 'node:zlib';
import ExcelJS from 'exceljs';
import { AppError } from '../domain/shared/errors.js';

export interface ParsedRow {
  /** Physical line (CSV, header = 1 when the file starts with it) or sheet row number (XLSX) where the record starts. */
  line: number;
  /** Trimmed cells, exactly `headers.length` of them. */
  cells: string[];
}

export interface ParsedTable {
  format: 'csv' | 'xlsx';
  /** The text encoding the CSV was read with; null for XLSX. */
  encoding: 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252' | null;
  /** The CSV separator detected on the header line; null for XLSX. */
  separator: ',' | ';' | '\t' | null;
  /** Trimmed, non-empty, unique (case-insensitively) column titles. */
  headers: string[];
  /** Data rows, fully empty lines skipped. */
  rows: ParsedRow[];
}

export interface TabularLimits {
  maxBytes?: number;
  maxRows?: number;
}

export const TABULAR_LIMITS = {
  /** Upload size (20 MiB). */
  maxBytes: 20 * 1024 * 1024,
  /** Data rows, header excluded. */
  maxRows: 100_000,
  /** Columns of the header. */
  maxColumns: 500,
  /** Cells visited in a worksheet (zip-bomb guard, with the unpacked-size budget). */
  maxCells: 5_000_000,
  /** An XLSX may unpack to at most this many times `maxBytes` (all parts together). */
  unpackFactor: 5,
} as const;

const MiB = 1024 * 1024;

/** Parses CSV or XLSX bytes into a table. Throws only `AppError` (`IMPORT_*`, 400 or 413). */
export async function parseTabular(bytes: Buffer | Uint8Array, limits: TabularLimits = {}): Promise<ParsedTable> {
  const maxBytes = limits.maxBytes ?? TABULAR_LIMITS.maxBytes;
  const maxRows = limits.maxRows ?? TABULAR_LIMITS.maxRows;
  try {
    if (!(bytes instanceof Uint8Array)) throw new AppError('IMPORT_EMPTY');
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from((bytes as Uint8Array).buffer, (bytes as Uint8Array).byteOffset, (bytes as Uint8Array).byteLength);
    if (buf.length > maxBytes) throw new AppError('IMPORT_TOO_LARGE', { max: Number((maxBytes / MiB).toFixed(1)) });
    if (buf.length === 0) throw new AppError('IMPORT_EMPTY');
    if (isZip(buf)) return await parseXlsx(buf, maxBytes, maxRows);
    return parseCsv(buf, maxRows);
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw new AppError('IMPORT_UNREADABLE', { line: 1 }, { cause: e });
  }
}

function isZip(buf: Buffer): boolean {
  return buf.length >= 4 && buf[0] === 0x50 && buf[1] === 0x4b && buf[2] === 0x03 && buf[3] === 0x04;
}

/**
 * Collects records cell by cell, checks the header and the shape of every row (shared by CSV and XLSX).
 * Memory stays bounded whatever a record holds: cells past the header width (or past `maxColumns` before
 * the header is known) are counted, never stored.
 */
class TableBuilder {
  headers: string[] | null = null;
  readonly rows: ParsedRow[] = [];
  private line = 0;
  private cells: string[] = [];
  private count = 0;
  private lastFilled = -1;
  private overflow = false;
  constructor(private readonly maxRows: number) {}

  begin(line: number): void {
    this.line = line;
    this.cells = [];
    this.count = 0;
    this.lastFilled = -1;
    this.overflow = false;
  }

  cell(raw: string): void {
    const value = raw.trim();
    const i = this.count++;
    if (value !== '') this.lastFilled = i;
    if (i < (this.headers ? this.headers.length : TABULAR_LIMITS.maxColumns)) this.cells.push(value);
    else if (value !== '') this.overflow = true;
  }

  /** Ends the record: fully empty records are skipped, the first other one is the header. */
  end(): void {
    const { line, lastFilled } = this;
    if (lastFilled < 0) return;
    if (this.headers === null) {
      if (this.overflow) throw new AppError('IMPORT_TOO_MANY_COLUMNS', { max: TABULAR_LIMITS.maxColumns });
      this.headers = checkHeaders(line, this.cells.slice(0, lastFilled + 1));
      return;
    }
    const width = this.headers.length;
    if (this.overflow) throw new AppError('IMPORT_COLUMNS_MISMATCH', { line, expected: width, found: lastFilled + 1 });
    if (this.rows.length >= this.maxRows) throw new AppError('IMPORT_TOO_MANY_ROWS', { max: this.maxRows });
    const cells = this.cells;
    while (cells.length < width) cells.push('');
    this.rows.push({ line, cells });
  }

  finish(): { headers: string[]; rows: ParsedRow[] } {
    if (this.headers === null || this.rows.length === 0) throw new AppError('IMPORT_EMPTY');
    return { headers: this.headers, rows: this.rows };
  }
}

/** `headers` is at most `maxColumns` long (TableBuilder caps the cells and refuses an overflowing header). */
function checkHeaders(line: number, headers: string[]): string[] {
  const seen = new Set<string>();
  headers.forEach((h, i) => {
    if (h === '') throw new AppError('IMPORT_HEADER_EMPTY', { line, column: i + 1 });
    const key = h.normalize('NFC').toLowerCase();
    if (seen.has(key)) throw new AppError('IMPORT_HEADER_DUPLICATE', { line, name: h.slice(0, 80) });
    seen.add(key);
  });
  return headers;
}

// ---------------------------------------------------------------------------------------------------------
// CSV

type Encoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

function decode(buf: Buffer): { text: string; encoding: Encoding } {
  const strict = (label: string, bytes: Uint8Array) => new TextDecoder(label, { fatal: true, ignoreBOM: true }).decode(bytes);
  let text: string;
  let encoding: Encoding;
  if (buf[0] === 0xff && buf[1] === 0xfe) {
    // Excel's "Unicode text" export: UTF-16 little-endian with a BOM (tab-separated).
    encoding = 'utf-16le';
    text = new TextDecoder('utf-16le', { ignoreBOM: true }).decode(buf.subarray(2));
  } else if (buf[0] === 0xfe && buf[1] === 0xff) {
    encoding = 'utf-16be';
    text = new TextDecoder('utf-16be', { ignoreBOM: true }).decode(buf.subarray(2));
  } else {
    if (buf.includes(0)) throw new AppError('IMPORT_BINARY');
    const body = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? buf.subarray(3) : buf;
    try {
      text = strict('utf-8', body);
      encoding = 'utf-8';
    } catch {
      // Not UTF-8: Excel on Windows saves "CSV" in the ANSI code page, windows-1252 for fr/en.
      text = decodeWindows1252(body);
      encoding = 'windows-1252';
    }
  }
  if (text.includes('\u0000')) throw new AppError('IMPORT_BINARY');
  return { text: text.replace(/^\uFEFF+/, ''), encoding };
}

/** windows-1252 bytes 0x80–0x9F (the rest is Latin-1). Node's TextDecoder decodes this label as plain Latin-1. */
const CP1252_HIGH =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

function decodeWindows1252(bytes: Buffer): string {
  return bytes.toString('latin1').replace(/[\u0080-\u009f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]!);
}

/** The separator of the first line that holds any text, counted outside quotes. */
export function detectSeparator(text: string): ',' | ';' | '\t' {
  let comma = 0;
  let semi = 0;
  let tab = 0;
  let content = false;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22) {
      quoted = !quoted;
      content = true;
      continue;
    }
    if (quoted) continue;
    if (ch === 0x0a) {
      if (content) break;
      comma = semi = tab = 0;
    } else if (ch === 0x2c) comma++;
    else if (ch === 0x3b) semi++;
    else if (ch === 0x09) tab++;
    else if (ch !== 0x20 && ch !== 0x0d && ch !== 0xfeff) content = true;
  }
  const best = Math.max(comma, semi, tab);
  if (best === 0) return ',';
  if (semi === best) return ';';
  if (tab === best) return '\t';
  return ',';
}

function parseCsv(buf: Buffer, maxRows: number): ParsedTable {
  const { text: raw, encoding } = decode(buf);
  // One line ending everywhere (also inside quoted cells), so that line numbers are what an editor shows.
  const text = raw.replace(/\r\n?/g, '\n');
  const separator = detectSeparator(text);
  const table = new TableBuilder(maxRows);
  readRecords(text, separator, table);
  return { format: 'csv', encoding, separator, ...table.finish() };
}

/**
 * RFC 4180 reader over LF-only text, in one linear pass: quoted cells may hold separators, newlines and
 * doubled quotes; blanks around a quoted cell are ignored; a quote inside an unquoted cell is kept as it is.
 * (csv-parse builds and discards an error object for every record whose length differs from the first one,
 * about 50 µs each: 20 MB of blank lines would hold the process for many minutes, hence this reader.)
 */
function readRecords(text: string, separator: string, table: TableBuilder): void {
  const n = text.length;
  const SEP = separator.charCodeAt(0);
  const blank = (c: number) => c !== SEP && (c === 0x20 || c === 0x09 || c === 0xa0 || c === 0xfeff);
  let i = 0;
  let line = 1;
  while (i < n) {
    table.begin(line);
    for (;;) {
      let j = i;
      while (j < n && blank(text.charCodeAt(j))) j++;
      if (j < n && text.charCodeAt(j) === 0x22) {
        const openLine = line;
        const from = j + 1;
        let k = from;
        let close: number;
        for (;;) {
          close = text.indexOf('"', k);
          if (close < 0) throw new AppError('IMPORT_QUOTE_INVALID', { line: openLine });
          if (text.charCodeAt(close + 1) !== 0x22) break;
          k = close + 2;
        }
        const quoted = text.slice(from, close);
        for (let p = quoted.indexOf('\n'); p >= 0; p = quoted.indexOf('\n', p + 1)) line++;
        k = close + 1;
        while (k < n && blank(text.charCodeAt(k))) k++;
        if (k < n && text.charCodeAt(k) !== SEP && text.charCodeAt(k) !== 0x0a) throw new AppError('IMPORT_QUOTE_INVALID', { line });
        table.cell(quoted.includes('"') ? quoted.replace(/""/g, '"') : quoted);
        i = k;
      } else {
        let k = j;
        for (let c = text.charCodeAt(k); k < n && c !== SEP && c !== 0x0a; c = text.charCodeAt(++k));
        table.cell(text.slice(i, k));
        i = k;
      }
      if (i >= n) break;
      const c = text.charCodeAt(i++);
      if (c === 0x0a) {
        line++;
        break;
      }
      if (i >= n) {
        table.cell(''); // a separator at the very end opens one last, empty cell
        break;
      }
    }
    table.end();
  }
}

// ---------------------------------------------------------------------------------------------------------
// XLSX

async function parseXlsx(buf: Buffer, maxBytes: number, maxRows: number): Promise<ParsedTable> {
  checkZip(buf, maxBytes * TABULAR_LIMITS.unpackFactor);
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(
      buf as unknown as Parameters<typeof workbook.xlsx.load>[0],
      {
        // exceljs stops reading a sheet past these counts (rows may include formatted empty ones, hence the slack).
        maxRows: Math.ceil(maxRows * 1.1) + 1000,
        maxCols: TABULAR_LIMITS.maxColumns * 4,
        ignoreNodes: ['dataValidations', 'conditionalFormatting', 'extLst'],
      } as Parameters<typeof workbook.xlsx.load>[1],
    );
  } catch (e) {
    const message = e instanceof Error ? e.message : '';
    if (/^Max row count/.test(message)) throw new AppError('IMPORT_TOO_MANY_ROWS', { max: maxRows }, { cause: e });
    if (/^Max column count/.test(message)) throw new AppError('IMPORT_TOO_MANY_COLUMNS', { max: TABULAR_LIMITS.maxColumns }, { cause: e });
    throw new AppError('IMPORT_XLSX_INVALID', {}, { cause: e });
  }
  const sheet = workbook.worksheets[0];
  if (!sheet) throw new AppError('IMPORT_XLSX_INVALID'); // a zip without a worksheet: .docx, .odt, .zip…
  const table = new TableBuilder(maxRows);
  let cells = 0;
  try {
    sheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
      const count = row.cellCount;
      cells += count;
      if (cells > TABULAR_LIMITS.maxCells) throw new AppError('IMPORT_XLSX_TOO_LARGE');
      table.begin(rowNumber);
      for (let c = 1; c <= count; c++) {
        const cell = row.getCell(c);
        table.cell(cell.type === ExcelJS.ValueType.Merge ? '' : cellText(cell.value, 0)); // cell() trims
      }
      table.end();
    });
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw new AppError('IMPORT_XLSX_INVALID', {}, { cause: e });
  }
  return { format: 'xlsx', encoding: null, separator: null, ...table.finish() };
}

/** A worksheet cell value as the issuer sees it: formula → cached result, rich text and links → text, dates → YYYY-MM-DD. */
export function cellText(value: unknown, depth = 0): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return numberText(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) return dateText(value);
  if (typeof value !== 'object' || depth > 3) return '';
  const o = value as Record<string, unknown>;
  if (Array.isArray(o.richText)) {
    return o.richText.map((run: unknown) => (run && typeof (run as { text?: unknown }).text === 'string' ? (run as { text: string }).text : '')).join('');
  }
  if ('formula' in o || 'sharedFormula' in o || 'result' in o) return cellText(o.result, depth + 1);
  if ('text' in o) return cellText(o.text, depth + 1);
  if (typeof o.error === 'string') return o.error;
  return '';
}

function numberText(n: number): string {
  if (!Number.isFinite(n) || Number.isInteger(n)) return String(n);
  // Excel keeps 15 significant digits: 0.1+0.2 is shown (and exported to CSV) as 0.3.
  return String(Number(n.toPrecision(15)));
}

function dateText(d: Date): string {
  const t = d.getTime();
  if (Number.isNaN(t)) return '';
  const r = new Date(Math.round(t / 1000) * 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const day = `${pad(r.getUTCFullYear(), 4)}-${pad(r.getUTCMonth() + 1)}-${pad(r.getUTCDate())}`;
  const h = r.getUTCHours();
  const m = r.getUTCMinutes();
  const s = r.getUTCSeconds();
  if (h === 0 && m === 0 && s === 0) return day;
  return `${day} ${pad(h)}:${pad(m)}${s ? `:${pad(s)}` : ''}`;
}

/**
 * Walks the zip central directory and really inflates every part with a running output budget, before
 * exceljs sees the file: a zip bomb is refused without ever being held in memory, whatever sizes it declares.
 */
function checkZip(buf: Buffer, budget: number): void {
  const invalid = () => new AppError('IMPORT_XLSX_INVALID');
  let eocd = -1;
  for (let i = buf.length - 22, min = Math.max(0, buf.length - 22 - 0xffff); i >= min; i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw invalid();
  const entries = buf.readUInt16LE(eocd + 10);
  const cdOffset = buf.readUInt32LE(eocd + 16);
  if (entries === 0 || entries === 0xffff || cdOffset === 0xffffffff) throw invalid();
  let p = cdOffset;
  let total = 0;
  for (let k = 0; k < entries; k++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== 0x02014b50) throw invalid();
    const method = buf.readUInt16LE(p + 10);
    const csize = buf.readUInt32LE(p + 20);
    const usize = buf.readUInt32LE(p + 24);
    const local = buf.readUInt32LE(p + 42);
    p += 46 + buf.readUInt16LE(p + 28) + buf.readUInt16LE(p + 30) + buf.readUInt16LE(p + 32);
    if (local + 30 > buf.length || buf.readUInt32LE(local) !== 0x04034b50) throw invalid();
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    if (csize === 0xffffffff || start + csize > buf.length) throw invalid();
    if (usize > budget - total) throw new AppError('IMPORT_XLSX_TOO_LARGE');
    if (method === 0) {
      total += csize;
    } else if (method === 8) {
      try {
        total += inflateRawSync(buf.subarray(start, start + csize), { maxOutputLength: Math.max(1, budget - total) }).length;
      } catch (e) {
        if ((e as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw new AppError('IMPORT_XLSX_TOO_LARGE');
        throw invalid();
      }
    } else {
      throw invalid();
    }
    if (total > budget) throw new AppError('IMPORT_XLSX_TOO_LARGE');
  }
}

// ---------------------------------------------------------------------------------------------------------
// Column mapping suggestions

export interface MappingTarget {
  key: string;
  aliases: string[];
}

/** The recipient columns every bulk issue needs, with the titles French and English files usually give them. */
export const RECIPIENT_TARGETS: MappingTarget[] = [
  {
    key: 'email',
    aliases: ['email', 'e-mail', 'courriel', 'adresse courriel', 'adresse électronique', 'adresse e-mail', 'mail', 'email address', 'e-mail address'],
  },
  {
    key: 'name',
    aliases: ['nom', 'nom complet', 'name', 'full name', 'nom et prénom', 'prénom et nom', 'nom du titulaire', 'recipient', 'destinataire', 'learner name'],
  },
  {
    key: 'learnerId',
    aliases: [
      'matricule',
      'learner id',
      'code permanent',
      'student id',
      'numéro étudiant',
      "numéro d'étudiant",
      'id étudiant',
      'identifiant',
      'no étudiant',
      'code étudiant',
    ],
  },
  { key: 'locale', aliases: ['langue', 'language', 'lang', 'locale', 'langue de correspondance'] },
];

function words(s: string): string[] {
  return s
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

function splitCamel(s: string): string {
  return s.replace(/(\p{Ll})(\p{Lu})/gu, '$1 $2');
}

/** How well a column title matches one name of a target (0: not at all). */
function score(header: string[], alias: string[]): number {
  if (alias.length === 0 || header.length === 0) return 0;
  if (header.join('') === alias.join('')) return 100 + alias.length;
  const rest = [...header];
  for (const w of alias) {
    const i = rest.indexOf(w);
    if (i < 0) return 0;
    rest.splice(i, 1);
  }
  return 50 + 5 * alias.length - rest.length;
}

/**
 * Suggests which column feeds each target, for the mapping screen: titles are compared without case,
 * accents or punctuation ("E-mail" = "email"), exactly first, then by containment ("Adresse courriel du
 * titulaire" → courriel). Each column goes to at most one target; targets without a match get null.
 */
export function suggestMapping(headers: string[], targets: MappingTarget[]): Record<string, string | null> {
  const result: Record<string, string | null> = {};
  const candidates: { s: number; t: number; h: number }[] = [];
  const headerWords = headers.map((h) => words(h));
  targets.forEach((target, t) => {
    result[target.key] = null;
    const names = [splitCamel(target.key), ...target.aliases].map((a) => words(a));
    headerWords.forEach((hw, h) => {
      const s = Math.max(0, ...names.map((a) => score(hw, a)));
      if (s > 0) candidates.push({ s, t, h });
    });
  });
  candidates.sort((a, b) => b.s - a.s || a.t - b.t || a.h - b.h);
  const usedHeaders = new Set<number>();
  const doneTargets = new Set<number>();
  for (const c of candidates) {
    if (usedHeaders.has(c.h) || doneTargets.has(c.t)) continue;
    usedHeaders.add(c.h);
    doneTargets.add(c.t);
    result[targets[c.t]!.key] = headers[c.h]!;
  }
  return result;
}
