/**
 * F1: malformed bodies on every route that accepts one (taken from Fastify's route table).
 *
 * FUZZ_RUNS cases per route (default 1,000), split over a fixed seed list plus one random seed, all printed.
 * Cases come from support/fuzz-cases.ts and are invalid by construction (the route's own zod schema is the
 * oracle for "wrong type" and "missing"). Each request is sent as the right principal: org A's admin (session
 * and valid CSRF token) for signed-in forms, an anonymous visitor with a pre-session CSRF token for public
 * forms, org A's API key for /api/v1.
 *
 * Pass: every answer is 4xx (never 5xx); a problem+json answer has `code` (a known error code) and `detail`;
 * an HTML answer (error page or re-rendered form) only on web routes; Object.prototype is not polluted; after
 * each case the row counts are unchanged, after each route the whole database is unchanged; /health answers 200.
 *
 * Uploads: the three multipart routes (bulk CSV/XLSX, images, results files) also get multipart cases (a missing, wrong
 * or doubled CSRF token; the right token with content the route refuses; structural damage: cut bodies, wrong or
 * missing boundaries, bare LF, junk bytes, two files, too many parts, oversized fields, header injection in names).
 * The raw image API (`POST /api/v1/images`, the body is the file) gets junk, cut, bit-flipped and oversized images.
 * Body-less DELETE routes are not fuzzed: Fastify never reads (nor validates) a DELETE body, there is nothing to
 * malform (Z1/Z2/Z3 cover them).
 *
 * Replay (see test/support/seed.ts): SCEAU_TEST_SEED=<seed> [SCEAU_TEST_PATH=<path>] FUZZ_RUNS=<n> TEST_DB=sqlite npx vitest run test/security/f1-fuzz.test.ts
 * Cost: the cases are cheap by design (few large ones: ~2 % 1 MB strings, ~4 % nesting up to 10,000 levels), about
 * 1 ms each: 22 routes × 1,000 cases took 22–25 s on the 2-core machine (the file's budget is 3 minutes).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';

vi.mock('fastify', async (importOriginal) => (await import('./support/route-capture.js')).wrapFastify(await importOriginal<object>()));

import { ERROR_CODES } from '../../src/domain/shared/errors.js';
import { createTestApp } from '../support/app.js';
import {
  type FuzzCase,
  type MultipartOptions,
  describeBody,
  describeCase,
  invalidBodyCase,
  invalidImageBody,
  invalidMultipartCase,
  isBinary,
  payloadOf,
} from './support/fuzz-cases.js';
import { solidPng } from '../images/fixtures.js';
import { csvOf } from '../templates/support.js';
import { type Client, dbHash, diffDumps, dumpDb, fillPath, isApiPath, nextAddress, seedWorld, sqliteOf, tableNames } from './support/harness.js';
import { type CapturedRoute, routeKey, routeTable } from './support/route-capture.js';
import { IMAGE_MAX_BYTES } from '../../src/domain/templates/model.js';
import { checkOverSeeds, fuzzSeeds, isReplay, replayPath, testSeed } from '../support/seed.js';

const FIXED_SEEDS = [20261122, 1, 987_654_321];
const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const SEEDS = fuzzSeeds(FIXED_SEEDS);
console.info(`[F1] ${RUNS} cases per route over seeds ${SEEDS.join(', ')}${isReplay ? ' (replay)' : ` (random seed: ${testSeed()})`}`);

const t = await createTestApp();
const w = await seedWorld(t);
const writeRoutes = routeTable(t.app)
  .filter((r) => !['GET', 'HEAD', 'OPTIONS'].includes(r.method))
  .sort((a, b) => routeKey(a).localeCompare(routeKey(b)));
/** DELETE routes declare no body: Fastify does not read one, so there is nothing to fuzz. */
const bodyRoutes = writeRoutes.filter((r) => !(r.method === 'DELETE' && !r.schema?.['body']));
const PNG = solidPng(12, 12, '#336699');
const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="#336699"/></svg>';

/** Multipart routes: the upload they accept, and well-formed uploads with a valid token they refuse all the same. */
const UPLOADS: Record<string, MultipartOptions> = {
  'POST /console/:slug/bulk': {
    fileField: 'file',
    fields: { templateId: w.res.A.template.id },
    file: csvOf(2),
    refused: [
      { label: 'a template of no one', fields: { templateId: w.randomId() } },
      { label: "org B's template", fields: { templateId: w.res.B.template.id } },
      { label: 'an empty file', file: Buffer.alloc(0) },
      { label: 'no file', file: null },
      { label: 'a PNG instead of a CSV', file: PNG },
      { label: 'an unclosed quote', file: Buffer.from('Nom;Courriel\n"Ouvert;x@example.org\n') },
      { label: 'a header only', file: Buffer.from('Nom;Courriel\r\n') },
    ],
  },
  'POST /console/:slug/images': {
    fileField: 'image',
    fields: {},
    file: PNG,
    refused: [
      { label: 'not an image', file: Buffer.from('hello, world') },
      { label: 'an empty file', file: Buffer.alloc(0) },
      { label: 'no file', file: null },
      { label: 'a cut PNG', file: PNG.subarray(0, PNG.length - 20) },
    ],
  },
  'POST /console/:slug/results': {
    fileField: 'file',
    fields: {},
    file: Buffer.from('courriel;nom;activité;réussi;date\r\nx@example.org;X;sec-101;oui;2020-01-01\r\n'),
    refused: [
      { label: 'an empty file', file: Buffer.alloc(0) },
      { label: 'no file', file: null },
      { label: 'missing columns', file: Buffer.from('nom;courriel\r\nX;x@example.org\r\n') },
      { label: 'an invalid row', file: Buffer.from('courriel;nom;activité;réussi;date\r\npas-un-courriel;X;sec-101;oui;2020-01-01\r\n') },
    ],
  },
};
const isApi = (r: CapturedRoute) => isApiPath(r.url);
const isSignedInPage = (r: CapturedRoute) => /^\/(account|console|admin)(\/|$)/.test(r.url);

const counts = (() => {
  const stmt = sqliteOf(t).prepare(
    `select ${tableNames(t)
      .map((n) => `(select count(*) from "${n}") as "${n}"`)
      .join(', ')}`,
  );
  return () => JSON.stringify(stmt.get());
})();

const prototypeNames = Object.getOwnPropertyNames(Object.prototype).sort().join(',');
function pollution(): string | undefined {
  const names = Object.getOwnPropertyNames(Object.prototype).sort().join(',');
  if (names !== prototypeNames) return `Object.prototype now has ${names}`;
  if (({} as Record<string, unknown>)['polluted'] !== undefined) return 'Object.prototype.polluted is set';
  if (Object.getOwnPropertyNames(Array.prototype).includes('polluted')) return 'Array.prototype.polluted is set';
  return undefined;
}

function checkResponse(route: CapturedRoute, res: { statusCode: number; headers: Record<string, unknown>; body: string }): string | undefined {
  if (res.statusCode < 400 || res.statusCode >= 500) return `status ${res.statusCode}`;
  const ct = String(res.headers['content-type'] ?? '');
  if (/^application\/problem\+json/.test(ct)) {
    let problem: Record<string, unknown>;
    try {
      problem = JSON.parse(res.body) as Record<string, unknown>;
    } catch {
      return 'problem+json body is not JSON';
    }
    if (!(ERROR_CODES as readonly string[]).includes(String(problem['code']))) return `problem without a known code: ${res.body.slice(0, 200)}`;
    if (typeof problem['detail'] !== 'string' || !problem['detail']) return `problem without detail: ${res.body.slice(0, 200)}`;
    if (problem['status'] !== res.statusCode) return `problem status ${String(problem['status'])} ≠ ${res.statusCode}`;
    return undefined;
  }
  if (!isApi(route) && /^text\/html/.test(ct) && /<html/i.test(res.body)) return undefined;
  return `status ${res.statusCode} with content-type ${JSON.stringify(ct)}${isApi(route) ? ' (the API answers problem+json only)' : ''}`;
}

afterAll(async () => {
  await t.close();
});

describe('F1 malformed bodies on every route with a body', () => {
  it('the route table has body routes, each with a zod body schema (body-less DELETE routes aside)', () => {
    expect(bodyRoutes.length).toBeGreaterThan(15);
    expect(bodyRoutes.filter((r) => !r.schema?.['body']).map(routeKey)).toEqual([]);
    expect(writeRoutes.filter((r) => !bodyRoutes.includes(r)).every((r) => r.method === 'DELETE')).toBe(true);
    // Every multipart route has upload cases (a route taking a file, i.e. a Buffer field, is a multipart route).
    const uploads = bodyRoutes
      .filter((r) => !isApi(r) && describeBody(r.schema!['body']).fields.some((f) => f.binary))
      .map(routeKey)
      .sort();
    expect(uploads).toEqual(Object.keys(UPLOADS).sort());
  });

  for (const route of bodyRoutes) {
    const key = routeKey(route);
    it(
      key,
      async () => {
        const rawBody = isBinary(route.schema!['body']);
        const info = rawBody ? undefined : describeBody(route.schema!['body']);
        let client: Client;
        if (isApi(route)) client = w.apiClient(w.apiKeyA.key);
        else if (isSignedInPage(route)) client = await w.signIn('adminA');
        else client = w.anonymous();
        const token = isApi(route) ? '' : await client.csrf();
        // Org A's real ids: only the body can make the request fail.
        const url = fillPath(route.url, w.paramsFor(route.url));
        const baseHeaders: Record<string, string> = {};
        if (client.cookies.size) baseHeaders['cookie'] = client.cookieHeader();
        if (client.bearer) baseHeaders['authorization'] = `Bearer ${client.bearer}`;

        const beforeDump = dumpDb(t);
        const beforeHash = dbHash(t);
        const beforeCounts = counts();
        const statuses = new Map<number, number>();
        let failure: string | undefined;
        const started = Date.now();

        const upload = UPLOADS[key];
        const arbitrary = rawBody
          ? invalidImageBody(PNG, SVG, IMAGE_MAX_BYTES)
          : upload
            ? fc.oneof(invalidBodyCase(info!, { isWeb: true }), invalidMultipartCase(upload))
            : invalidBodyCase(info!, { isWeb: !isApi(route) });
        const property = fc.asyncProperty(arbitrary, async (c: FuzzCase) => {
          const headers: Record<string, string> = { ...baseHeaders };
          if (c.contentType !== undefined) headers['content-type'] = c.contentType;
          if (c.accept !== undefined) headers['accept'] = c.accept;
          const res = await t.app.inject({ method: route.method as 'POST', url, headers, payload: payloadOf(c, token), remoteAddress: nextAddress() });
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
          const problem = checkResponse(route, res) ?? pollution() ?? (counts() !== beforeCounts ? 'row counts changed' : undefined);
          if (problem) {
            failure = `${problem}\n  input: ${describeCase(c)}\n  answer: ${res.statusCode} ${String(res.headers['content-type'])} ${(token ? res.body.split(token).join('<csrf>') : res.body).slice(0, 300)}`;
            return false;
          }
          return true;
        });

        const total = await checkOverSeeds(property, {
          seeds: SEEDS,
          runs: RUNS,
          label: `F1 ${key} (${url})`,
          failure: () => failure,
          env: { FUZZ_RUNS: RUNS, TEST_DB: 'sqlite' },
        });
        const health = await t.app.inject({ method: 'GET', url: '/health', remoteAddress: nextAddress() });
        expect(health.statusCode).toBe(200);
        expect(pollution()).toBeUndefined();
        expect(diffDumps(beforeDump, dumpDb(t))).toEqual([]);
        expect(dbHash(t)).toBe(beforeHash);
        if (!replayPath) expect(total).toBeGreaterThanOrEqual(RUNS);
        console.info(
          `[F1] ${key}: ${total} cases in ${Date.now() - started} ms; statuses ${[...statuses]
            .sort()
            .map(([s, n]) => `${s}×${n}`)
            .join(' ')}`,
        );
      },
      180_000,
    );
  }
});
