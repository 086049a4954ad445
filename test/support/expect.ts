/** Assertions shared by the tests. */
import { expect } from 'vitest';
import { AppError, type ErrorCode, type ErrorParams } from '../../src/domain/shared/errors.js';
import { STATUS } from '../../src/http/plugins/errors.js';

export interface AppErrorExpectation {
  /** The `field` the error must name. */
  field?: string;
  /** The HTTP status class the code must map to (`'4xx'`: a refusal, never a server error). */
  status?: '4xx';
  /** Prefix of every failure message (e.g. the input under test). */
  message?: string;
}

/** For refusals of user input: the code must map to a 4xx. */
export const REFUSAL: AppErrorExpectation = Object.freeze({ status: '4xx' });

/**
 * Expects `subject` to fail with an AppError of `code` (or of one of `code` when a list), with exactly `params` when
 * given, and what `expectation` asks for; fails when nothing is thrown, when something else is thrown, or when the
 * code differs. Returns the error.
 *
 * `subject` is a promise (awaited), or a function, called: when it returns a promise, the result is a promise too;
 * otherwise the check is synchronous.
 */
export function expectAppError(
  subject: PromiseLike<unknown> | (() => PromiseLike<unknown>),
  code: ErrorCode | ErrorCode[],
  params?: ErrorParams,
  expectation?: AppErrorExpectation,
): Promise<AppError>;
export function expectAppError(subject: () => unknown, code: ErrorCode | ErrorCode[], params?: ErrorParams, expectation?: AppErrorExpectation): AppError;
export function expectAppError(
  subject: PromiseLike<unknown> | (() => unknown),
  code: ErrorCode | ErrorCode[],
  params?: ErrorParams,
  expectation: AppErrorExpectation = {},
): AppError | Promise<AppError> {
  const check = (outcome: { threw: false } | { threw: true; error: unknown }) => checkAppError(outcome, code, params, expectation);
  let result: unknown;
  if (typeof subject === 'function') {
    try {
      result = subject();
    } catch (error) {
      return check({ threw: true, error });
    }
    if (!isThenable(result)) return check({ threw: false });
  } else {
    result = subject;
  }
  return Promise.resolve(result as PromiseLike<unknown>).then(
    () => check({ threw: false }),
    (error: unknown) => check({ threw: true, error }),
  );
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

function checkAppError(
  outcome: { threw: false } | { threw: true; error: unknown },
  code: ErrorCode | ErrorCode[],
  params: ErrorParams | undefined,
  expectation: AppErrorExpectation,
): AppError {
  const codes = Array.isArray(code) ? code : [code];
  const label = `${expectation.message ? `${expectation.message}: ` : ''}expected an AppError ${codes.join(' or ')}`;
  if (!outcome.threw) return expect.fail(`${label}, but nothing was thrown`);
  expect(outcome.error, label).toBeInstanceOf(AppError);
  const err = outcome.error as AppError;
  expect(codes, label).toContain(err.code);
  if (params) expect(err.params, label).toEqual(params);
  if (expectation.field !== undefined) expect(err.field, label).toBe(expectation.field);
  if (expectation.status === '4xx') {
    expect(STATUS[err.code], label).toBeGreaterThanOrEqual(400);
    expect(STATUS[err.code], label).toBeLessThan(500);
  }
  return err;
}
