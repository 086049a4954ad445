/**
 * Automatic issuance rules of a template, and the pure decision function that applies them to a learner's results.
 *
 * A result (from `POST /api/v1/results` or a CSV import) names an activity: an exam, a teaching unit, a course code.
 * A template's rules say which activities earn its credential and how:
 *
 * - `activities` + `mode`: all of them (`all`) or any one of them (`any`). Activity keys are compared in lower case.
 * - A result COUNTS for its activity when it is not explicitly failed (`passed: false` never counts), when
 *   `requirePassed` is off or the result says `passed: true`, and when `minScore` is unset or the score is at least
 *   `minScore` (a missing score does not reach a minimum). Per activity the learner's BEST counting result is used
 *   (highest score, then the earliest).
 * - `policy: 'once'`: one credential per learner (e-mail): refused while a credential of this template that is not
 *   revoked exists (suspended and expired ones included). `policy: 'recertify'`: a new credential when the previous
 *   one (the latest not revoked) has expired or expires within `renewWithinDays` days, earned only by results dated
 *   AFTER that previous credential was issued; a lifetime credential is never renewed.
 * - `delayMinutes` (0 = immediately): the credential is issued that long after the requirement was met, i.e. after
 *   the counted result's date (`all`: the latest counted result; `any`: the earliest). Certassur's "about half a day
 *   after the exam" is 720. Until then the decision is `pending` and the holder sees "expected around HH:MM".
 *
 * `decide` is pure: same rules, results, awards and time → same decision (the log can be replayed).
 */
import { AppError } from '../shared/errors.js';

export const RULE_MODES = ['all', 'any'] as const;
export type RuleMode = (typeof RULE_MODES)[number];
export const RULE_POLICIES = ['once', 'recertify'] as const;
export type RulePolicy = (typeof RULE_POLICIES)[number];

export const RULE_LIMITS = {
  activities: 20,
  activityKey: 100,
  /** 30 days. */
  delayMinutes: 43_200,
  renewWithinDays: 3650,
  score: 1_000_000,
} as const;

/** `[a-z0-9]` then letters, digits, `.`, `_`, `:`, `-` (exam, unit or course codes); compared in lower case. */
export const ACTIVITY_KEY_RE = /^[a-z0-9][a-z0-9._:-]{0,99}$/;

export interface IssuanceRules {
  enabled: boolean;
  activities: string[];
  mode: RuleMode;
  minScore: number | null;
  requirePassed: boolean;
  policy: RulePolicy;
  /** recertify: re-issue when the previous credential expires within this many days (0: only once expired). */
  renewWithinDays: number;
  delayMinutes: number;
}

export const DEFAULT_RULES: IssuanceRules = {
  enabled: false,
  activities: [],
  mode: 'all',
  minScore: null,
  requirePassed: true,
  policy: 'once',
  renewWithinDays: 30,
  delayMinutes: 0,
};

/** One result of a learner for one activity (already validated). */
export interface LearnerResult {
  id: string;
  orgId: string;
  email: string;
  name: string;
  learnerId: string | null;
  /** Lower-case activity key. */
  activity: string;
  score: number | null;
  passed: boolean | null;
  occurredAt: Date;
  source: 'api' | 'csv';
  receivedAt: Date;
}

/** What `decide` needs to know of the learner's existing credentials of the template. */
export interface PriorAward {
  id: string;
  createdAt: Date;
  validUntil: Date | null;
  revoked: boolean;
}

export type DecisionKind = 'issued' | 'pending' | 'not_yet' | 'refused';
export const DECISION_KINDS: readonly DecisionKind[] = ['issued', 'pending', 'not_yet', 'refused'];

/** Why a decision is not (yet) an issuance. */
export const DECISION_REASONS = [
  'activities_missing',
  'score_below_min',
  'score_missing',
  'failed',
  'not_passed',
  'already_issued',
  'not_due_for_renewal',
  'recipient_invalid',
  'issue_failed',
  'rules_disabled',
  'template_archived',
] as const;
export type DecisionReason = (typeof DECISION_REASONS)[number];

export type Verdict =
  /** Issue now; `result` completed the requirement, `score` goes into the template's score field. */
  | { kind: 'issue'; result: LearnerResult; score: number | null; counted: LearnerResult[] }
  | { kind: 'pending'; dueAt: Date; result: LearnerResult; score: number | null; counted: LearnerResult[] }
  | { kind: 'not_yet'; reason: 'activities_missing'; missing: string[] }
  | { kind: 'refused'; reason: DecisionReason; details?: Record<string, string | number | null> };

type Disqualification = 'failed' | 'not_passed' | 'score_missing' | 'score_below_min';

/** Why a result does not count for its activity (undefined: it counts). */
export function disqualification(rules: IssuanceRules, r: Pick<LearnerResult, 'score' | 'passed'>): Disqualification | undefined {
  if (r.passed === false) return 'failed';
  if (rules.requirePassed && r.passed !== true) return 'not_passed';
  if (rules.minScore !== null) {
    if (r.score === null) return 'score_missing';
    if (r.score < rules.minScore) return 'score_below_min';
  }
  return undefined;
}

const better = (a: LearnerResult, b: LearnerResult) => {
  const sa = a.score ?? Number.NEGATIVE_INFINITY;
  const sb = b.score ?? Number.NEGATIVE_INFINITY;
  if (sa !== sb) return sa > sb;
  return a.occurredAt.getTime() < b.occurredAt.getTime() || (a.occurredAt.getTime() === b.occurredAt.getTime() && a.id < b.id);
};

/**
 * The decision for one learner and one template.
 *
 * `results`: every result of the learner (the function keeps those of the rules' activities); `awards`: the learner's
 * existing credentials of this template; `fresh`: the results that triggered this evaluation (empty when a delayed decision comes due): when none of
 *   them counts and their activity has no other counting result, the decision is `refused` with their reason.
 */
export function decide(
  rules: IssuanceRules,
  { results, awards, now, fresh = [] }: { results: LearnerResult[]; awards: PriorAward[]; now: Date; fresh?: LearnerResult[] },
): Verdict {
  if (!rules.enabled || !rules.activities.length) return { kind: 'refused', reason: 'rules_disabled' };
  const live = awards.filter((a) => !a.revoked).sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  let since: Date | null = null;
  if (live.length) {
    const last = live[0]!;
    if (rules.policy === 'once') return { kind: 'refused', reason: 'already_issued' };
    if (last.validUntil === null) return { kind: 'refused', reason: 'already_issued' };
    const renewFrom = new Date(last.validUntil.getTime() - rules.renewWithinDays * 86_400_000);
    if (now.getTime() < renewFrom.getTime()) return { kind: 'refused', reason: 'not_due_for_renewal', details: { renewFrom: renewFrom.toISOString() } };
    since = last.createdAt;
  }
  const wanted = new Set(rules.activities);
  const relevant = results.filter((r) => wanted.has(r.activity) && (since === null || r.occurredAt.getTime() > since.getTime()));
  const counted = new Map<string, LearnerResult>();
  for (const r of relevant) {
    if (disqualification(rules, r) !== undefined) continue;
    const cur = counted.get(r.activity);
    if (!cur || better(r, cur)) counted.set(r.activity, r);
  }
  const freshHere = fresh.filter((r) => wanted.has(r.activity));
  if (freshHere.length && freshHere.every((r) => disqualification(rules, r) !== undefined && !counted.has(r.activity))) {
    const r = freshHere[freshHere.length - 1]!;
    const reason = disqualification(rules, r)!;
    return { kind: 'refused', reason, details: { activity: r.activity, score: r.score, minScore: rules.minScore } };
  }
  const list = rules.activities.map((a) => counted.get(a)).filter((r): r is LearnerResult => r !== undefined);
  if (rules.mode === 'all') {
    const missing = rules.activities.filter((a) => !counted.has(a));
    if (missing.length) return { kind: 'not_yet', reason: 'activities_missing', missing };
  } else if (!list.length) {
    return { kind: 'not_yet', reason: 'activities_missing', missing: [...rules.activities] };
  }
  // The result that completed the requirement: all-of → the latest counted one; any-of → the earliest.
  const byDate = [...list].sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || (a.id < b.id ? -1 : 1));
  const result = rules.mode === 'all' ? byDate[byDate.length - 1]! : byDate[0]!;
  // The score written into the credential: the counted result of a fresh activity if any, else the completing one.
  const scored = freshHere.map((r) => counted.get(r.activity)).find((r) => r !== undefined) ?? result;
  const dueAt = new Date(result.occurredAt.getTime() + rules.delayMinutes * 60_000);
  if (dueAt.getTime() > now.getTime()) return { kind: 'pending', dueAt, result, score: scored.score, counted: list };
  return { kind: 'issue', result, score: scored.score, counted: list };
}

// ---- Validation ------------------------------------------------------------------------------------------

/** Raw rules from the console form or a JSON body. */
export interface RulesInput {
  enabled?: unknown;
  activities?: unknown;
  mode?: unknown;
  minScore?: unknown;
  requirePassed?: unknown;
  policy?: unknown;
  renewWithinDays?: unknown;
  delayMinutes?: unknown;
}

const truthy = (v: unknown) => v === true || v === 'true' || v === 'on' || v === '1' || v === 1;

function number(raw: unknown): number | null | undefined {
  if (raw === undefined || raw === null || raw === '') return null;
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined;
  if (typeof raw !== 'string') return undefined;
  const s = raw.replace(/[\s\u00a0\u202f]/g, '').replace(',', '.');
  if (!/^[+-]?(\d+(\.\d+)?|\.\d+)$/.test(s)) return undefined;
  return Number(s);
}

function integer(raw: unknown, field: string, max: number, code: 'RULES_DELAY_INVALID' | 'RULES_RENEWAL_INVALID', fallback: number): number {
  const n = number(raw);
  if (n === null) return fallback;
  if (n === undefined || !Number.isInteger(n) || n < 0 || n > max) throw new AppError(code, { max }, { field });
  return n;
}

/** Lower-cased activity key, or undefined when it is not one. */
export function activityKey(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const k = raw.normalize('NFC').trim().toLowerCase();
  return ACTIVITY_KEY_RE.test(k) ? k : undefined;
}

/** Checks rules from a form (activities as a comma/newline separated text) or JSON (an array). */
export function validateRules(input: RulesInput): IssuanceRules {
  const enabled = truthy(input.enabled);
  const rawList = Array.isArray(input.activities)
    ? input.activities
    : typeof input.activities === 'string'
      ? input.activities.split(/[\s,;]+/).filter(Boolean)
      : input.activities === undefined || input.activities === null
        ? []
        : undefined;
  if (rawList === undefined || rawList.length > RULE_LIMITS.activities) {
    throw new AppError('RULES_ACTIVITIES_INVALID', { max: RULE_LIMITS.activities }, { field: 'activities' });
  }
  const activities: string[] = [];
  for (const raw of rawList) {
    const k = activityKey(raw);
    if (!k) throw new AppError('RULES_ACTIVITIES_INVALID', { max: RULE_LIMITS.activities }, { field: 'activities' });
    if (!activities.includes(k)) activities.push(k);
  }
  if (enabled && !activities.length) throw new AppError('RULES_ACTIVITIES_INVALID', { max: RULE_LIMITS.activities }, { field: 'activities' });
  const mode = input.mode === undefined || input.mode === '' ? 'all' : input.mode;
  if (!RULE_MODES.includes(mode as RuleMode)) throw new AppError('VALIDATION_FAILED', {}, { field: 'mode' });
  const policy = input.policy === undefined || input.policy === '' ? 'once' : input.policy;
  if (!RULE_POLICIES.includes(policy as RulePolicy)) throw new AppError('VALIDATION_FAILED', {}, { field: 'policy' });
  const minScore = number(input.minScore);
  if (minScore === undefined || (minScore !== null && Math.abs(minScore) > RULE_LIMITS.score)) {
    throw new AppError('RULES_SCORE_INVALID', { max: RULE_LIMITS.score }, { field: 'minScore' });
  }
  return {
    enabled,
    activities,
    mode: mode as RuleMode,
    minScore,
    requirePassed: truthy(input.requirePassed),
    policy: policy as RulePolicy,
    renewWithinDays: integer(input.renewWithinDays, 'renewWithinDays', RULE_LIMITS.renewWithinDays, 'RULES_RENEWAL_INVALID', DEFAULT_RULES.renewWithinDays),
    delayMinutes: integer(input.delayMinutes, 'delayMinutes', RULE_LIMITS.delayMinutes, 'RULES_DELAY_INVALID', 0),
  };
}

/** Rules read back from storage (tolerant: anything unreadable is "disabled"). */
export function parseStoredRules(json: string | null): IssuanceRules | null {
  if (!json) return null;
  try {
    return validateRules(JSON.parse(json) as RulesInput);
  } catch {
    return { ...DEFAULT_RULES };
  }
}
