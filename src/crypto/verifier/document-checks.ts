/**
 * Local checks that need neither keys nor network: the JSON-LD context pre-pass (every context URL must be
 * bundled — nothing is ever fetched), the VC data model structure (VCDM 2.0 and 1.1), the declared OB 3.0 JSON
 * schema, and date parsing.
 */
import fs from 'node:fs';
import Ajv2019Module from 'ajv/dist/2019.js';
import addFormatsModule from 'ajv-formats';
import { contexts } from '../document-loader.js';
import type { Problem } from './report.js';

export const VC_V2 = 'https://www.w3.org/ns/credentials/v2';
export const VC_V1 = 'https://www.w3.org/2018/credentials/v1';

/** Older Open Badges 3.0 contexts still in circulation: accepted, with a warning (the 1EdTech validator flags them). */
const OUTDATED_OB_CONTEXTS = new Set([
  'https://purl.imsglobal.org/spec/ob/v3p0/context.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json',
  'https://imsglobal.github.io/openbadges-specification/ob_v3p0.html',
  'https://w3c-ccg.github.io/vc-ed/plugfest-1-2022/jff-vc-edu-plugfest-1-context.json',
]);

/** Limits on what the verifier will process (F4: a 1,000-deep context chain is refused, not expanded). */
export const MAX_CONTEXT_ENTRIES = 64;
export const MAX_CONTEXT_DEPTH = 8;
export const MAX_DOCUMENT_DEPTH = 64;
export const MAX_DOCUMENT_NODES = 200_000;

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: unknown };

export const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);
export const asArray = <T>(v: T | T[] | undefined | null): T[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

/** A URL in the VCDM sense: a scheme, a colon, no whitespace (`urn:uuid:…`, `did:…`, `https://…`). */
export function isUrl(v: unknown): v is string {
  return typeof v === 'string' && v.length <= 4096 && /^[A-Za-z][A-Za-z0-9+.-]*:[^\s"<>\\^`{|}]+$/.test(v);
}

export function typesOf(v: unknown): string[] {
  if (!isObject(v)) return [];
  return asArray(v['type'] as unknown).filter((t): t is string => typeof t === 'string');
}

/** Shape of a whole document: depth and node count, iteratively (a 10,000-level document must not blow the stack). */
export function documentShape(value: unknown): { depth: number; nodes: number } {
  let depth = 0;
  let nodes = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    nodes += 1;
    if (nodes > MAX_DOCUMENT_NODES || d > MAX_DOCUMENT_DEPTH) return { depth: Math.max(depth, d), nodes };
    if (v === null || typeof v !== 'object') continue;
    if (d > depth) depth = d;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return { depth, nodes };
}

export interface ContextScan {
  /** Context URLs that are not bundled (first one reported). */
  unknown: string[];
  tooComplex: boolean;
  /** Older OB contexts found. */
  outdated: string[];
}

/**
 * Walks every `@context` in the document (top level, embedded credentials, scoped contexts, `@import`) and
 * checks each URL against the bundled set, without loading anything.
 */
export function scanContexts(doc: unknown): ContextScan {
  const bundled = contexts();
  const unknown = new Set<string>();
  const outdated = new Set<string>();
  let entries = 0;
  let tooComplex = false;
  // [value, isContextValue, contextDepth]
  const stack: [unknown, boolean, number][] = [[doc, false, 0]];
  while (stack.length && !tooComplex) {
    const [v, inContext, depth] = stack.pop()!;
    if (inContext) {
      if (depth > MAX_CONTEXT_DEPTH) {
        tooComplex = true;
        break;
      }
      if (typeof v === 'string') {
        entries += 1;
        if (!bundled.has(v)) unknown.add(v);
        if (OUTDATED_OB_CONTEXTS.has(v)) outdated.add(v);
      } else if (Array.isArray(v)) {
        for (const item of v) stack.push([item, true, depth]);
      } else if (isObject(v)) {
        entries += 1;
        for (const [k, val] of Object.entries(v)) {
          if (k === '@import') stack.push([val, true, depth + 1]);
          else if (k === '@context') stack.push([val, true, depth + 1]);
          else if (isObject(val) && '@context' in val) stack.push([val['@context'], true, depth + 1]);
        }
      }
      if (entries > MAX_CONTEXT_ENTRIES) tooComplex = true;
      continue;
    }
    if (Array.isArray(v)) {
      for (const item of v) stack.push([item, false, depth]);
    } else if (isObject(v)) {
      for (const [k, val] of Object.entries(v)) stack.push([val, k === '@context', k === '@context' ? 1 : depth]);
    }
  }
  return { unknown: [...unknown], tooComplex, outdated: [...outdated] };
}

// ── dates ─────────────────────────────────────────────────────────────────────────────────────────

const DATE_TIME = /^(-?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

/** Parses an XML Schema dateTime (with a time zone unless `allowLocal`); undefined when malformed. */
export function parseDateTime(v: unknown, allowLocal = false): Date | undefined {
  if (typeof v !== 'string') return undefined;
  const m = DATE_TIME.exec(v);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, , tz] = m;
  if (!tz && !allowLocal) return undefined;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const days = [31, year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  if (month < 1 || month > 12 || day < 1 || day > days[month - 1]!) return undefined;
  if (Number(h) > 24 || Number(mi) > 59 || Number(s) > 59) return undefined;
  if (Number(h) === 24 && (Number(mi) !== 0 || Number(s) !== 0)) return undefined;
  if (tz && tz !== 'Z') {
    const [th, tm] = tz.slice(1).split(':').map(Number) as [number, number];
    if (th > 14 || tm > 59) return undefined;
  }
  const t = Date.parse(tz ? v : `${v}Z`);
  return Number.isNaN(t) ? undefined : new Date(t);
}

// ── VC data model structure ───────────────────────────────────────────────────────────────────────

export interface ValidityWindow {
  start?: Date;
  end?: Date;
  /** The dates as written in the document (for messages). */
  startText?: string;
  endText?: string;
  /** A start or end date is present but malformed (the step is then left to the schema step's DATE_INVALID). */
  startInvalid?: boolean;
  endInvalid?: boolean;
}

const TYPED_PROPERTIES = ['credentialStatus', 'credentialSchema', 'refreshService', 'evidence', 'termsOfUse'];

export function issuerIdOf(doc: JsonObject): string | undefined {
  const issuer = doc['issuer'];
  if (typeof issuer === 'string') return issuer;
  if (isObject(issuer) && typeof issuer['id'] === 'string') return issuer['id'];
  return undefined;
}

export function contextVersion(doc: JsonObject): 1 | 2 | undefined {
  const first = asArray(doc['@context'] as unknown)[0];
  return first === VC_V2 ? 2 : first === VC_V1 ? 1 : undefined;
}

/**
 * VCDM conformance of a credential: contexts first (v2 or v1), `type`, URL ids, issuer, subject, dates and
 * typed objects. Returns the problems (empty when conforming) and the validity window.
 */
export function checkCredentialStructure(doc: JsonObject, options: { jwt?: boolean } = {}): { problems: Problem[]; window: ValidityWindow } {
  const problems: Problem[] = [];
  const window: ValidityWindow = {};
  const version = contextVersion(doc);
  if (!version) problems.push({ code: 'CONTEXT_INVALID', params: { url: String(asArray(doc['@context'] as unknown)[0] ?? '') } });
  const types = typesOf(doc);
  if (!types.includes('VerifiableCredential')) problems.push({ code: 'TYPE_INVALID', params: { type: 'VerifiableCredential' } });
  if (doc['id'] !== undefined && !isUrl(doc['id'])) problems.push({ code: 'ID_INVALID', params: { field: 'id' } });
  const issuer = doc['issuer'];
  if (issuer === undefined || issuer === null) problems.push({ code: 'ISSUER_MISSING' });
  else if (!isUrl(issuerIdOf(doc))) problems.push({ code: 'ISSUER_INVALID' });
  const subjects = asArray(doc['credentialSubject'] as unknown);
  if (!subjects.length || !subjects.every(isObject)) problems.push({ code: 'SUBJECT_MISSING' });
  else {
    for (const s of subjects as JsonObject[])
      if (s['id'] !== undefined && !isUrl(s['id'])) problems.push({ code: 'ID_INVALID', params: { field: 'credentialSubject.id' } });
    // OB 3.0 verification step 2: an achievement subject names its recipient by `id` and/or `identifier`.
    if (
      (types.includes('OpenBadgeCredential') || types.includes('AchievementCredential')) &&
      (subjects as JsonObject[]).some((s) => s['id'] === undefined && s['identifier'] === undefined)
    ) {
      problems.push({ code: 'SUBJECT_MISSING', params: { field: 'credentialSubject.id|identifier' } });
    }
  }
  for (const prop of TYPED_PROPERTIES) {
    for (const item of asArray(doc[prop] as unknown)) {
      if (!isObject(item) || typesOf(item).length === 0) problems.push({ code: 'PROPERTY_TYPE_MISSING', params: { field: prop } });
      else if (item['id'] !== undefined && !isUrl(item['id'])) problems.push({ code: 'ID_INVALID', params: { field: `${prop}.id` } });
      // VCDM 2.0 §4.11: each credentialSchema names its schema file by a URL `id`.
      else if (prop === 'credentialSchema' && item['id'] === undefined) problems.push({ code: 'ID_INVALID', params: { field: `${prop}.id` } });
    }
  }
  // VCDM 2.0 §5.3 Integrity of related resources: objects with a unique URL `id` and a digest each.
  if (doc['relatedResource'] !== undefined) {
    const seen = new Set<string>();
    for (const item of asArray(doc['relatedResource'] as unknown)) {
      if (!isObject(item) || !isUrl(item['id'])) problems.push({ code: 'RELATED_RESOURCE_INVALID', params: { problem: 'id' } });
      else if (seen.has(item['id'])) problems.push({ code: 'RELATED_RESOURCE_INVALID', params: { problem: 'duplicate id' } });
      else {
        seen.add(item['id']);
        if (item['digestSRI'] === undefined && item['digestMultibase'] === undefined)
          problems.push({ code: 'RELATED_RESOURCE_INVALID', params: { problem: 'digest' } });
      }
    }
  }
  const dateField = (field: string, local: boolean): Date | undefined => {
    const raw = doc[field];
    if (raw === undefined) return undefined;
    const d = parseDateTime(raw, local);
    if (!d) problems.push({ code: 'DATE_INVALID', params: { field } });
    return d;
  };
  // VCDM 2.0 names; a 1.1 credential uses issuanceDate / expirationDate (xsd:dateTime, time zone optional).
  const v1 = version === 1;
  const validFrom = dateField('validFrom', false);
  const validUntil = dateField('validUntil', false);
  const issuanceDate = dateField('issuanceDate', v1);
  const expirationDate = dateField('expirationDate', v1);
  if (v1 && !options.jwt && doc['issuanceDate'] === undefined && doc['validFrom'] === undefined) {
    problems.push({ code: 'DATE_INVALID', params: { field: 'issuanceDate' } });
  }
  if (validFrom) Object.assign(window, { start: validFrom, startText: doc['validFrom'] });
  else if (issuanceDate) Object.assign(window, { start: issuanceDate, startText: doc['issuanceDate'] });
  if (validUntil) Object.assign(window, { end: validUntil, endText: doc['validUntil'] });
  else if (expirationDate) Object.assign(window, { end: expirationDate, endText: doc['expirationDate'] });
  if ((doc['validFrom'] !== undefined && !validFrom) || (doc['issuanceDate'] !== undefined && !issuanceDate)) window.startInvalid = true;
  if ((doc['validUntil'] !== undefined && !validUntil) || (doc['expirationDate'] !== undefined && !expirationDate)) window.endInvalid = true;
  return { problems, window };
}

export function checkPresentationStructure(doc: JsonObject): Problem[] {
  const problems: Problem[] = [];
  if (!contextVersion(doc)) problems.push({ code: 'CONTEXT_INVALID', params: { url: String(asArray(doc['@context'] as unknown)[0] ?? '') } });
  if (!typesOf(doc).includes('VerifiablePresentation')) problems.push({ code: 'TYPE_INVALID', params: { type: 'VerifiablePresentation' } });
  if (doc['id'] !== undefined && !isUrl(doc['id'])) problems.push({ code: 'ID_INVALID', params: { field: 'id' } });
  const holder = doc['holder'];
  if (holder !== undefined && !isUrl(typeof holder === 'string' ? holder : isObject(holder) ? holder['id'] : undefined)) {
    problems.push({ code: 'ID_INVALID', params: { field: 'holder' } });
  }
  return problems;
}

// ── declared JSON schemas (OB 3.0, bundled, never fetched) ────────────────────────────────────────

const SCHEMA_VALIDATOR_TYPE = '1EdTechJsonSchemaValidator2019';
const ACHIEVEMENT_SCHEMA_FILE = 'ob_v3p0_achievementcredential_schema.json';
const SCHEMA_FILES = new Map<string, string>([
  ['https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json', ACHIEVEMENT_SCHEMA_FILE],
  ['https://purl.imsglobal.org/spec/ob/v3p0/schema/json-ld/ob_v3p0_achievementcredential_schema.json', ACHIEVEMENT_SCHEMA_FILE],
]);

type ValidateFn = ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string; keyword: string; params?: unknown }[] | null };
const compiled = new Map<string, ValidateFn>();

function validatorFor(file: string): ValidateFn {
  let fn = compiled.get(file);
  if (!fn) {
    const Ajv2019 = (Ajv2019Module as unknown as { default?: unknown }).default ?? Ajv2019Module;
    const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: unknown) => void;
    const ajv = new (Ajv2019 as new (o: object) => { compile(s: unknown): ValidateFn })({ allErrors: true, strict: false });
    addFormats(ajv);
    const schema = JSON.parse(fs.readFileSync(new URL(`../schemas/${file}`, import.meta.url), 'utf8')) as unknown;
    fn = ajv.compile(schema);
    compiled.set(file, fn);
  }
  return fn;
}

/**
 * Validates, accepting the compacted JSON-LD form: where the schema wants an array and finds a single value
 * (`"type": "AchievementSubject"`, a single `proof` object), the value is wrapped in a one-element array — the
 * same JSON-LD meaning — and validation runs again. Nothing else is coerced (no string/number/boolean changes).
 * 1EdTech's own implementation-guide vectors use that form.
 */
function validateCompacted(validate: ValidateFn, doc: JsonObject): string[] {
  let data: unknown = doc;
  let copied = false;
  for (let round = 0; round < 16; round++) {
    if (validate(data)) return [];
    const errors = validate.errors ?? [];
    const fixable = errors.filter((e) => e.keyword === 'type' && [].concat((e as { params?: { type?: never } }).params?.type ?? []).includes('array' as never));
    let fixed = false;
    for (const e of fixable) {
      if (!copied) {
        data = structuredClone(doc);
        copied = true;
      }
      const path = e.instancePath
        .split('/')
        .slice(1)
        .map((x) => x.replace(/~1/g, '/').replace(/~0/g, '~'));
      const last = path.pop();
      let parent: unknown = data;
      for (const k of path) parent = (parent as Record<string, unknown> | undefined)?.[k];
      if (last === undefined || parent === null || typeof parent !== 'object') continue;
      const holder = parent as Record<string, unknown>;
      if (!Array.isArray(holder[last]) && holder[last] !== undefined) {
        holder[last] = [holder[last]];
        fixed = true;
      }
    }
    if (!fixed) return errors.map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`);
  }
  return ['schema validation did not settle'];
}

export interface SchemaCheck {
  problems: Problem[];
  notBundled: string[];
  checked: string[];
}

/** Validates the credential against every declared `1EdTechJsonSchemaValidator2019` schema that is bundled. */
export function checkDeclaredSchemas(doc: JsonObject): SchemaCheck {
  const out: SchemaCheck = { problems: [], notBundled: [], checked: [] };
  for (const entry of asArray(doc['credentialSchema'] as unknown)) {
    if (!isObject(entry) || typeof entry['id'] !== 'string') continue;
    const id = entry['id'];
    const file = typesOf(entry).includes(SCHEMA_VALIDATOR_TYPE) ? SCHEMA_FILES.get(id) : undefined;
    if (!file) {
      out.notBundled.push(id);
      continue;
    }
    const validate = validatorFor(file);
    out.checked.push(id);
    const errors = validateCompacted(validate, doc);
    if (errors.length) {
      out.problems.push({ code: 'SCHEMA_INVALID', params: { schema: id, count: errors.length }, details: { errors: errors.slice(0, 10) } });
    }
  }
  return out;
}
