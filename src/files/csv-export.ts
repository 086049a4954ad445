/**
 * CSV downloads (per-row results of a bulk issue…): UTF-8 with a BOM so Excel reads the accents, `,`
 * separator, CRLF, RFC 4180 quoting, and formula-injection neutralisation (OWASP / ASVS 1.2.10): a text
 * cell that a spreadsheet could take for a formula is prefixed with `'`.
 */

/** Characters that make a spreadsheet evaluate a cell (ASCII and full-width forms; tab and CR start DDE payloads). */
const FORMULA_START = /^\s*[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/u;
const NEEDS_QUOTES = /[",;\r\n]|^\s|\s$/;

/** A text cell made inert: `=1+1` → `'=1+1`, `  @SUM(A1)` → `'  @SUM(A1)`; anything else unchanged. */
export function neutralizeCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

function field(value: string | number | null | undefined): string {
  let s: string;
  if (value === null || value === undefined) s = '';
  else if (typeof value === 'number') s = Number.isFinite(value) ? String(value) : '';
  else s = neutralizeCell(String(value));
  return NEEDS_QUOTES.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Builds a CSV file. Strings are neutralised and quoted as needed; numbers (counts the server computed)
 * are written as they are.
 */
export function toCsv(headers: string[], rows: (string | number | null)[][]): Buffer {
  const lines = [headers.map(field).join(',')];
  for (const row of rows) lines.push(row.map(field).join(','));
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8')]);
}
