/** The shared test helpers themselves: expectAppError (test/support/expect.ts) and the seeds (test/support/seed.ts). */
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/shared/errors.js';
import { REFUSAL, expectAppError } from '../support/expect.js';
import { fixedSeed, fuzzSeeds, isReplay, replayCommand, seededBytes, testSeed } from '../support/seed.js';

const refuse = (): number => {
  throw new AppError('CURSOR_INVALID', { max: 3 }, { field: 'cursor' });
};

describe('expectAppError', () => {
  it('passes on the expected code, params and field, from a function, a promise or an async function, and returns the error', async () => {
    expect(expectAppError(refuse, 'CURSOR_INVALID', { max: 3 }, { field: 'cursor' }).code).toBe('CURSOR_INVALID');
    expect(expectAppError(refuse, ['VALIDATION_FAILED', 'CURSOR_INVALID'])).toBeInstanceOf(AppError);
    expect((await expectAppError(Promise.reject(new AppError('CURSOR_INVALID')), 'CURSOR_INVALID', undefined, REFUSAL)).code).toBe('CURSOR_INVALID');
    expect((await expectAppError(async () => refuse(), 'CURSOR_INVALID')).field).toBe('cursor');
  });

  it('fails when nothing is thrown, something else is thrown, or the code, params, field or status class differ', async () => {
    expect(() => expectAppError(() => 1, 'CURSOR_INVALID')).toThrow('nothing was thrown');
    await expect(expectAppError(Promise.resolve(1), 'CURSOR_INVALID')).rejects.toThrow('nothing was thrown');
    await expect(expectAppError(async () => 1, 'CURSOR_INVALID')).rejects.toThrow('nothing was thrown');
    expect(() =>
      expectAppError(() => {
        throw new Error('CURSOR_INVALID');
      }, 'CURSOR_INVALID'),
    ).toThrow('expected an AppError CURSOR_INVALID');
    expect(() => expectAppError(refuse, 'VALIDATION_FAILED')).toThrow('expected an AppError VALIDATION_FAILED');
    await expect(expectAppError(Promise.reject(new AppError('VALIDATION_FAILED')), 'CURSOR_INVALID')).rejects.toThrow('expected an AppError CURSOR_INVALID');
    expect(() => expectAppError(refuse, 'CURSOR_INVALID', { max: 4 })).toThrow();
    expect(() => expectAppError(refuse, 'CURSOR_INVALID', undefined, { field: 'limit' })).toThrow();
    expect(() =>
      expectAppError(
        () => {
          throw new AppError('INTERNAL');
        },
        'INTERNAL',
        undefined,
        REFUSAL,
      ),
    ).toThrow();
    expect(() => expectAppError(() => 1, 'CURSOR_INVALID', undefined, { message: 'input 42' })).toThrow('input 42: expected an AppError CURSOR_INVALID');
  });
});

describe('seeds', () => {
  it('draws one seed per file (SCEAU_TEST_SEED when set) and names it in the replay command', () => {
    expect(Number.isSafeInteger(testSeed())).toBe(true);
    expect(testSeed()).toBe(testSeed());
    if (isReplay) expect(testSeed()).toBe(Number(process.env['SCEAU_TEST_SEED']));
    expect(fixedSeed(7)).toBe(isReplay ? testSeed() : 7);
    expect(fuzzSeeds([1, 2])).toEqual(isReplay ? [testSeed()] : [1, 2, testSeed()]);
    expect(replayCommand(123, { path: '0:1', env: { RUNS: 5 } })).toBe(
      "SCEAU_TEST_SEED=123 SCEAU_TEST_PATH=0:1 RUNS=5 node node_modules/vitest/vitest.mjs run test/unit/test-support.test.ts -t 'draws one seed per file \\(SCEAU_TEST_SEED when set\\) and names it in the replay command'",
    );
  });

  it('gives the same bytes for the same seed, test and call, and different bytes for the next call', () => {
    const a = seededBytes(64);
    const b = seededBytes(64);
    expect(a).toHaveLength(64);
    expect(a.equals(b)).toBe(false);
    expect(new Set(a).size).toBeGreaterThan(16);
    expect(seededBytes(3)).toHaveLength(3);
  });
});
