/**
 * Seeds of the randomised tests: fast-check properties and samples, custom fuzzers, and "random" garbage inputs.
 *
 *   SCEAU_TEST_SEED=<integer>  replays: every randomised test of the run draws from this seed instead of a fresh one.
 *   SCEAU_TEST_PATH=<path>     fast-check only, with SCEAU_TEST_SEED: replays just the counterexample at `path`
 *                              (the `path` fast-check prints in its failure report).
 *
 * Each test file draws one seed when it is loaded (SCEAU_TEST_SEED when set). A randomised test that fails ends its
 * error with `seed=<n>` and the command that replays it, e.g.
 *
 *   SCEAU_TEST_SEED=1234 node node_modules/vitest/vitest.mjs run test/security/f1-fuzz.test.ts -t '<test title>'
 *
 * Fuzzers that run a fixed list of seeds plus a fresh one (`fuzzSeeds`) run only SCEAU_TEST_SEED when it is set;
 * tests with one fixed seed (`fixedSeed`) use SCEAU_TEST_SEED instead when it is set.
 */
import { createHash, randomInt } from 'node:crypto';
import path from 'node:path';
import fc from 'fast-check';
import { expect, onTestFailed } from 'vitest';

export const SEED_ENV = 'SCEAU_TEST_SEED';
export const PATH_ENV = 'SCEAU_TEST_PATH';

function readSeed(raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed) || seed < -(2 ** 31) || seed >= 2 ** 31) {
    throw new Error(`${SEED_ENV} must be a 32-bit integer (as printed after seed=), got ${JSON.stringify(raw)}`);
  }
  return seed;
}

const replaySeed = readSeed(process.env[SEED_ENV]);
const fileSeed = replaySeed ?? randomInt(0, 2 ** 31 - 1);

/** True when SCEAU_TEST_SEED is set. */
export const isReplay = replaySeed !== undefined;
/** SCEAU_TEST_PATH, when set. */
export const replayPath = process.env[PATH_ENV] || undefined;

/** This test file's seed: SCEAU_TEST_SEED, or one drawn when the file was loaded. */
export function testSeed(): number {
  return fileSeed;
}

/** A test's own fixed seed, or SCEAU_TEST_SEED when set. */
export function fixedSeed(seed: number): number {
  return replaySeed ?? seed;
}

/** The seeds a multi-seed fuzzer runs: its fixed ones plus this file's seed, or only SCEAU_TEST_SEED when set. */
export function fuzzSeeds(fixed: number[]): number[] {
  return replaySeed !== undefined ? [replaySeed] : [...fixed, fileSeed];
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The command that runs the current test again with `seed` (and a fast-check `path`, and more variables). */
export function replayCommand(seed: number, options: { path?: string; env?: Record<string, string | number>; title?: string } = {}): string {
  const vars = [`${SEED_ENV}=${seed}`];
  if (options.path) vars.push(`${PATH_ENV}=${options.path}`);
  for (const [k, v] of Object.entries(options.env ?? {})) vars.push(`${k}=${v}`);
  const { testPath } = expect.getState();
  const file = testPath ? path.relative(process.cwd(), testPath) : '<test file>';
  const title = options.title ?? expect.getState().currentTestName?.split(' > ').pop();
  return `${vars.join(' ')} node node_modules/vitest/vitest.mjs run ${file}${title ? ` -t ${shellQuote(escapeRegExp(title))}` : ''}`;
}

const FAST_CHECK_PATH = /\{ seed: -?\d+, path: "([^"]*)"/;
const reporting = new Set<string>();

/**
 * Call inside a test (or a beforeEach): if the test fails, each of its errors ends with `seed=<n>` and the replay
 * command (with the fast-check `path` when the error is fast-check's report). Once per test.
 */
export function reportSeedOnFailure(seed = fileSeed, env?: Record<string, string | number>): void {
  const name = expect.getState().currentTestName ?? '';
  const key = `${name}\0${seed}`;
  if (reporting.has(key)) return;
  reporting.add(key);
  onTestFailed(({ task }) => {
    for (const error of task.result?.errors ?? []) {
      const fcPath = FAST_CHECK_PATH.exec(error.message ?? '')?.[1];
      error.message = `${error.message ?? ''}\n\nseed=${seed}${fcPath ? ` path=${fcPath}` : ''}; replay: ${replayCommand(seed, { path: fcPath, env, title: task.name })}`;
    }
  });
}

/**
 * fast-check parameters on this file's seed (and SCEAU_TEST_PATH), for `fc.assert` and `fc.check`; call inside the
 * test: a failure prints the seed and how to replay it.
 */
export function seeded<P extends fc.Parameters<unknown>>(params?: P): P & { seed: number; path?: string } {
  reportSeedOnFailure();
  return { ...(params as P), seed: fileSeed, ...(replayPath ? { path: replayPath } : {}) };
}

/** `fc.sample` on this file's seed (call inside a test or hook of a test that reports it, see reportSeedOnFailure). */
export function seededSample<T>(arbitrary: fc.Arbitrary<T>, numRuns: number): T[] {
  return fc.sample(arbitrary, { seed: fileSeed, numRuns });
}

const sampleCalls = new Map<string, number>();

/**
 * `length` pseudo-random bytes from this file's seed, the current test and how many calls it made before, so a
 * replay with `-t` gets the same bytes. Call inside a test; a failure prints the seed.
 */
export function seededBytes(length: number): Buffer {
  reportSeedOnFailure();
  const name = expect.getState().currentTestName ?? '';
  const call = sampleCalls.get(name) ?? 0;
  sampleCalls.set(name, call + 1);
  const key = createHash('sha256').update(`${fileSeed}\0${name}\0${call}`).digest();
  const out = Buffer.alloc(length);
  // xorshift128 from the key: fast enough for megabytes, and the same on every machine.
  let [a, b, c, d] = [key.readUInt32LE(0) | 1, key.readUInt32LE(4), key.readUInt32LE(8), key.readUInt32LE(12)];
  for (let i = 0; i < length; i += 4) {
    const t = a ^ (a << 11);
    [a, b, c] = [b, c, d];
    d = (d ^ (d >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    for (let j = 0; j < 4 && i + j < length; j++) out[i + j] = (d >>> (8 * j)) & 0xff;
  }
  return out;
}

export interface SeedsCheck {
  /** The seeds to run (see fuzzSeeds); the runs are split evenly between them. */
  seeds: number[];
  runs: number;
  /** Names what failed, first in the message (e.g. `F1 POST /x (url)`). */
  label: string;
  /** The property's own account of the failing case, when it keeps one. */
  failure?: () => string | undefined;
  /** More variables for the replay command (e.g. the run count). */
  env?: Record<string, string | number>;
}

/**
 * `fc.check` of `property` over several seeds (SCEAU_TEST_PATH applies); the first failure fails the test with the
 * seed, the path, the case and the replay command. Returns the number of runs made.
 */
export async function checkOverSeeds<Ts extends [unknown, ...unknown[]]>(property: fc.IAsyncProperty<Ts>, options: SeedsCheck): Promise<number> {
  const perSeed = Math.max(1, Math.ceil(options.runs / options.seeds.length));
  let total = 0;
  for (const seed of options.seeds) {
    const out = await fc.check(property, { seed, numRuns: perSeed, path: replayPath, endOnFailure: true });
    total += out.numRuns;
    if (out.failed) {
      const p = out.counterexamplePath ?? '';
      expect.fail(
        `${options.label} failed: seed=${out.seed}, path ${p}\n  ${options.failure?.() ?? String(out.errorInstance)}\n` +
          `  replay: ${replayCommand(out.seed, { path: p, env: options.env })}`,
      );
    }
  }
  return total;
}
