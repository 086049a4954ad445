/**
 * fast-check arbitraries of request bodies that are invalid by construction (F1), derived from a route's zod
 * body schema: a known field replaced by a value of the wrong type, required fields (or the CSRF token) missing,
 * 1 MB strings, nesting up to 10,000 levels, `__proto__` / `constructor` keys, numbers out of range, invalid
 * JSON, invalid UTF-8 bytes and wrong content types. Form-encoded variants for the web routes.
 *
 * The CSRF token is a placeholder (`CSRF`, left intact by URL and JSON encoding) in the generated case and is
 * filled in at send time, so a printed counterexample never shows a real token.
 */
import fc from 'fast-check';
import type { z } from 'zod';

export const CSRF = 'XcsrfPlaceholderX';
export const MB = 1_000_000;
/** Longer than the 1 MiB body limit on its own. */
export const OVER_LIMIT = 1_100_000;
const ONE_MB = 'a'.repeat(MB);
const OVER = 'a'.repeat(OVER_LIMIT);

type Zod = z.ZodType & { _zod: { def: Record<string, unknown>; optin?: string } };

export interface FieldInfo {
  name: string;
  required: boolean;
  /** The field's schema (optional wrapper included): the oracle for "wrong type". */
  schema: Zod;
  /** The innermost type: string, enum, union, array… */
  type: string;
  /** A valid value; undefined for an uploaded file (left out of the base body). */
  base: unknown;
  /** An uploaded file (a Buffer in a multipart body): JSON and form bodies can never carry a valid one. */
  binary: boolean;
}

export interface BodyInfo {
  schema: Zod;
  fields: FieldInfo[];
  strict: boolean;
}

function baseValue(name: string, s: Zod): unknown {
  const def = s._zod.def as { type: string; innerType?: Zod; options?: Zod[]; entries?: Record<string, string> };
  if (def.type === 'optional' || def.type === 'nullable' || def.type === 'default') return baseValue(name, def.innerType!);
  if (def.type === 'string') return name === '_csrf' ? CSRF : 'x';
  if (def.type === 'enum') return Object.values(def.entries!)[0];
  // An uploaded file (z.instanceof(Buffer)): no JSON value is one.
  if (def.type === 'custom') return undefined;
  if (def.type === 'union') return def.options!.map((o) => baseValue(name, o)).find((v) => v !== undefined);
  if (def.type === 'number') return 1;
  if (def.type === 'boolean') return true;
  if (def.type === 'array') return [];
  if (def.type === 'record' || def.type === 'object' || def.type === 'unknown' || def.type === 'any') return {};
  throw new Error(`F1 does not know how to build a value for ${name} (${def.type})`);
}

function innerType(s: Zod): string {
  const def = s._zod.def as { type: string; innerType?: Zod };
  return def.type === 'optional' || def.type === 'nullable' || def.type === 'default' ? innerType(def.innerType!) : def.type;
}

/** An uploaded file: a zod `custom` schema (z.instanceof(Buffer)), also inside optional/nullable/default or a union. */
export const isBinary = (f: unknown): boolean => {
  const def = (f as Zod)._zod.def as { type: string; innerType?: Zod; options?: Zod[] };
  if (def.type === 'optional' || def.type === 'nullable' || def.type === 'default') return isBinary(def.innerType!);
  if (def.type === 'union') return def.options!.some(isBinary);
  return def.type === 'custom';
};

/** A field no value can satisfy: the oracle of an empty strict body (`{}` only), whose every key is unexpected. */
const NEVER = { safeParse: () => ({ success: false }), _zod: { def: { type: 'never' } } } as unknown as Zod;

/**
 * The shape of a route's body schema: an object (optionally wrapped in optional/nullable: "no body or {}"), or a
 * record of strings (free keys: `_csrf` is its one known field). Any other schema throws, a top-level Buffer (raw
 * upload) included: check those with `isBinary` first.
 */
export function describeBody(schema: unknown): BodyInfo {
  const outer = schema as Zod;
  if (!outer || typeof outer !== 'object' || !('_zod' in outer)) throw new Error('F1 expects a zod body schema');
  let s = outer as Zod & { shape?: Record<string, Zod> };
  for (
    let d = s._zod.def as { type: string; innerType?: Zod };
    ['optional', 'nullable', 'default'].includes(d.type);
    d = s._zod.def as { type: string; innerType?: Zod }
  ) {
    s = d.innerType! as Zod & { shape?: Record<string, Zod> };
  }
  const type = (s._zod.def as { type: string }).type;
  if (type === 'record') {
    const value = (s._zod.def as unknown as { valueType: Zod }).valueType;
    return { schema: outer, fields: [{ name: '_csrf', required: false, schema: value, type: innerType(value), base: CSRF, binary: false }], strict: false };
  }
  if (!s.shape) throw new Error(`F1 expects a zod object or record body schema (got ${type})`);
  const fields: FieldInfo[] = Object.entries(s.shape).map(([name, f]) => ({
    name,
    required: f._zod.optin !== 'optional',
    schema: f,
    type: innerType(f),
    base: baseValue(name, f),
    binary: isBinary(f),
  }));
  const catchall = (s._zod.def['catchall'] as Zod | undefined)?._zod.def['type'];
  const strict = catchall === 'never';
  // `{}` only: a phantom field stands for "any key at all" (every case then carries an unexpected key).
  if (!fields.length && strict) fields.push({ name: 'unexpected', required: false, schema: NEVER, type: 'never', base: undefined, binary: false });
  return { schema: outer, fields, strict };
}

/** A request body as parts: text (with the CSRF placeholder) and raw bytes. */
export type Part = string | { bytes: number[] | Uint8Array };
export interface FuzzCase {
  kind: string;
  contentType: string | undefined;
  accept: string | undefined;
  parts: Part[];
}

export function payloadOf(c: FuzzCase, csrfToken: string): Buffer {
  return Buffer.concat(c.parts.map((p) => (typeof p === 'string' ? Buffer.from(p.split(CSRF).join(csrfToken), 'utf8') : Buffer.from(p.bytes))));
}

/** A short, secret-free description for failure reports. */
export function describeCase(c: FuzzCase): string {
  const hex = (bytes: number[] | Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
  const body = c.parts
    .map((p) =>
      typeof p === 'string'
        ? p.length > 240
          ? `${p.slice(0, 200)}…(${p.length} chars)…${p.slice(-20)}`
          : p
        : p.bytes.length > 120
          ? `<${p.bytes.length} bytes ${hex(p.bytes.slice(0, 100))} … ${hex(p.bytes.slice(-16))}>`
          : `<bytes ${hex(p.bytes)}>`,
    )
    .join('');
  return `${c.kind} [content-type: ${String(c.contentType)}; accept: ${String(c.accept)}] ${JSON.stringify(body)}`;
}

const JSON_CT = 'application/json';
const FORM_CT = 'application/x-www-form-urlencoded';

/** A value's JSON round trip (what the server would see), or undefined when JSON drops it. */
function roundTrip(v: unknown): unknown {
  try {
    return (JSON.parse(JSON.stringify({ v })) as { v?: unknown }).v;
  } catch {
    return undefined;
  }
}

/** Decodes a form like the server (repeated keys become arrays; `constructor`, `__proto__` are plain keys there too). */
function decodeForm(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of new URLSearchParams(text)) {
    const prev = Object.hasOwn(out, k) ? out[k] : undefined;
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

function formText(obj: Record<string, unknown>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(obj)) for (const x of ([] as unknown[]).concat(v)) p.append(k, String(x));
  return p.toString();
}

/** Raw JSON text of `obj` with one field's value replaced by `raw` (a JSON token or fragment). */
function withRawField(obj: Record<string, unknown>, field: string, raw: string): string {
  const marker = '"@@RAW@@"';
  return JSON.stringify({ ...obj, [field]: '@@RAW@@' }).replace(marker, raw);
}

const INVALID_UTF8: number[][] = [
  [0xff],
  [0xfe, 0xff],
  [0xc0, 0xaf],
  [0xc3, 0x28],
  [0xe2, 0x82],
  [0xed, 0xa0, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0x80],
  [0xf4, 0x90, 0x80, 0x80],
];
const OUT_OF_RANGE = [
  '1e400',
  '-1e400',
  '9007199254740993',
  '-9007199254740993',
  '1e-400',
  '-0',
  '123456789012345678901234567890',
  '0.1e999999',
  '1E+308',
  '-1.7976931348623157e309',
];
const BAD_JSON = [
  '{',
  '}',
  'nul',
  'NaN',
  'undefined',
  "{'a':1}",
  '{"a":1,}',
  '[1,2',
  '"unterminated',
  '{"a":01}',
  '{"a":"\\x41"}',
  '{"a" 1}',
  '\u0000',
  '{"a":1}}',
  '{"__proto__"',
  '/* c */{}',
];
const WRONG_CONTENT_TYPES = [
  'text/plain',
  'text/html',
  'application/xml',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  'image/png',
  'application/jsonx',
  'application/vnd.api+json',
  'text/csv',
  '',
];

export interface CaseOptions {
  /** Web form routes (HTML, CSRF, form encoding); otherwise the JSON API. */
  isWeb: boolean;
}

/** Every arbitrary yields a case whose body the route must refuse (4xx). */
export function invalidBodyCase(info: BodyInfo, options: CaseOptions): fc.Arbitrary<FuzzCase> {
  const { isWeb } = options;
  const fields = info.fields;
  const base: Record<string, unknown> = Object.fromEntries(fields.filter((f) => f.base !== undefined).map((f) => [f.name, f.base]));
  const known = new Set(fields.map((f) => f.name));
  const accept = isWeb ? fc.constantFrom('text/html', 'application/json', undefined) : fc.constantFrom('application/json', undefined, 'text/html');
  const field = fc.constantFrom(...fields);
  const stringFields = fields.filter((f) => f.type === 'string' || f.type === 'union');
  const stringField = fc.constantFrom(...(stringFields.length ? stringFields : fields));
  // What a route refuses: a schema failure, or (web) a missing or wrong CSRF token.
  const isRefused = (body: unknown): boolean => {
    if (!info.schema.safeParse(body).success) return true;
    return isWeb && (body as Record<string, unknown>)['_csrf'] !== CSRF;
  };
  const extras = fc.dictionary(
    fc.string({ maxLength: 10 }).filter((k) => !known.has(k) && k !== '__proto__' && k !== 'constructor'),
    fc.jsonValue({ maxDepth: 1 }),
    { maxKeys: 3 },
  );
  const encoding = isWeb ? fc.constantFrom('json', 'form') : fc.constant('json');
  const json = (kind: string, a: string | undefined, text: string): FuzzCase => ({ kind, contentType: JSON_CT, accept: a, parts: [text] });

  const wrongType = fc
    .record({ f: field, value: fc.anything({ maxDepth: 2, maxKeys: 4, withNullPrototype: false }), extra: extras, a: accept })
    .filter(({ f, value }) => {
      const v = roundTrip(value);
      return v !== undefined && !f.schema.safeParse(v).success;
    })
    .map(({ f, value, extra, a }) => json(`wrong type for ${f.name}`, a, JSON.stringify({ ...extra, ...base, [f.name]: value })));

  const needed = fields.filter((f) => f.required || (isWeb && f.name === '_csrf')).map((f) => f.name);
  const missing = fc
    .record({
      drop: fc.subarray(needed.length ? needed : ['(none)'], { minLength: 1 }),
      extra: extras,
      enc: encoding,
      a: accept,
    })
    .map(({ drop, extra, enc, a }): FuzzCase => {
      const body: Record<string, unknown> = { ...extra, ...base };
      for (const d of drop) delete body[d];
      return enc === 'json'
        ? json(`missing ${drop.join(',')}`, a, JSON.stringify(body))
        : { kind: `missing ${drop.join(',')} (form)`, contentType: FORM_CT, accept: a, parts: [formText(body)] };
    });

  const huge = fc.record({ f: stringField, over: fc.boolean(), enc: encoding, a: accept }).map(({ f, over, enc, a }): FuzzCase => {
    const value = over ? OVER : ONE_MB;
    const body = { ...base, [f.name]: value };
    return enc === 'json'
      ? json(`${value.length}-char ${f.name}`, a, JSON.stringify(body))
      : { kind: `${value.length}-char ${f.name} (form)`, contentType: FORM_CT, accept: a, parts: [formText(body)] };
  });

  const deep = fc
    .record({ f: field, depth: fc.oneof(fc.constant(10_000), fc.integer({ min: 33, max: 10_000 })), shape: fc.constantFrom('array', 'object'), a: accept })
    .map(({ f, depth, shape, a }) => {
      const nested = shape === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1);
      return json(`${depth}-level ${shape} in ${f.name}`, a, withRawField(base, f.name, nested));
    });

  const proto = fc
    .record({
      variant: fc.constantFrom(
        'top __proto__',
        'top constructor.prototype',
        'field __proto__',
        'field constructor',
        'escaped __proto__',
        'deep __proto__',
        'only __proto__',
      ),
      f: field,
      a: accept,
    })
    .map(({ variant, f, a }) => {
      const payload = '{"polluted":"yes","toString":"x"}';
      const rest = JSON.stringify(base).slice(1);
      const text = {
        'top __proto__': `{"__proto__":${payload},${rest}`,
        'top constructor.prototype': `{"constructor":{"prototype":${payload}},${rest}`,
        'field __proto__': withRawField(base, f.name, `{"__proto__":${payload}}`),
        'field constructor': withRawField(base, f.name, `{"constructor":{"prototype":${payload}}}`),
        'escaped __proto__': `{"\\u005f\\u005fproto__":${payload},${rest}`,
        'deep __proto__': withRawField(base, f.name, `[[{"a":{"__proto__":${payload}}}]]`),
        'only __proto__': `{"__proto__":${payload}}`,
      }[variant];
      return json(variant, a, text);
    });

  const numbers = fc
    .record({ f: field, token: fc.constantFrom(...OUT_OF_RANGE), a: accept })
    .map(({ f, token, a }) => json(`number ${token} in ${f.name}`, a, withRawField(base, f.name, token)));

  const badJson = fc
    .oneof(
      fc.record({ text: fc.constantFrom(...BAD_JSON), a: accept }).map(({ text, a }) => json('invalid JSON', a, text)),
      fc.record({ cut: fc.integer({ min: 1, max: 10_000 }), a: accept }).map(({ cut, a }) => {
        const text = JSON.stringify(base);
        return json('truncated JSON', a, text.slice(0, Math.max(1, cut % text.length)));
      }),
      fc.record({ at: fc.nat(), ch: fc.constantFrom('{', '}', ',', ':', '"', "'", '\\', '\u0000', '\n]', 'x'), a: accept }).map(({ at, ch, a }) => {
        const text = JSON.stringify(base);
        const i = at % (text.length + 1);
        return json(`garbled JSON (${JSON.stringify(ch)} at ${i})`, a, text.slice(0, i) + ch + text.slice(i));
      }),
    )
    .filter((c) => {
      try {
        JSON.parse(c.parts[0] as string);
        return false;
      } catch {
        return true;
      }
    });

  const badUtf8 = fc
    .record({ f: stringField, bytes: fc.constantFrom(...INVALID_UTF8), where: fc.constantFrom('value', 'key'), a: accept })
    .map(({ f, bytes, where, a }): FuzzCase => {
      const text = withRawField(base, f.name, '"@@CUT@@"');
      const [before, after] = text.split('@@CUT@@') as [string, string];
      if (where === 'key') {
        return {
          kind: `invalid UTF-8 (${bytes.map((b) => b.toString(16)).join(' ')}) in a key`,
          contentType: JSON_CT,
          accept: a,
          parts: [`{"`, { bytes }, `":1,`, JSON.stringify(base).slice(1)],
        };
      }
      return {
        kind: `invalid UTF-8 (${bytes.map((b) => b.toString(16)).join(' ')}) in ${f.name}`,
        contentType: JSON_CT,
        accept: a,
        parts: [before, 'ok', { bytes }, after],
      };
    });

  const wrongContentType = fc.record({ ct: fc.constantFrom(...WRONG_CONTENT_TYPES), enc: encoding, a: accept }).map(({ ct, enc, a }): FuzzCase => ({
    kind: `content-type ${JSON.stringify(ct)} with a ${enc} body`,
    contentType: ct,
    accept: a,
    parts: [enc === 'json' ? JSON.stringify(base) : formText(base)],
  }));

  // Mismatched encodings: JSON text sent as a form, a form sent as JSON.
  const crossed = fc
    .record({ asForm: fc.boolean(), a: accept })
    .map(({ asForm, a }): FuzzCase =>
      asForm ? { kind: 'JSON text as a form', contentType: FORM_CT, accept: a, parts: [JSON.stringify(base)] } : json('form text as JSON', a, formText(base)),
    )
    // An empty JSON body is no body at all (Fastify does not parse it): invalid only where a body is required.
    .filter((c) => (c.contentType === JSON_CT ? c.parts[0] !== '' || !info.schema.safeParse(undefined).success : isRefused(decodeForm(c.parts[0] as string))));

  const arbs: { arbitrary: fc.Arbitrary<FuzzCase>; weight: number }[] = [
    { arbitrary: wrongType, weight: 30 },
    ...(needed.length ? [{ arbitrary: missing, weight: 10 }] : []),
    { arbitrary: huge, weight: 2 },
    { arbitrary: deep, weight: 4 },
    { arbitrary: proto, weight: 6 },
    { arbitrary: numbers, weight: 6 },
    { arbitrary: badJson, weight: 8 },
    { arbitrary: badUtf8, weight: 6 },
    { arbitrary: wrongContentType, weight: 6 },
    { arbitrary: crossed, weight: 2 },
  ];

  if (isWeb) {
    // Form-only shapes: a repeated key (an array where a string is expected), bracket keys, prototype keys,
    // invalid bytes and percent-escapes; each also lacks something the route needs (oracle-checked).
    const formCase = fc
      .record({
        f: field,
        shape: fc.constantFrom('repeated', 'bracket', 'proto', 'bytes', 'percent'),
        drop: fc.subarray(fields.map((f) => f.name)),
        a: accept,
      })
      .map(({ f, shape, drop, a }): FuzzCase & { decoded: Record<string, unknown>; lenient?: string } => {
        const body: Record<string, unknown> = { ...base };
        for (const d of drop) delete body[d];
        let text = formText(body);
        const parts: Part[] = [];
        if (shape === 'repeated') text += `&${encodeURIComponent(f.name)}=a&${encodeURIComponent(f.name)}=b`;
        if (shape === 'bracket') text += `&${encodeURIComponent(f.name)}[x]=1&${encodeURIComponent(f.name)}[]=2`;
        if (shape === 'proto') text += '&__proto__=x&__proto__[polluted]=yes&constructor[prototype][polluted]=yes&constructor=y';
        if (shape === 'percent') text += `&${encodeURIComponent(f.name)}=%FF%FE%C0%AF%E2%82`;
        parts.push(text);
        if (shape === 'bytes') parts.push(`&${encodeURIComponent(f.name)}=`, { bytes: [0xff, 0xfe, 0xc0, 0xaf] });
        const lenient = shape === 'bytes' || shape === 'percent' ? f.name : undefined;
        return {
          kind: `form ${shape} ${f.name}, without ${drop.join(',') || 'nothing'}`,
          contentType: FORM_CT,
          accept: a,
          parts,
          decoded: decodeForm(text),
          lenient,
        };
      })
      .filter((c) => {
        // Invalid UTF-8 in a form is decoded leniently (U+FFFD), so the case must be refused for another reason.
        const decoded = { ...c.decoded };
        if (c.lenient) decoded[c.lenient] = 'x';
        return isRefused(decoded);
      })
      .map(({ decoded: _d, lenient: _l, ...c }) => c);
    arbs.push({ arbitrary: formCase, weight: 20 });
  }
  return fc.oneof(...arbs);
}

// ---- Uploads: multipart bodies (web) and raw image bodies (API) ------------------------------------------------

export interface MultipartOptions {
  /** The file's field name (`file`, `image`). */
  fileField: string;
  /** Text fields of a valid upload besides `_csrf` (e.g. `templateId`). */
  fields: Record<string, string>;
  /** A file the route accepts (a valid CSV, a PNG). */
  file: Buffer;
  /** Well-formed uploads WITH the right CSRF token that the route refuses all the same (4xx, nothing written). */
  refused: { label: string; fields?: Record<string, string>; file?: Buffer | null }[];
}

interface MPart {
  name: string;
  value: string | Buffer;
  filename?: string;
  type?: string;
  extraHeaders?: string[];
}

const WRONG_TOKEN = 'A'.repeat(43);
const bytesOf = (b: Buffer): Part => ({ bytes: b });

/** Renders parts as a multipart body (CSRF placeholder kept as text so payloadOf fills it in). */
function renderMultipart(parts: MPart[], boundary: string, options: { eol?: string; closing?: boolean } = {}): Part[] {
  const eol = options.eol ?? '\r\n';
  const out: Part[] = [];
  for (const p of parts) {
    const head = [`--${boundary}`, `content-disposition: form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ''}`];
    if (p.type) head.push(`content-type: ${p.type}`);
    head.push(...(p.extraHeaders ?? []));
    out.push(`${head.join(eol)}${eol}${eol}`);
    out.push(typeof p.value === 'string' ? p.value : bytesOf(p.value));
    out.push(eol);
  }
  if (options.closing !== false) out.push(`--${boundary}--${eol}`);
  return out;
}

function flatten(parts: Part[]): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p.bytes))));
}

/**
 * Multipart bodies a route must refuse: a well-formed upload with a missing, empty, wrong or doubled CSRF token; a
 * well-formed upload with the right token but content the route refuses (`refused`); and structural damage (cut
 * anywhere, wrong, missing or overlong boundary, no closing boundary, bare LF, junk bytes, a second file, too many parts, an
 * oversized text field, header injection in names, a missing name) on an upload with a wrong token.
 */
export function invalidMultipartCase(o: MultipartOptions): fc.Arbitrary<FuzzCase> {
  const accept = fc.constantFrom('text/html', 'application/json', undefined);
  const boundary = fc.stringMatching(/^[A-Za-z0-9'()+_,./:=?-]{1,60}$/);
  const ct = (b: string) => `multipart/form-data; boundary=${b}`;
  const text = (fields: Record<string, string>): MPart[] => Object.entries(fields).map(([name, value]) => ({ name, value }));
  const filePart = (file: Buffer): MPart => ({ name: o.fileField, value: file, filename: 'upload.bin', type: 'application/octet-stream' });

  const badToken = fc
    .record({
      token: fc.constantFrom<[string, string[] | null]>(
        ['missing', null],
        ['empty', ['']],
        ['wrong', [WRONG_TOKEN]],
        ['doubled', [CSRF, CSRF]],
        ['truncated', [CSRF.slice(0, -1)]],
      ),
      b: boundary,
      a: accept,
    })
    .map(({ token: [label, values], b, a }): FuzzCase => {
      const csrf: MPart[] = (values ?? []).map((v) => ({ name: '_csrf', value: v }));
      return {
        kind: `multipart, ${label} CSRF token`,
        contentType: ct(b),
        accept: a,
        parts: renderMultipart([...csrf, ...text(o.fields), filePart(o.file)], b),
      };
    });

  const refusedContent = fc.record({ r: fc.constantFrom(...o.refused), b: boundary, a: accept }).map(({ r, b, a }): FuzzCase => {
    const file = r.file === undefined ? o.file : r.file;
    const parts = [{ name: '_csrf', value: CSRF }, ...text({ ...o.fields, ...r.fields }), ...(file === null ? [] : [filePart(file)])];
    return { kind: `multipart with a valid token, ${r.label}`, contentType: ct(b), accept: a, parts: renderMultipart(parts, b) };
  });

  const damage = fc
    .record({
      kind: fc.constantFrom(
        'cut',
        'boundary mismatch',
        'no boundary',
        'no closing boundary',
        'bare LF',
        'junk bytes',
        'two files',
        'too many parts',
        'oversized field',
        'CRLF in a name',
        'CRLF in a filename',
        'no name',
        'JSON body',
        'nested multipart',
        'many part headers',
        'invalid UTF-8 name',
        'overlong boundary',
      ),
      b: boundary,
      at: fc.nat(),
      junk: fc.uint8Array({ minLength: 1, maxLength: 64 }),
      a: accept,
    })
    .map(({ kind, b, at, junk, a }): FuzzCase => {
      const base: MPart[] = [{ name: '_csrf', value: WRONG_TOKEN }, ...text(o.fields), filePart(o.file)];
      let contentType = ct(b);
      let parts: Part[];
      switch (kind) {
        case 'cut': {
          const all = flatten(renderMultipart(base, b));
          parts = [bytesOf(all.subarray(0, at % all.length))];
          break;
        }
        case 'boundary mismatch':
          parts = renderMultipart(base, `${b}x`);
          break;
        case 'no boundary':
          contentType = 'multipart/form-data';
          parts = renderMultipart(base, b);
          break;
        case 'overlong boundary':
          contentType = ct(b.padEnd(300, 'b'));
          parts = renderMultipart(base, b.padEnd(300, 'b'));
          break;
        case 'no closing boundary':
          parts = renderMultipart(base, b, { closing: false });
          break;
        case 'bare LF':
          parts = renderMultipart(base, b, { eol: '\n' });
          break;
        case 'junk bytes': {
          const all = flatten(renderMultipart(base, b));
          const i = at % (all.length + 1);
          parts = [bytesOf(Buffer.concat([all.subarray(0, i), Buffer.from(junk), all.subarray(i)]))];
          break;
        }
        case 'two files':
          parts = renderMultipart([...base, filePart(o.file)], b);
          break;
        case 'too many parts':
          parts = renderMultipart([...base, ...Array.from({ length: 250 }, (_, i) => ({ name: `f${i}`, value: 'x' }))], b);
          break;
        case 'oversized field':
          parts = renderMultipart([...base, { name: 'note', value: 'x'.repeat(100_001) }], b);
          break;
        case 'CRLF in a name':
          parts = renderMultipart([...base, { name: 'x"\r\nX-Injected: 1\r\n\r\nbody', value: 'y' }], b);
          break;
        case 'CRLF in a filename':
          parts = renderMultipart([{ ...filePart(o.file), filename: 'a.csv"\r\ncontent-type: text/html\r\n\r\n<script>' }, ...base.slice(0, -1)], b);
          break;
        case 'no name':
          parts = [`--${b}\r\ncontent-disposition: form-data\r\n\r\nvalue\r\n`, ...renderMultipart(base, b)];
          break;
        case 'JSON body':
          parts = [JSON.stringify({ _csrf: WRONG_TOKEN, ...o.fields })];
          break;
        case 'nested multipart':
          parts = renderMultipart([...base, { name: 'inner', value: flatten(renderMultipart(base, `${b}i`)), type: `multipart/mixed; boundary=${b}i` }], b);
          break;
        case 'many part headers':
          parts = renderMultipart([{ ...filePart(o.file), extraHeaders: Array.from({ length: 300 }, (_, i) => `x-h${i}: v`) }, ...base.slice(0, -1)], b);
          break;
        default:
          parts = [`--${b}\r\ncontent-disposition: form-data; name="`, { bytes: [0xff, 0xfe, 0xc0, 0xaf] }, `"\r\n\r\nx\r\n`, ...renderMultipart(base, b)];
      }
      return { kind: `multipart ${kind}`, contentType, accept: a, parts };
    });

  return fc.oneof({ arbitrary: badToken, weight: 3 }, { arbitrary: refusedContent, weight: 3 }, { arbitrary: damage, weight: 6 });
}

/**
 * Raw image bodies the image API must refuse: junk (no image signature), a PNG cut short, followed by other data or
 * with one bit flipped (every chunk has a CRC), an SVG cut before it closes, a valid PNG under a type the route does
 * not take, an empty body, and a body over 2 MiB.
 */
let big: Buffer | undefined;
const oversized = (png: Buffer, size: number) => (big?.length === size ? big : (big = Buffer.concat([png, Buffer.alloc(size - png.length)])));

export function invalidImageBody(png: Buffer, svg: string, maxBytes: number): fc.Arbitrary<FuzzCase> {
  const accept = fc.constantFrom('application/json', undefined, 'text/html');
  const imageType = fc.constantFrom('image/png', 'image/jpeg', 'image/svg+xml');
  const raw = (kind: string, contentType: string, bytes: Buffer, a: string | undefined): FuzzCase => ({
    kind,
    contentType,
    accept: a,
    parts: [bytesOf(bytes)],
  });
  return fc.oneof(
    {
      arbitrary: fc
        .record({ junk: fc.uint8Array({ maxLength: 4000 }), t: imageType, a: accept })
        .map(({ junk, t, a }) => raw('junk', t, Buffer.concat([Buffer.from('x'), Buffer.from(junk)]), a)),
      weight: 4,
    },
    {
      arbitrary: fc
        .record({ cut: fc.integer({ min: 1, max: png.length - 1 }), t: imageType, a: accept })
        .map(({ cut, t, a }) => raw(`PNG cut at ${cut}`, t, png.subarray(0, cut), a)),
      weight: 4,
    },
    {
      arbitrary: fc
        .record({ tail: fc.uint8Array({ minLength: 1, maxLength: 100 }), a: accept })
        .map(({ tail, a }) => raw('PNG followed by other data', 'image/png', Buffer.concat([png, Buffer.from(tail)]), a)),
      weight: 2,
    },
    {
      arbitrary: fc.record({ at: fc.integer({ min: 0, max: png.length - 1 }), bit: fc.integer({ min: 0, max: 7 }), a: accept }).map(({ at, bit, a }) => {
        const flipped = Buffer.from(png);
        flipped[at] = flipped[at]! ^ (1 << bit);
        return raw(`PNG with bit ${bit} of byte ${at} flipped`, 'image/png', flipped, a);
      }),
      weight: 4,
    },
    {
      arbitrary: fc
        .record({ cut: fc.integer({ min: 1, max: svg.lastIndexOf('</svg>') }), a: accept })
        .map(({ cut, a }) => raw(`SVG cut at ${cut}`, 'image/svg+xml', Buffer.from(svg.slice(0, cut)), a)),
      weight: 2,
    },
    {
      arbitrary: fc
        .record({
          t: fc.constantFrom('application/json', 'text/plain', 'image/gif', 'application/octet-stream', 'multipart/form-data; boundary=x', 'text/html'),
          a: accept,
        })
        .map(({ t, a }) => raw(`PNG as ${t}`, t, png, a)),
      weight: 2,
    },
    { arbitrary: fc.record({ t: imageType, a: accept }).map(({ t, a }) => raw('empty body', t, Buffer.alloc(0), a)), weight: 1 },
    { arbitrary: accept.map((a) => raw(`${maxBytes + 1} bytes`, 'image/png', oversized(png, maxBytes + 1), a)), weight: 1 },
  );
}
