/** Builds a `VerificationResult`: named steps, errors and warnings, with plain-English messages for logs. */
import type { StepId, VerificationProblem, VerificationResult, VerificationStep } from '../../domain/credentials/verification.js';
import { VERIFICATION_CODES, type VerificationCode } from '../../domain/credentials/verification-codes.js';
import { en } from '../../i18n/en.js';
import { formatMessage } from '../../i18n/plural.js';

export interface Problem {
  code: VerificationCode;
  params?: Record<string, string | number>;
  details?: Record<string, unknown>;
}

/** The English message of a code (the caller localises from `verification.codes.<CODE>`). */
export function messageOf(code: VerificationCode, params?: Record<string, string | number>): string {
  return formatMessage('en', en.verification.codes[code], params);
}

export class Report {
  readonly log: VerificationStep[] = [];
  readonly errors: VerificationProblem[] = [];
  readonly warnings: VerificationProblem[] = [];
  nested: VerificationResult[] = [];

  /** A passing step. */
  pass(id: StepId, code: VerificationCode, params?: Record<string, string | number>, details?: Record<string, unknown>): void {
    this.log.push(this.stepOf(id, true, { code, params, details }));
  }

  /** A failing step: the first problem labels the step, every problem becomes an error. */
  fail(id: StepId, problems: Problem[]): void {
    const [first] = problems;
    if (!first) return;
    const details: Record<string, unknown> = { ...first.details };
    if (problems.length > 1) details['problems'] = problems.map((p) => ({ code: p.code, message: messageOf(p.code, p.params) }));
    this.log.push(this.stepOf(id, false, { ...first, details: Object.keys(details).length ? details : undefined }));
    for (const p of problems) this.error(p, id);
  }

  step(id: StepId, problems: Problem[], ok: Problem): void {
    if (problems.length) this.fail(id, problems);
    else this.pass(id, ok.code, ok.params, ok.details);
  }

  error(p: Problem, step?: StepId): void {
    if (VERIFICATION_CODES[p.code] !== 'error') throw new Error(`${p.code} is not an error code`);
    const e: VerificationProblem = { code: p.code, message: messageOf(p.code, p.params) };
    if (p.params && Object.keys(p.params).length) e.params = p.params;
    if (step) e.step = step;
    if (!this.errors.some((x) => x.code === e.code && x.message === e.message && x.step === e.step)) this.errors.push(e);
  }

  warn(p: Problem, step?: StepId): void {
    const w: VerificationProblem = { code: p.code, message: messageOf(p.code, p.params) };
    if (p.params && Object.keys(p.params).length) w.params = p.params;
    if (step) w.step = step;
    if (!this.warnings.some((x) => x.code === w.code && x.message === w.message)) this.warnings.push(w);
  }

  hasErrors(): boolean {
    return this.errors.length > 0;
  }

  result(format: VerificationResult['format'], credential: unknown): VerificationResult {
    const result: VerificationResult = {
      verified: this.errors.length === 0 && this.log.length > 0,
      credential,
      format,
      log: this.log,
      errors: this.errors,
      warnings: this.warnings,
    };
    if (this.nested.length) result.nested = this.nested;
    return result;
  }

  private stepOf(
    id: StepId,
    valid: boolean,
    p: { code: VerificationCode; params?: Record<string, string | number>; details?: Record<string, unknown> },
  ): VerificationStep {
    const step: VerificationStep = { id, valid, code: p.code, message: messageOf(p.code, p.params) };
    if (p.params && Object.keys(p.params).length) step.params = p.params;
    if (p.details && Object.keys(p.details).length) step.details = p.details;
    return step;
  }
}
