/** Automatic issuance rules: the pure decision function, rule validation and result parsing. */
import { describe, expect, it } from 'vitest';
import { parseResultDate, scoreFieldOf, validateResults } from '../../src/domain/issuance/issue-from-results.js';
import {
  DEFAULT_RULES,
  type IssuanceRules,
  type LearnerResult,
  type PriorAward,
  decide,
  parseStoredRules,
  validateRules,
} from '../../src/domain/issuance/rules.js';
import { validateTemplate } from '../../src/domain/templates/manage-templates.js';
import { TEMPLATE_INPUT } from '../templates/support.js';
import { expectAppError } from '../support/expect.js';

const NOW = new Date('2026-06-15T20:00:00.000Z');
const H = 3_600_000;
const DAY = 24 * H;
let seq = 0;

function result(activity: string, o: Partial<LearnerResult> = {}): LearnerResult {
  seq += 1;
  return {
    id: `r${String(seq).padStart(4, '0')}`,
    orgId: 'o',
    email: 'zoe@example.org',
    name: 'Zoé',
    learnerId: null,
    activity,
    score: 80,
    passed: true,
    occurredAt: new Date(NOW.getTime() - H),
    source: 'api',
    receivedAt: NOW,
    ...o,
  };
}
const rules = (o: Partial<IssuanceRules> = {}): IssuanceRules => ({ ...DEFAULT_RULES, enabled: true, activities: ['sst-101'], minScore: 60, ...o });
const award = (o: Partial<PriorAward> = {}): PriorAward => ({
  id: 'a1',
  createdAt: new Date(NOW.getTime() - 400 * DAY),
  validUntil: null,
  revoked: false,
  ...o,
});

describe('decide', () => {
  it('issues at once on a passing score, with that score', () => {
    const r = result('sst-101', { score: 78 });
    const v = decide(rules(), { results: [r], awards: [], now: NOW, fresh: [r] });
    expect(v).toMatchObject({ kind: 'issue', score: 78, result: { id: r.id } });
  });

  it('refuses a score below the minimum, a failed result, a result not marked as passed, a missing score — with the reason', () => {
    const low = result('sst-101', { score: 40 });
    expect(decide(rules(), { results: [low], awards: [], now: NOW, fresh: [low] })).toEqual({
      kind: 'refused',
      reason: 'score_below_min',
      details: { activity: 'sst-101', score: 40, minScore: 60 },
    });
    const failed = result('sst-101', { score: 90, passed: false });
    expect(decide(rules(), { results: [failed], awards: [], now: NOW, fresh: [failed] })).toMatchObject({ kind: 'refused', reason: 'failed' });
    const unknown = result('sst-101', { passed: null });
    expect(decide(rules(), { results: [unknown], awards: [], now: NOW, fresh: [unknown] })).toMatchObject({ kind: 'refused', reason: 'not_passed' });
    expect(decide(rules({ requirePassed: false }), { results: [unknown], awards: [], now: NOW, fresh: [unknown] })).toMatchObject({ kind: 'issue' });
    const noScore = result('sst-101', { score: null });
    expect(decide(rules(), { results: [noScore], awards: [], now: NOW, fresh: [noScore] })).toMatchObject({ kind: 'refused', reason: 'score_missing' });
    expect(decide(rules({ minScore: null }), { results: [noScore], awards: [], now: NOW, fresh: [noScore] })).toMatchObject({ kind: 'issue', score: null });
  });

  it('all-of waits for every activity, then issues from the latest one', () => {
    const r1 = rules({ activities: ['u1', 'u2', 'u3'], mode: 'all' });
    const a = result('u1', { occurredAt: new Date(NOW.getTime() - 3 * DAY) });
    expect(decide(r1, { results: [a], awards: [], now: NOW, fresh: [a] })).toEqual({ kind: 'not_yet', reason: 'activities_missing', missing: ['u2', 'u3'] });
    const b = result('u2', { occurredAt: new Date(NOW.getTime() - 2 * DAY) });
    const c = result('u3', { occurredAt: new Date(NOW.getTime() - DAY), score: 65 });
    const v = decide(r1, { results: [a, b, c], awards: [], now: NOW, fresh: [c] });
    expect(v).toMatchObject({ kind: 'issue', result: { id: c.id }, score: 65 });
  });

  it('any-of issues from one activity', () => {
    const r1 = rules({ activities: ['x1', 'x2'], mode: 'any' });
    const x2 = result('x2');
    expect(decide(r1, { results: [x2], awards: [], now: NOW, fresh: [x2] })).toMatchObject({ kind: 'issue', result: { id: x2.id } });
    expect(decide(r1, { results: [], awards: [], now: NOW, fresh: [] })).toEqual({ kind: 'not_yet', reason: 'activities_missing', missing: ['x1', 'x2'] });
  });

  it('counts the best passing result per activity: a failed retake does not undo a pass', () => {
    const pass = result('sst-101', { score: 70, occurredAt: new Date(NOW.getTime() - 2 * DAY) });
    const better = result('sst-101', { score: 92, occurredAt: new Date(NOW.getTime() - DAY) });
    const retake = result('sst-101', { score: 30 });
    expect(decide(rules(), { results: [pass, better, retake], awards: [], now: NOW, fresh: [retake] })).toMatchObject({
      kind: 'issue',
      result: { id: better.id },
      score: 92,
    });
  });

  it('once per learner: refused while a credential that is not revoked exists', () => {
    const r = result('sst-101');
    expect(decide(rules(), { results: [r], awards: [award()], now: NOW, fresh: [r] })).toEqual({ kind: 'refused', reason: 'already_issued' });
    expect(decide(rules(), { results: [r], awards: [award({ revoked: true })], now: NOW, fresh: [r] })).toMatchObject({ kind: 'issue' });
  });

  it('recertify: renews near or after expiry, from results after the previous credential only', () => {
    const rc = rules({ policy: 'recertify', renewWithinDays: 30 });
    const issuedAt = new Date(NOW.getTime() - 700 * DAY);
    const old = result('sst-101', { occurredAt: new Date(issuedAt.getTime() - DAY) });
    const fresh = result('sst-101', { occurredAt: new Date(NOW.getTime() - H) });
    // Lifetime: never renewed.
    expect(decide(rc, { results: [old, fresh], awards: [award({ createdAt: issuedAt })], now: NOW, fresh: [fresh] })).toMatchObject({
      kind: 'refused',
      reason: 'already_issued',
    });
    // Valid for another 100 days: too early.
    const later = award({ createdAt: issuedAt, validUntil: new Date(NOW.getTime() + 100 * DAY) });
    expect(decide(rc, { results: [old, fresh], awards: [later], now: NOW, fresh: [fresh] })).toEqual({
      kind: 'refused',
      reason: 'not_due_for_renewal',
      details: { renewFrom: new Date(NOW.getTime() + 70 * DAY).toISOString() },
    });
    // Expires in 20 days: a new result renews it; the old result alone does not.
    const soon = award({ createdAt: issuedAt, validUntil: new Date(NOW.getTime() + 20 * DAY) });
    expect(decide(rc, { results: [old, fresh], awards: [soon], now: NOW, fresh: [fresh] })).toMatchObject({ kind: 'issue', result: { id: fresh.id } });
    expect(decide(rc, { results: [old], awards: [soon], now: NOW, fresh: [old] })).toMatchObject({ kind: 'not_yet' });
    // Expired: renewed too.
    const expired = award({ createdAt: issuedAt, validUntil: new Date(NOW.getTime() - DAY) });
    expect(decide(rc, { results: [old, fresh], awards: [expired], now: NOW, fresh: [fresh] })).toMatchObject({ kind: 'issue' });
  });

  it('delays issuance from the result’s date', () => {
    const rd = rules({ delayMinutes: 720 });
    const exam = result('sst-101', { occurredAt: new Date(NOW.getTime() - 2 * H) });
    expect(decide(rd, { results: [exam], awards: [], now: NOW, fresh: [exam] })).toMatchObject({
      kind: 'pending',
      dueAt: new Date(exam.occurredAt.getTime() + 12 * H),
    });
    expect(decide(rd, { results: [exam], awards: [], now: new Date(NOW.getTime() + 10 * H), fresh: [] })).toMatchObject({ kind: 'issue' });
    // An exam two days ago: due already, issued now.
    const old = result('sst-101', { occurredAt: new Date(NOW.getTime() - 2 * DAY) });
    expect(decide(rd, { results: [old], awards: [], now: NOW, fresh: [old] })).toMatchObject({ kind: 'issue' });
  });

  it('refuses when the rules are disabled', () => {
    const r = result('sst-101');
    expect(decide({ ...rules(), enabled: false }, { results: [r], awards: [], now: NOW, fresh: [r] })).toEqual({ kind: 'refused', reason: 'rules_disabled' });
  });
});

describe('validateRules', () => {
  it('reads the console form', () => {
    expect(
      validateRules({
        enabled: 'on',
        activities: 'SST-101, sst-102\nSST-101',
        mode: 'any',
        minScore: '62,5',
        requirePassed: 'on',
        policy: 'recertify',
        renewWithinDays: '60',
        delayMinutes: '720',
      }),
    ).toEqual({
      enabled: true,
      activities: ['sst-101', 'sst-102'],
      mode: 'any',
      minScore: 62.5,
      requirePassed: true,
      policy: 'recertify',
      renewWithinDays: 60,
      delayMinutes: 720,
    });
    expect(validateRules({ activities: '' })).toMatchObject({ enabled: false, activities: [], minScore: null, delayMinutes: 0, requirePassed: false });
  });

  it('names the field of every problem', () => {
    expectAppError(() => validateRules({ enabled: 'on', activities: '' }), 'RULES_ACTIVITIES_INVALID', undefined, { field: 'activities' });
    expectAppError(() => validateRules({ activities: 'bad key!' }), 'RULES_ACTIVITIES_INVALID', undefined, { field: 'activities' });
    expectAppError(() => validateRules({ activities: Array.from({ length: 21 }, (_, i) => `a${i}`) }), 'RULES_ACTIVITIES_INVALID', undefined, {
      field: 'activities',
    });
    expectAppError(() => validateRules({ minScore: 'soixante' }), 'RULES_SCORE_INVALID', undefined, { field: 'minScore' });
    expectAppError(() => validateRules({ delayMinutes: '-1' }), 'RULES_DELAY_INVALID', undefined, { field: 'delayMinutes' });
    expectAppError(() => validateRules({ delayMinutes: '43201' }), 'RULES_DELAY_INVALID', undefined, { field: 'delayMinutes' });
    expectAppError(() => validateRules({ delayMinutes: '1.5' }), 'RULES_DELAY_INVALID', undefined, { field: 'delayMinutes' });
    expectAppError(() => validateRules({ renewWithinDays: 'x' }), 'RULES_RENEWAL_INVALID', undefined, { field: 'renewWithinDays' });
    expectAppError(() => validateRules({ mode: 'most' }), 'VALIDATION_FAILED', undefined, { field: 'mode' });
    expectAppError(() => validateRules({ policy: 'twice' }), 'VALIDATION_FAILED', undefined, { field: 'policy' });
  });

  it('round-trips through storage; unreadable stored rules are disabled', () => {
    const r = rules({ activities: ['a', 'b'], delayMinutes: 5 });
    expect(parseStoredRules(JSON.stringify(r))).toEqual(r);
    expect(parseStoredRules(null)).toBeNull();
    expect(parseStoredRules('{not json')?.enabled).toBe(false);
  });
});

describe('results input', () => {
  it('reads dates with or without time and offset (UTC when none)', () => {
    expect(parseResultDate('2026-06-15')?.toISOString()).toBe('2026-06-15T00:00:00.000Z');
    expect(parseResultDate('2026-06-15T09:30:00Z')?.toISOString()).toBe('2026-06-15T09:30:00.000Z');
    expect(parseResultDate('2026-06-15T09:30:00-04:00')?.toISOString()).toBe('2026-06-15T13:30:00.000Z');
    expect(parseResultDate('2026-06-15T09:30+0200')?.toISOString()).toBe('2026-06-15T07:30:00.000Z');
    expect(parseResultDate('2026-06-15 09:30')?.toISOString()).toBe('2026-06-15T09:30:00.000Z');
    expect(parseResultDate('15/06/2026 8:05')?.toISOString()).toBe('2026-06-15T08:05:00.000Z');
    expect(parseResultDate('2026-06-15T09:30:00')?.toISOString()).toBe('2026-06-15T09:30:00.000Z');
    for (const bad of ['', '2026-02-30', '2026-06-15T25:00:00Z', 'hier', '15/06/26', '2026-06-15T09:61']) expect(parseResultDate(bad), bad).toBeUndefined();
  });

  it('reports every problem of every item and keeps nothing when one is invalid', () => {
    const good = { email: ' Zoe@Example.org ', name: 'Zoé  Tremblay', activity: 'SST-101', score: '78,5 %', passed: 'Oui', date: '15/06/2026' };
    const ok = validateResults([good], NOW);
    expect(ok.errors).toEqual([]);
    expect(ok.results[0]).toMatchObject({ email: 'zoe@example.org', name: 'Zoé Tremblay', activity: 'sst-101', score: 78.5, passed: true });
    const bad = validateResults([good, { email: 'nope', name: '', activity: 'a b', score: 'A+', passed: 'peut-être', date: '2026-06-17' }], NOW);
    expect(bad.results).toEqual([]);
    expect(bad.errors.map((e) => `${e.index}:${e.target}:${e.code}`)).toEqual([
      '1:email:EMAIL_INVALID',
      '1:name:RECIPIENT_NAME_INVALID',
      '1:activity:RESULT_ACTIVITY_INVALID',
      '1:score:RESULT_SCORE_INVALID',
      '1:passed:RESULT_PASSED_INVALID',
      '1:date:RESULT_DATE_INVALID',
    ]);
    expect(validateResults([{ ...good, score: Number.NaN }], NOW).errors[0]?.code).toBe('RESULT_SCORE_INVALID');
    expect(validateResults([{ ...good, passed: false, score: null }], NOW).results[0]).toMatchObject({ passed: false, score: null });
  });

  it('puts the score in a number or grade field named score, else note', () => {
    const { content } = validateTemplate(TEMPLATE_INPUT);
    expect(scoreFieldOf(content)?.key).toBe('note');
    expect(scoreFieldOf({ ...content, fields: [...content.fields, { key: 'score', label: { fr: 'Score' }, type: 'number', required: false }] })?.key).toBe(
      'score',
    );
    expect(scoreFieldOf({ ...content, fields: [{ key: 'note', label: { fr: 'Note' }, type: 'text', required: false }] })).toBeUndefined();
  });
});
