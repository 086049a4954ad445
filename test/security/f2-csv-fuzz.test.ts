/**
 * F2: mutated CSV uploads to the bulk issuance console (`POST /console/:slug/bulk`, multipart, as an issuer would).
 *
 * 5,000 files (F2_RUNS), built by fast-check from a small valid file of the seeded template: BOM (none, one, two),
 * `;` `,` or tab separators, mixed CRLF / LF / CR line ends, quoted cells with separators, quotes and newlines, blank
 * lines, Latin-1 (windows-1252) and UTF-16 encodings, accented / non-Latin text, duplicate e-mails, formula prefixes
 * (`=`, `+`, `-`, `@`, `=HYPERLINK(…)`), NUL characters, 1 MB fields, header damage (duplicate, empty, renamed or extra
 * columns), rows wider than the header, and "dirty" files: an unbalanced quote spliced into a line, and byte-level
 * damage (bits flipped, bytes inserted or deleted, as zzuf does).
 *
 * Pass, for every file: the answer is either a 303 to a draft job of org A whose rows all carry their line number and,
 * when invalid, localised reasons (the job page lists them as "Ligne N"), or a 400/413 HTML page with a localised
 * message (the catalogue's, placeholders filled in); never a 5xx; a refused file creates no job; nothing is ever
 * issued (credentials and awards are counted before and after; no e-mail is queued).
 *
 * Oracle for clean files (no byte damage, no spliced quote): the expected outcome is computed from the model (a file
 * that is readable must give a job; NUL, a bad header, no data, or a row wider than the header: a 400), and the rows
 * stored must equal what csv-parse (the reference parser) reads from the same text, cell for cell, with the line
 * where each record starts.
 *
 * Extremes, once each: 100,001 data rows → 413; a file over 20 MB → 413.
 *
 * Replay (see test/support/seed.ts): SCEAU_TEST_SEED=<seed> [SCEAU_TEST_PATH=<path>] F2_RUNS=<n> npx vitest run test/security/f2-csv-fuzz.test.ts
 */
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/domain/shared/errors.js';
import { messages } from '../../src/i18n/t.js';
import { escapeHtml } from '../../src/shared/html.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { csvOf } from '../templates/support.js';
import { type Client, type World, seedWorld, sqliteOf } from './support/harness.js';
import { checkOverSeeds, fuzzSeeds, isReplay, replayPath, testSeed } from '../support/seed.js';

const RUNS = Number(process.env.F2_RUNS ?? 5000);
const FIXED_SEEDS = [20261123, 42];
const SEEDS = fuzzSeeds(FIXED_SEEDS);
console.info(`[F2] ${RUNS} files over seeds ${SEEDS.join(', ')}${isReplay ? ' (replay)' : ` (random seed: ${testSeed()})`}`);

// ---- The model of a file ---------------------------------------------------------------------------------------

type Sep = ';' | ',' | '\t';
type Eol = '\r\n' | '\n' | '\r';
type Enc = 'utf-8' | 'windows-1252' | 'utf-16le';

interface Model {
  header: string[];
  /** Data records (cells as typed); `null` is a blank line. */
  rows: (string[] | null)[];
  sep: Sep;
  eols: Eol[];
  boms: number;
  encoding: Enc;
  /** Quote every cell (otherwise only those that need it). */
  quoteAll: boolean;
  /** Dirty: a line replaced by text with an unbalanced quote. */
  splice?: { at: number; text: string };
  /** Dirty: byte damage after encoding. */
  damage?: { op: 'flip' | 'insert' | 'delete'; at: number; value: number }[];
}

const HEADER = ['Nom', 'Courriel', 'Note', 'Date de l’examen'];
const LATIN = 'éèàçôüÉÀœ€’«»'.split('');
const FAR = ['😀', '中文', 'ß', 'Ω', '\u00a0'];
const FORMULAS = ['=1+1', '+33 1 23', '-2', '@SUM(A1:A9)', '=HYPERLINK("http://evil.example","x")', "=cmd|' /C calc'!A0", '＝1+1', '\t=1', '\r=1'];

const word = fc.oneof(
  { arbitrary: fc.stringMatching(/^[A-Za-z][a-z]{1,10}$/), weight: 6 },
  { arbitrary: fc.array(fc.constantFrom(...LATIN, 'a', 'e', 'n'), { minLength: 1, maxLength: 8 }).map((a) => a.join('')), weight: 2 },
  { arbitrary: fc.constantFrom(...FAR), weight: 1 },
);
const name = fc.oneof(
  { arbitrary: fc.array(word, { minLength: 1, maxLength: 3 }).map((a) => a.join(' ')), weight: 200 },
  { arbitrary: fc.constantFrom(...FORMULAS), weight: 40 },
  {
    arbitrary: fc.constantFrom('', '   ', 'Nom "entre guillemets"', 'Nom; avec, séparateurs', 'Ligne\nsuivante', 'Retour\r\nchariot', ' espaces '),
    weight: 40,
  },
  { arbitrary: fc.constant('x'.repeat(201)), weight: 20 },
  { arbitrary: fc.constant(`Nul\u0000char`), weight: 3 },
  // A 1 MB field (about one file in 80).
  { arbitrary: fc.constant('n'.repeat(1_000_000)), weight: 1 },
);
const localPart = fc.stringMatching(/^[a-z][a-z0-9.]{0,12}$/);
const email = fc.oneof(
  { arbitrary: fc.tuple(localPart, fc.nat(99_999)).map(([l, n]) => `${l}.${n}@example.org`), weight: 10 },
  {
    arbitrary: fc.constantFrom(
      'pas-un-courriel',
      '',
      'a@b',
      'x@@example.org',
      'A@EXAMPLE.ORG',
      '=cmd@example.org',
      '+x@example.org',
      '-x@example.org',
      'un espace@example.org',
    ),
    weight: 2,
  },
);
const note = fc.oneof(
  { arbitrary: fc.constantFrom('A', 'B+', 'C', '17/20'), weight: 6 },
  { arbitrary: fc.constantFrom('', 'x'.repeat(60), ...FORMULAS), weight: 2 },
);
const date = fc.oneof(
  { arbitrary: fc.constantFrom('15/06/2026', '2026-06-30', '1.2.2025'), weight: 6 },
  { arbitrary: fc.constantFrom('', '31/02/2026', 'demain', '2026-13-01', '=TODAY()'), weight: 2 },
);

const row = fc
  .tuple(name, email, note, date, fc.constantFrom(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -2, 1, 2), fc.constantFrom('', '', '', '', '', 'extra'))
  .map(([n, e, g, d, width, extra]) => {
    const cells = [n, e, g, d];
    if (width < 0) cells.length = 4 + width;
    for (let i = 0; i < width; i++) cells.push(extra);
    return cells;
  });

/** Some rows copy the e-mail of an earlier one (duplicates). */
const rows = fc
  .tuple(fc.array(fc.option(row, { freq: 12, nil: null }), { minLength: 0, maxLength: 12 }), fc.array(fc.nat(), { maxLength: 3 }))
  .map(([list, dups]) => {
    const data = list.filter((r): r is string[] => r !== null && r.length > 1);
    for (const d of dups) {
      if (data.length < 2) break;
      const from = data[d % data.length]!;
      const to = data[(d + 1) % data.length]!;
      to[1] = from[1]!;
    }
    return list;
  });

const header = fc.oneof(
  { arbitrary: fc.constant<string[]>(HEADER), weight: 12 },
  {
    arbitrary: fc.constantFrom<string[]>(
      ['Nom', 'nom', 'Courriel'],
      ['Nom', '', 'Courriel'],
      ['Nom', 'Adresse', 'Note'],
      [...HEADER, 'Commentaire'],
      ['Name', 'Email', 'Note'],
      ['', '', ''],
      ['=Nom', 'Courriel'],
    ),
    weight: 2,
  },
);

/** `value` once in `1 + without` draws, else undefined. */
const sometimes = <T>(value: fc.Arbitrary<T>, without: number) =>
  fc.oneof({ arbitrary: fc.constant(undefined), weight: without }, { arbitrary: value, weight: 1 });

const model: fc.Arbitrary<Model> = fc.record(
  {
    header,
    rows,
    sep: fc.constantFrom<Sep>(';', ',', '\t'),
    eols: fc.array(fc.constantFrom<Eol>('\r\n', '\n', '\r'), { minLength: 1, maxLength: 4 }),
    boms: fc.constantFrom(0, 0, 1, 2),
    encoding: fc.constantFrom<Enc>('utf-8', 'utf-8', 'windows-1252', 'utf-16le'),
    quoteAll: fc.boolean(),
    // About one file in eight gets a spliced quote, one in six byte damage.
    splice: sometimes(fc.record({ at: fc.nat(20), text: fc.constantFrom('"Ouvert;x@example.org;A;', 'Nom;"ouvert', 'a;"b"c;d', '"x"y;z') }), 7),
    damage: sometimes(
      fc.array(fc.record({ op: fc.constantFrom<'flip' | 'insert' | 'delete'>('flip', 'insert', 'delete'), at: fc.nat(), value: fc.nat(255) }), {
        minLength: 1,
        maxLength: 6,
      }),
      5,
    ),
  },
  { requiredKeys: ['header', 'rows', 'sep', 'eols', 'boms', 'encoding', 'quoteAll'] },
);

// ---- Serialisation ---------------------------------------------------------------------------------------------

const CP1252_HIGH =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

function cp1252(text: string): Buffer | undefined {
  const out = Buffer.alloc(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const high = CP1252_HIGH.indexOf(text[i]!);
    if (c < 0x80 || (c >= 0xa0 && c <= 0xff)) out[i] = c;
    else if (high >= 0) out[i] = 0x80 + high;
    else return undefined;
  }
  return out;
}

function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

interface Built {
  bytes: Buffer;
  /** The text before encoding (BOMs excluded). */
  text: string;
  /** Start line of every line-producing record: header first. */
  lines: number[];
  clean: boolean;
}

function build(m: Model): Built {
  const quote = (v: string) => `"${v.replace(/"/g, '""')}"`;
  const needs = (v: string) => v.includes(m.sep) || /["\r\n]/.test(v) || /^\s|\s$/.test(v);
  const line = (cells: string[]) => cells.map((c) => (m.quoteAll || needs(c) ? quote(c) : c)).join(m.sep);
  const records = [line(m.header), ...m.rows.map((r) => (r === null ? '' : line(r)))];
  if (m.splice) records.splice(1 + (m.splice.at % Math.max(1, records.length - 1)), 1, m.splice.text);
  let text = '';
  let lineNo = 1;
  const lines: number[] = [];
  records.forEach((rec, i) => {
    lines.push(lineNo);
    // A blank line after a lone CR must not end in LF: CR + LF would read as one line end.
    const eol = rec === '' ? '\r\n' : m.eols[i % m.eols.length]!;
    text += rec + eol;
    lineNo += 1 + (rec.match(/\r\n|\r|\n/g)?.length ?? 0);
  });
  let encoding = m.encoding;
  let body: Buffer;
  if (encoding === 'windows-1252') {
    const encoded = cp1252(text);
    // Not encodable, or bytes that happen to be valid UTF-8 (read as UTF-8 first, like Excel files): sent as UTF-8.
    if (encoded && !isUtf8(encoded)) body = encoded;
    else {
      encoding = 'utf-8';
      body = Buffer.from(text, 'utf8');
    }
  } else if (encoding === 'utf-16le') body = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  else body = Buffer.from(text, 'utf8');
  if (encoding !== 'utf-16le') body = Buffer.concat([...Array.from({ length: m.boms }, () => Buffer.from([0xef, 0xbb, 0xbf])), body]);
  if (m.damage) {
    let b = Buffer.from(body);
    for (const d of m.damage) {
      if (!b.length) break;
      const at = d.at % b.length;
      if (d.op === 'flip') b[at] = b[at]! ^ (1 << (d.value % 8));
      else if (d.op === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from([d.value]), b.subarray(at)]);
      else b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
    }
    body = b;
  }
  // Two UTF-8 BOMs before windows-1252 text: the second is read as the text "ï»¿" (mixed encodings: no oracle).
  const mixed = encoding === 'windows-1252' && m.boms > 1;
  return { bytes: body, text, lines, clean: !m.splice && !m.damage && !mixed };
}

/** What a clean file must give: its rows (cells as the reference parser reads them, with start lines), or a 400. */
function expected(m: Model, b: Built): { status: 303; rows: { line: number; cells: string[] }[] } | { status: 400; why: string } {
  if (b.text.includes('\u0000')) return { status: 400, why: 'NUL' };
  // The reference: csv-parse, on the same text, every line end accepted.
  const records = parse(b.text, {
    delimiter: m.sep,
    record_delimiter: ['\r\n', '\n', '\r'],
    relax_column_count: true,
    skip_empty_lines: false,
    bom: true,
  }) as string[][];
  const cells = records.map((r) => r.map((c) => c.replace(/\r\n?/g, '\n').trim()));
  const starts = b.lines;
  if (records.length !== starts.length) throw new Error(`model and reference disagree on the record count (${records.length} vs ${starts.length})`);
  const filled = cells.map((r, i) => ({ line: starts[i]!, cells: r })).filter((r) => r.cells.some((c) => c !== ''));
  if (!filled.length) return { status: 400, why: 'empty' };
  const [head, ...data] = filled;
  let last = head!.cells.length - 1;
  while (last >= 0 && head!.cells[last] === '') last--;
  const names = head!.cells.slice(0, last + 1);
  if (names.some((h) => h === '') || new Set(names.map((h) => h.normalize('NFC').toLowerCase())).size !== names.length) return { status: 400, why: 'header' };
  if (!data.length) return { status: 400, why: 'no data' };
  for (const r of data) if (r.cells.slice(names.length).some((c) => c !== '')) return { status: 400, why: 'row wider than the header' };
  return {
    status: 303,
    rows: data.map((r) => ({
      line: r.line,
      cells: [...r.cells.slice(0, names.length), ...Array<string>(Math.max(0, names.length - r.cells.length)).fill('')],
    })),
  };
}

// ---- The test ----------------------------------------------------------------------------------------------------

/** Every message the catalogue can show for a refused upload (placeholders as wildcards), as it appears in HTML. */
const REFUSALS = (() => {
  const fr = messages('fr').errors as Record<string, string>;
  return ERROR_CODES.filter((c) => /^(IMPORT_|PAYLOAD_|UPLOAD_|VALIDATION_FAILED)/.test(c)).map((c) => {
    const parts = escapeHtml(fr[c]!)
      .split(/\{[a-zA-Z]+\}/)
      .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    return { code: c, re: new RegExp(parts.join('[^<{}]{1,200}')) };
  });
})();

describe('F2 mutated CSV uploads to bulk issuance', () => {
  let t: TestApp, w: World, staff: Client, url: string;
  const count = (table: string) => (sqliteOf(t).prepare(`select count(*) as n from "${table}"`).get() as { n: number }).n;

  beforeAll(async () => {
    t = await createTestApp();
    w = await seedWorld(t);
    staff = await w.signIn('staffA');
    await staff.csrf();
    url = `/console/${w.orgA.slug}/bulk`;
  });
  afterAll(async () => {
    await t?.close();
  });

  const upload = (bytes: Buffer) =>
    staff.send({
      method: 'POST',
      url,
      multipart: { fields: { templateId: w.res.A.template.id }, file: { field: 'file', filename: 'cohorte.csv', content: bytes, type: 'text/csv' } },
    });

  /** The refusal page: HTML, with one of the catalogue's import messages (placeholders filled in). */
  function refusal(res: { statusCode: number; headers: Record<string, unknown>; body: string }): string | undefined {
    if (!/^text\/html/.test(String(res.headers['content-type']))) return `content-type ${String(res.headers['content-type'])}`;
    if (!res.body.includes('role="alert"')) return 'no alert on the page';
    const found = REFUSALS.find((r) => r.re.test(res.body));
    if (!found) return 'no localised import message on the page';
    return undefined;
  }

  it(`${RUNS} mutated files: a draft job with a row report, or a clear 4xx; never a 5xx; nothing issued`, async () => {
    const before = { credentials: count('credentials'), awards: count('awards'), mails: count('mail_outbox') };
    const statuses = new Map<string, number>();
    let checkedPages = 0;
    let compared = 0;
    let failure: string | undefined;
    const started = Date.now();

    const property = fc.asyncProperty(model, async (m) => {
      const b = build(m);
      const jobs = count('issuance_jobs');
      const res = await upload(b.bytes);
      const tag = `${res.statusCode}${b.clean ? '' : ' (dirty)'}`;
      statuses.set(tag, (statuses.get(tag) ?? 0) + 1);
      const fail = (why: string) => {
        failure = `${why}\n  model: ${JSON.stringify({ ...m, rows: m.rows.map((r) => r?.map((c) => (c.length > 80 ? `${c.slice(0, 40)}…(${c.length})` : c))) })}\n  answer: ${res.statusCode} ${res.body.includes('role="alert"') ? res.body.slice(res.body.indexOf('role="alert"'), res.body.indexOf('role="alert"') + 400) : res.body.slice(0, 300)}`;
        return false;
      };
      if (res.statusCode >= 500) return fail('5xx');
      const want = b.clean ? expected(m, b) : undefined;
      if (res.statusCode === 303) {
        const jobId = /\/bulk\/([0-9a-f-]{36})$/.exec(String(res.headers.location))?.[1];
        if (!jobId) return fail(`303 to ${String(res.headers.location)}`);
        const job = sqliteOf(t).prepare('select org_id, template_id, status, total_rows from issuance_jobs where id = ?').get(jobId) as
          { org_id: string; template_id: string; status: string; total_rows: number } | undefined;
        if (!job || job.org_id !== w.orgA.id || job.template_id !== w.res.A.template.id || job.status !== 'draft') return fail(`job ${JSON.stringify(job)}`);
        const stored = sqliteOf(t).prepare('select row_no, cells, status, errors from issuance_rows where job_id = ? order by row_no').all(jobId) as {
          row_no: number;
          cells: string;
          status: string;
          errors: string | null;
        }[];
        if (stored.length !== job.total_rows || stored.length < 1) return fail(`${stored.length} rows stored, total ${job.total_rows}`);
        for (const [i, r] of stored.entries()) {
          if (r.row_no < 2 || (i > 0 && r.row_no <= stored[i - 1]!.row_no)) return fail(`row numbers ${stored.map((x) => x.row_no).join(',')}`);
          const errors = JSON.parse(r.errors ?? '[]') as { code: string }[];
          if (!['valid', 'invalid'].includes(r.status) || (r.status === 'invalid') !== errors.length > 0)
            return fail(`row ${r.row_no}: ${r.status} with ${errors.length} error(s)`);
          const unknown = errors.find((e) => !(ERROR_CODES as readonly string[]).includes(e.code));
          if (unknown) return fail(`row ${r.row_no}: unknown reason ${unknown.code}`);
        }
        if (want) {
          if (want.status !== 303) return fail(`expected a 400 (${want.why})`);
          const got = stored.map((r) => ({ line: r.row_no, cells: JSON.parse(r.cells) as string[] }));
          if (JSON.stringify(got) !== JSON.stringify(want.rows)) {
            return fail(`rows differ from csv-parse's\n  got:  ${JSON.stringify(got).slice(0, 600)}\n  want: ${JSON.stringify(want.rows).slice(0, 600)}`);
          }
          compared++;
        }
        // The row report, now and then: every invalid row (the page lists up to 100) is named by its line.
        if (checkedPages < 40 && stored.some((r) => r.status === 'invalid')) {
          checkedPages++;
          const page = await staff.send({ method: 'GET', url: `${url}/${jobId}` });
          if (page.statusCode !== 200) return fail(`job page ${page.statusCode}`);
          for (const r of stored.filter((x) => x.status === 'invalid').slice(0, 100)) {
            if (!page.body.includes(`id="row-${r.row_no}-errors"`) && !page.body.includes(`Ligne ${r.row_no}`))
              return fail(`the report does not name line ${r.row_no}`);
          }
        }
        return true;
      }
      if (res.statusCode !== 400 && res.statusCode !== 413) return fail(`status ${res.statusCode}`);
      if (want && want.status === 303) return fail('a readable file was refused');
      const problem = refusal(res);
      if (problem) return fail(problem);
      if (count('issuance_jobs') !== jobs) return fail('a refused file created a job');
      return true;
    });

    const total = await checkOverSeeds(property, { seeds: SEEDS, runs: RUNS, label: 'F2', failure: () => failure, env: { F2_RUNS: RUNS } });
    console.info(
      `[F2] ${total} files in ${Date.now() - started} ms; ${compared} compared row by row with csv-parse; ${checkedPages} row reports read; ` +
        `statuses ${[...statuses]
          .sort()
          .map(([s, n]) => `${s}×${n}`)
          .join(' ')}`,
    );
    if (!replayPath) expect(total).toBeGreaterThanOrEqual(RUNS);
    // Nothing issued, nothing sent: drafts only.
    expect({ credentials: count('credentials'), awards: count('awards'), mails: count('mail_outbox') }).toEqual(before);
    expect(compared, 'clean files compared with csv-parse').toBeGreaterThan(RUNS / 5);
    expect(checkedPages).toBeGreaterThan(0);
  }, 240_000);

  it('100,001 data rows → 413 with the row limit, no job', async () => {
    const jobs = count('issuance_jobs');
    const res = await upload(csvOf(100_001));
    expect(res.statusCode).toBe(413);
    expect(res.body).toContain(escapeHtml(messages('fr').errors.IMPORT_TOO_MANY_ROWS.replace('{max}', '100000')));
    expect(count('issuance_jobs')).toBe(jobs);
  });

  it('a file over 20 MB → 413 with a localised message, no job', async () => {
    const jobs = count('issuance_jobs');
    const head = Buffer.from('Nom;Courriel;Note\n', 'utf8');
    const res = await upload(Buffer.concat([head, Buffer.alloc(20 * 1024 * 1024 + 1 - head.length, 'a')]));
    expect(res.statusCode).toBe(413);
    expect(refusal(res)).toBeUndefined();
    expect(res.body).toContain(escapeHtml(messages('fr').errors.UPLOAD_TOO_LARGE.replace('{max}', '20')));
    expect(count('issuance_jobs')).toBe(jobs);
  });
});
