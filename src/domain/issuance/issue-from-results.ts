/**
 * Automatic issuance from results (CVTrust after each passed unit, Certassur about half a day after the exam,
 * Open edX on a passing grade).
 *
 * Results arrive by the API (`POST /api/v1/results`) or as a CSV in the console. A batch is validated as a whole:
 * one invalid item and nothing is stored. Then every active template whose enabled rules mention one of the
 * results' activities is evaluated for each learner (see rules.ts) and every evaluation is logged as a decision:
 *
 * - `issued`: issued at once through `issueBatch` (the learner's name, e-mail and learner id; the score goes into
 *   the template's field named `score` or `note` when it is of type number or grade — no other field is filled, so a
 *   template with another required field refuses with `recipient_invalid`);
 * - `pending`: a delay applies; the decision carries `due_at` and a job `results.issue@1 { decisionId }` runs then
 *   (the worker's sweeper re-enqueues overdue pending decisions after a crash). Meanwhile the holder sees
 *   "pending, expected around HH:MM";
 * - `not_yet` (activities missing) and `refused` (why) are logged too.
 *
 * Exactly once: a (template, learner) has at most one `pending` decision (unique index). Every evaluation first
 * takes that slot, then reads the learner's credentials and results and decides; an issuance moves the decision
 * from `pending` to `issued` inside the very transaction that stores the credential, so a replayed request, a
 * re-delivered result, a retried job or two concurrent requests never issue twice.
 */
import { recordAudit } from '../shared/audit.js';
import { AppError, type ErrorCode } from '../shared/errors.js';
import type { Actor, Page, PageRequest } from '../shared/model.js';
import { type OrgScope, authorize } from '../shared/policies.js';
import type { Repositories } from '../shared/store.js';
import { normalizeEmail, normalizeName } from '../shared/validation.js';
import { checkRecipients, normalizeDate, normalizeNumber } from './check-recipients.js';
import { issueBatch } from './issue-batch.js';
import type { Template, TemplateContent, TemplateField } from '../templates/model.js';
import { type IssuanceRules, type LearnerResult, type RulesInput, type Verdict, RULE_LIMITS, activityKey, decide, validateRules } from './rules.js';
import type { Organization } from '../organizations/model.js';
import type { Recipient } from './model.js';
import type { IssuanceDeps } from './deps.js';
import type { IssuanceDecision, IssuanceDecisionView, PendingCredential } from './ports.js';

export type ResultsDeps = IssuanceDeps;

/** Results per API call. */
export const RESULTS_PER_CALL = 1000;
/** Rows of a results file imported from the console. */
export const RESULTS_PER_FILE = 10_000;
/** A result dated further in the future than this is refused (clock skew allowance). */
const FUTURE_SLACK_MS = 24 * 3_600_000;
/** A pending decision this overdue has lost its job (crash between commit and enqueue): the sweeper enqueues it again. */
export const DECISION_SWEEP_AGE_MS = 60_000;

// ---- Validation --------------------------------------------------------------------------------------------

/** One raw result: API values (numbers, booleans) or CSV cells (strings). */
export interface ResultInput {
  email?: unknown;
  name?: unknown;
  learnerId?: unknown;
  activity?: unknown;
  score?: unknown;
  passed?: unknown;
  date?: unknown;
}

export interface ResultItemError {
  /** Position in the batch (0-based). */
  index: number;
  /** `email`, `name`, `learnerId`, `activity`, `score`, `passed` or `date`. */
  target: string;
  code: ErrorCode;
}

export type ValidResult = Omit<LearnerResult, 'id' | 'orgId' | 'source' | 'receivedAt'>;

const PASSED_WORDS: Record<string, boolean> = {
  oui: true,
  o: true,
  yes: true,
  y: true,
  true: true,
  vrai: true,
  '1': true,
  reussi: true,
  reussite: true,
  pass: true,
  passed: true,
  succes: true,
  admis: true,
  non: false,
  n: false,
  no: false,
  false: false,
  faux: false,
  '0': false,
  echoue: false,
  echec: false,
  fail: false,
  failed: false,
  ajourne: false,
  refuse: false,
};
const fold = (s: string) =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .trim();

/**
 * `2026-06-15` (midnight UTC), `2026-06-15T09:30:00Z` or with an offset (`-04:00`, `+0200`), a date-time without
 * offset (`2026-06-15T09:30`, `2026-06-15 09:30`: UTC) and the day-first forms `15/06/2026` or `15/06/2026 09:30` (UTC).
 */
export function parseResultDate(raw: string): Date | undefined {
  const s = raw.trim();
  let m = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i.exec(s);
  if (m) {
    const day = normalizeDate(m[1]!);
    const [h, min, sec] = [Number(m[2]), Number(m[3]), Number(m[4] ?? 0)];
    if (!day || h > 23 || min > 59 || sec > 59) return undefined;
    const d = new Date(s.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  m = /^(.+?)(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(s);
  if (!m) return undefined;
  const day = normalizeDate(m[1]!);
  if (!day) return undefined;
  const [h, min, sec] = [Number(m[2] ?? 0), Number(m[3] ?? 0), Number(m[4] ?? 0)];
  if (h > 23 || min > 59 || sec > 59) return undefined;
  return new Date(`${day}T${String(h).padStart(2, '0')}:${String(min).padStart(2, '0')}:${String(sec).padStart(2, '0')}Z`);
}

function validateItem(raw: ResultInput, index: number, now: Date): { result?: ValidResult; errors: ResultItemError[] } {
  const errors: ResultItemError[] = [];
  const err = (target: string, code: ErrorCode) => errors.push({ index, target, code });
  let email = '';
  let name = '';
  try {
    email = normalizeEmail(raw.email);
  } catch {
    err('email', 'EMAIL_INVALID');
  }
  try {
    name = normalizeName(raw.name, 'name', 200);
  } catch {
    err('name', 'RECIPIENT_NAME_INVALID');
  }
  let learnerId: string | null = null;
  if (raw.learnerId !== undefined && raw.learnerId !== null && raw.learnerId !== '') {
    const v = typeof raw.learnerId === 'string' || typeof raw.learnerId === 'number' ? String(raw.learnerId).trim() : '';
    if (!v || v.length > 100 || /[\u0000-\u001f\u007f]/.test(v)) err('learnerId', 'LEARNER_ID_INVALID');
    else learnerId = v;
  }
  const activity = activityKey(raw.activity);
  if (!activity) err('activity', 'RESULT_ACTIVITY_INVALID');
  let score: number | null = null;
  if (typeof raw.score === 'number') {
    if (!Number.isFinite(raw.score) || Math.abs(raw.score) > RULE_LIMITS.score) err('score', 'RESULT_SCORE_INVALID');
    else score = raw.score;
  } else if (typeof raw.score === 'string' && raw.score.trim() !== '') {
    const n = normalizeNumber(raw.score.replace(/%$/, ''));
    if (n === undefined || Math.abs(Number(n)) > RULE_LIMITS.score) err('score', 'RESULT_SCORE_INVALID');
    else score = Number(n);
  } else if (raw.score !== undefined && raw.score !== null && raw.score !== '') {
    err('score', 'RESULT_SCORE_INVALID');
  }
  let passed: boolean | null = null;
  if (typeof raw.passed === 'boolean') passed = raw.passed;
  else if (typeof raw.passed === 'string' && raw.passed.trim() !== '') {
    const v = PASSED_WORDS[fold(raw.passed)];
    if (v === undefined) err('passed', 'RESULT_PASSED_INVALID');
    else passed = v;
  } else if (raw.passed !== undefined && raw.passed !== null && raw.passed !== '') {
    err('passed', 'RESULT_PASSED_INVALID');
  }
  const occurredAt = typeof raw.date === 'string' && raw.date.length <= 40 ? parseResultDate(raw.date) : undefined;
  if (!occurredAt || occurredAt.getUTCFullYear() < 1900 || occurredAt.getTime() > now.getTime() + FUTURE_SLACK_MS) err('date', 'RESULT_DATE_INVALID');
  if (errors.length) return { errors };
  return { result: { email, name, learnerId, activity: activity!, score, passed, occurredAt: occurredAt! }, errors };
}

/** Checks every item and reports ALL problems; results only when every item is valid. */
export function validateResults(items: ResultInput[], now: Date): { results: ValidResult[]; errors: ResultItemError[] } {
  const results: ValidResult[] = [];
  const errors: ResultItemError[] = [];
  items.forEach((item, i) => {
    const r = validateItem(item, i, now);
    if (r.result) results.push(r.result);
    errors.push(...r.errors);
  });
  return errors.length ? { results: [], errors } : { results, errors };
}

// ---- Evaluation and issuance -------------------------------------------------------------------------------------

/** What a caller gets back for each decision taken (or found pending) for the received results. */
export interface DecisionOutcome {
  decision: IssuanceDecision;
  template: Pick<Template, 'id' | 'content'>;
  credentialId: string | null;
}

/** The template field that receives the score: `score`, else `note`, of type number or grade. */
export function scoreFieldOf(content: TemplateContent): TemplateField | undefined {
  const usable = content.fields.filter((f) => f.type === 'number' || f.type === 'grade');
  return usable.find((f) => f.key === 'score') ?? usable.find((f) => f.key === 'note');
}

class AlreadySettled extends Error {}

const outcomeOf = (verdict: Verdict) => {
  if (verdict.kind === 'not_yet') return { decision: 'not_yet' as const, reason: verdict.reason, details: { missing: verdict.missing.join(',') } };
  if (verdict.kind === 'refused') return { decision: 'refused' as const, reason: verdict.reason, details: verdict.details ?? null };
  return undefined;
};

/**
 * One evaluation: takes the (template, learner) pending slot, decides from the learner's results and credentials,
 * and stores the decision. An already pending decision is returned as is (`existing`).
 */
async function evaluate(
  deps: ResultsDeps,
  org: Organization,
  templateId: string,
  rules: IssuanceRules,
  learner: { email: string; name: string; learnerId: string | null },
  fresh: LearnerResult[],
): Promise<{ decision: IssuanceDecision; existing: boolean }> {
  const now = deps.clock.now();
  return deps.store.transaction(async (tx) => {
    const trigger = fresh[fresh.length - 1] ?? null;
    const decision: IssuanceDecision = {
      id: deps.secrets.newId(),
      orgId: org.id,
      templateId,
      email: learner.email,
      name: learner.name,
      learnerId: learner.learnerId,
      resultId: trigger?.id ?? null,
      decision: 'pending',
      reason: null,
      details: null,
      score: null,
      dueAt: now,
      awardId: null,
      createdAt: now,
      decidedAt: null,
    };
    if (!(await tx.results.insertPending(decision))) {
      const existing = await tx.results.findPending(templateId, learner.email);
      if (existing) return { decision: existing, existing: true };
      throw new AlreadySettled(); // the pending one settled in between: the caller evaluates again
    }
    const results = await tx.results.resultsOf(org.id, learner.email, rules.activities);
    const awards = await tx.results.priorAwards(org.id, templateId, learner.email);
    const verdict = decide(rules, { results, awards, now, fresh });
    const outcome = outcomeOf(verdict);
    if (outcome) {
      await tx.results.settle(decision.id, { ...outcome, awardId: null, decidedAt: now });
      return { decision: { ...decision, ...outcome, dueAt: null, decidedAt: now }, existing: false };
    }
    const v = verdict as Extract<Verdict, { kind: 'issue' | 'pending' }>;
    const dueAt = v.kind === 'pending' ? v.dueAt : now;
    await tx.results.reschedule(decision.id, dueAt, v.result.id, v.score);
    return { decision: { ...decision, dueAt, resultId: v.result.id, score: v.score }, existing: false };
  });
}

async function evaluateWithRetry(...args: Parameters<typeof evaluate>): ReturnType<typeof evaluate> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await evaluate(...args);
    } catch (e) {
      if (!(e instanceof AlreadySettled) || attempt >= 3) throw e;
    }
  }
}

/** The job of a delayed decision (idempotent per due time: a reschedule gets a job of its own). */
export async function enqueueDecision(deps: Pick<ResultsDeps, 'jobs'>, decisionId: string, dueAt: Date | null): Promise<void> {
  await deps.jobs.enqueue(
    'results.issue@1',
    { decisionId },
    {
      singletonKey: `${decisionId}@${dueAt?.toISOString() ?? ''}`,
      ...(dueAt ? { runAt: dueAt } : {}),
      maxAttempts: 10,
    },
  );
}

/**
 * Issues the due decisions of one template (all `pending`, due now). Each decision moves to `issued` in the
 * transaction that stores its credential; one that something else settled first is skipped. A recipient the
 * template cannot accept, or an issuance error, settles the decision as `refused` with the reason.
 */
async function issueDecisions(
  deps: ResultsDeps,
  actor: Actor,
  org: Organization,
  template: Template,
  decisions: IssuanceDecision[],
): Promise<Map<string, string>> {
  const issued = new Map<string, string>();
  const now = deps.clock.now();
  const refuse = (d: IssuanceDecision, reason: 'recipient_invalid' | 'issue_failed' | 'template_archived', details: Record<string, string> | null) =>
    deps.store.results.settle(d.id, { decision: 'refused', reason, details, awardId: null, decidedAt: now });
  if (template.status === 'archived') {
    for (const d of decisions) await refuse(d, 'template_archived', null);
    return issued;
  }
  // The learners become recipient drafts (the score in the template's score field), checked together.
  const field = scoreFieldOf(template.content);
  const checked = checkRecipients(
    template.content,
    decisions.map((d) => ({
      name: d.name,
      email: d.email,
      learnerId: d.learnerId,
      fields: field && d.score !== null ? { [field.key]: d.score } : {},
    })),
  );
  const valid = checked.recipients ?? checked.valid;
  const items: { decision: IssuanceDecision; recipient: Recipient }[] = [];
  for (const [i, d] of decisions.entries()) {
    if (valid[i]) items.push({ decision: d, recipient: valid[i]! });
    else {
      const codes = (checked.errors ?? []).filter((e) => e.index === i).map((e) => `${e.target}:${e.code}`);
      await refuse(d, 'recipient_invalid', { codes: codes.join(',') });
    }
  }
  const byEmail = new Map(items.map((i) => [i.recipient.email, i.decision.id]));
  const guarded: ResultsDeps = {
    ...deps,
    hooks: {
      ...deps.hooks,
      async onIssued(tx: Repositories, award, credentialId) {
        const id = byEmail.get(award.recipient.email);
        if (!id || !(await tx.results.settle(id, { decision: 'issued', reason: null, details: null, awardId: award.id, decidedAt: now })))
          throw new AlreadySettled();
        issued.set(id, credentialId);
        await deps.hooks?.onIssued?.(tx, award, credentialId);
      },
    },
  };
  const run = (batch: typeof items) => issueBatch(guarded, actor, { org, template, version: template.version, recipients: batch.map((i) => i.recipient) });
  if (!items.length) return issued;
  try {
    await run(items);
    return issued;
  } catch (e) {
    if (!(e instanceof AppError) && !(e instanceof AlreadySettled)) throw e;
    issued.clear();
  }
  // One failing item must not stop the others: one by one, each settled on its own.
  for (const item of items) {
    try {
      await run([item]);
    } catch (e) {
      if (e instanceof AlreadySettled) continue;
      if (!(e instanceof AppError)) throw e;
      await refuse(item.decision, 'issue_failed', { code: e.code });
    }
  }
  return issued;
}

/**
 * Stores validated results and takes every decision they trigger (`results.manage`; an API key names no
 * organisation). Returns the decisions in order (a pending decision that already existed for a template and learner
 * is returned instead of a new one).
 */
export async function receiveResults(
  deps: ResultsDeps,
  actor: Actor,
  input: { slug?: string; results: ValidResult[]; source: 'api' | 'csv' },
): Promise<DecisionOutcome[]> {
  const { org } = await authorize(deps, actor, { action: 'results.manage', slug: input.slug });
  return receive(deps, actor, org, input);
}

async function receive(
  deps: ResultsDeps,
  actor: Actor,
  org: Organization,
  { results: valid, source }: { results: ValidResult[]; source: 'api' | 'csv' },
): Promise<DecisionOutcome[]> {
  const now = deps.clock.now();
  const results: (LearnerResult & { fingerprint: string })[] = valid.map((r) => ({
    ...r,
    id: deps.secrets.newId(),
    orgId: org.id,
    source,
    receivedAt: now,
    fingerprint: deps.secrets.hashToken([r.email, r.activity, r.occurredAt.toISOString(), r.score ?? '', r.passed ?? ''].join('\n')),
  }));
  const ids = await deps.store.transaction(async (tx) => {
    const stored = await tx.results.insertResults(results);
    await recordAudit(tx, deps, { actor, action: 'results.received', orgId: org.id, details: { count: results.length, source } });
    return stored;
  });
  results.forEach((r, i) => {
    r.id = ids[i]!;
  });

  const ruled = (await deps.store.results.rulesOfOrg(org.id)).filter((x) => x.rules.enabled && x.rules.activities.length);
  const outcomes: DecisionOutcome[] = [];
  const toIssue = new Map<string, IssuanceDecision[]>();
  const delayed: IssuanceDecision[] = [];
  const templates = new Map<string, Template>();
  for (const { templateId, rules } of ruled) {
    const wanted = new Set(rules.activities);
    const byLearner = new Map<string, LearnerResult[]>();
    for (const r of results) if (wanted.has(r.activity)) byLearner.set(r.email, [...(byLearner.get(r.email) ?? []), r]);
    if (!byLearner.size) continue;
    const template = await deps.store.templates.find(org.id, templateId);
    if (!template) continue;
    templates.set(templateId, template);
    for (const fresh of byLearner.values()) {
      const last = fresh[fresh.length - 1]!;
      const { decision, existing } = await evaluateWithRetry(
        deps,
        org,
        templateId,
        rules,
        { email: last.email, name: last.name, learnerId: last.learnerId },
        fresh,
      );
      outcomes.push({ decision, template, credentialId: null });
      if (existing || decision.decision !== 'pending') continue;
      if (decision.dueAt && decision.dueAt.getTime() <= now.getTime()) toIssue.set(templateId, [...(toIssue.get(templateId) ?? []), decision]);
      else delayed.push(decision);
    }
  }
  const credentialIds = new Map<string, string>();
  for (const [templateId, decisions] of toIssue) {
    for (const [id, cid] of await issueDecisions(deps, actor, org, templates.get(templateId)!, decisions)) credentialIds.set(id, cid);
  }
  for (const d of delayed) {
    try {
      await enqueueDecision(deps, d.id, d.dueAt);
    } catch {
      // The worker's sweeper enqueues overdue pending decisions: nothing is lost.
    }
  }
  // Final state of what was issued (or refused while issuing).
  for (const o of outcomes) {
    if (!toIssue.get(o.template.id)?.some((d) => d.id === o.decision.id)) continue;
    o.decision = (await deps.store.results.findDecision(org.id, o.decision.id)) ?? o.decision;
    o.credentialId = credentialIds.get(o.decision.id) ?? null;
  }
  return outcomes;
}

/**
 * The worker's handler of `results.issue@1`: the decision is evaluated again at its due time (rules, results and
 * credentials as they are now) and issued, rescheduled, or settled. Safe to run twice or concurrently.
 */
export async function runDecision(deps: ResultsDeps, decisionId: string): Promise<void> {
  const d = await deps.store.results.findDecision(null, decisionId);
  if (!d || d.decision !== 'pending') return;
  const now = deps.clock.now();
  const settle = (outcome: ReturnType<typeof outcomeOf> & object) => deps.store.results.settle(d.id, { ...outcome, awardId: null, decidedAt: now });
  const org = await deps.store.organizations.findById(d.orgId);
  const template = org && (await deps.store.templates.find(org.id, d.templateId));
  if (!org || !template || template.status === 'archived') {
    await settle({ decision: 'refused', reason: 'template_archived', details: null });
    return;
  }
  const rules = await deps.store.results.getRules(org.id, template.id);
  if (!rules?.enabled || !rules.activities.length) {
    await settle({ decision: 'refused', reason: 'rules_disabled', details: null });
    return;
  }
  const results = await deps.store.results.resultsOf(org.id, d.email, rules.activities);
  const awards = await deps.store.results.priorAwards(org.id, template.id, d.email);
  const verdict = decide(rules, { results, awards, now });
  const outcome = outcomeOf(verdict);
  if (outcome) {
    await settle(outcome);
    return;
  }
  const v = verdict as Extract<Verdict, { kind: 'issue' | 'pending' }>;
  if (v.kind === 'pending') {
    await deps.store.results.reschedule(d.id, v.dueAt, v.result.id, v.score);
    await enqueueDecision(deps, d.id, v.dueAt);
    return;
  }
  await issueDecisions(deps, { kind: 'system' }, org, template, [{ ...d, score: v.score, resultId: v.result.id }]);
}

/** The sweeper: pending decisions whose due time passed a minute ago get their job again (crash after commit). */
export async function sweepDueDecisions(deps: Pick<ResultsDeps, 'jobs' | 'store' | 'clock'>, limit = 500): Promise<number> {
  const due = await deps.store.results.listDuePending(new Date(deps.clock.now().getTime() - DECISION_SWEEP_AGE_MS), limit);
  for (const d of due) await enqueueDecision(deps, d.id, d.dueAt);
  return due.length;
}

// ---- Reading ----------------------------------------------------------------------------------------------------

/** The decision log, newest first (`results.view`; an API key names no organisation). */
export async function listDecisions(
  deps: Pick<ResultsDeps, 'store'>,
  actor: Actor,
  input: { slug?: string; page: PageRequest },
): Promise<Page<IssuanceDecisionView>> {
  const { org } = await authorize(deps, actor, { action: 'results.view', slug: input.slug });
  return deps.store.results.listDecisions(org.id, input.page);
}

/** Delayed credentials addressed to these e-mails (the holder's verified addresses), soonest first. */
export async function listPendingForEmail(deps: Pick<ResultsDeps, 'store'>, emails: string[]): Promise<PendingCredential[]> {
  const list = [...new Set(emails.map((e) => e.toLowerCase()))];
  if (!list.length) return [];
  return (await deps.store.results.pendingForEmails(list)).sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
}

// ---- Rules -----------------------------------------------------------------------------------------------------

async function templateOf(deps: Pick<ResultsDeps, 'store'>, org: Organization, templateId: string): Promise<Template> {
  const template = typeof templateId === 'string' && templateId.length <= 64 ? await deps.store.templates.find(org.id, templateId) : undefined;
  if (!template) throw new AppError('NOT_FOUND');
  return template;
}

/** A template's rules (`results.view`). */
export async function getTemplateRules(
  deps: Pick<ResultsDeps, 'store'>,
  actor: Actor,
  input: { slug: string; templateId: string },
): Promise<{ scope: OrgScope; template: Template; rules: IssuanceRules | null }> {
  const scope = await authorize(deps, actor, { action: 'results.view', slug: input.slug });
  const template = await templateOf(deps, scope.org, input.templateId);
  return { scope, template, rules: await deps.store.results.getRules(scope.org.id, template.id) };
}

/** Saves a template's rules (`results.manage`); audited with the rules themselves (no personal data). */
export async function saveTemplateRules(
  deps: ResultsDeps,
  actor: Actor,
  input: { slug: string; templateId: string; rules: RulesInput },
): Promise<IssuanceRules> {
  const { org } = await authorize(deps, actor, { action: 'results.manage', slug: input.slug });
  const template = await templateOf(deps, org, input.templateId);
  const rules = validateRules(input.rules);
  await deps.store.transaction(async (tx) => {
    await tx.results.setRules(org.id, template.id, rules);
    await recordAudit(tx, deps, {
      actor,
      action: 'template.rules_updated',
      orgId: org.id,
      targetType: 'template',
      targetId: template.id,
      details: { ...rules },
    });
  });
  return rules;
}

/** The results page (`results.view`): the rules of every template of the organisation and a page of the decision log. */
export async function resultsOverview(
  deps: Pick<ResultsDeps, 'store'>,
  actor: Actor,
  input: { slug: string; page: PageRequest },
): Promise<{ scope: OrgScope; rules: { template: Template; rules: IssuanceRules | null }[]; log: Page<IssuanceDecisionView> }> {
  const scope = await authorize(deps, actor, { action: 'results.view', slug: input.slug });
  const [templates, rules, log] = await Promise.all([
    deps.store.templates.list(scope.org.id),
    deps.store.results.rulesOfOrg(scope.org.id),
    deps.store.results.listDecisions(scope.org.id, input.page),
  ]);
  const byId = new Map(rules.map((r) => [r.templateId, r.rules]));
  return { scope, rules: templates.map((t) => ({ template: t, rules: byId.get(t.id) ?? null })), log };
}

// ---- CSV import -----------------------------------------------------------------------------------------------

/** Columns of a results file, with the titles French and English files usually give them. */
export const RESULT_TARGETS: { key: keyof ResultInput; aliases: string[] }[] = [
  { key: 'email', aliases: ['courriel', 'email', 'e-mail', 'mail', 'adresse courriel', 'adresse électronique', 'email address'] },
  { key: 'name', aliases: ['nom', 'nom complet', 'name', 'full name', 'apprenant', 'candidat', 'learner', 'participant'] },
  { key: 'learnerId', aliases: ['matricule', 'learner id', 'student id', 'code permanent', 'numéro étudiant', 'identifiant'] },
  { key: 'activity', aliases: ['activité', 'activity', 'examen', 'exam', 'unité', 'unit', 'cours', 'course', 'épreuve', 'module'] },
  { key: 'score', aliases: ['note', 'score', 'résultat', 'points', 'grade', 'mark'] },
  { key: 'passed', aliases: ['réussi', 'passed', 'réussite', 'pass', 'admis', 'succès'] },
  { key: 'date', aliases: ['date', 'date de l’examen', "date de l'examen", 'date examen', 'exam date', 'passé le', 'completed', 'completed at'] },
];
const REQUIRED_COLUMNS: (keyof ResultInput)[] = ['email', 'name', 'activity', 'date'];

export interface CsvRowError {
  line: number;
  target: string;
  code: ErrorCode;
}

export type CsvImport =
  { ok: true; received: number; decisions: DecisionOutcome[] } | { ok: false; columns: Record<string, string | null>; errors: CsvRowError[]; rows: number };

/** Reads a results CSV/XLSX; any invalid row → the row report and nothing stored. */
export async function importResultsFile(deps: ResultsDeps, actor: Actor, input: { slug: string; bytes: Uint8Array }): Promise<CsvImport> {
  const { org } = await authorize(deps, actor, { action: 'results.manage', slug: input.slug });
  const bytes = input.bytes;
  const table = await deps.tabular.parse(bytes);
  if (!table.rows.length) throw new AppError('IMPORT_EMPTY');
  // Decided while the issuer waits: larger batches go through the API, 1,000 per call.
  if (table.rows.length > RESULTS_PER_FILE) throw new AppError('IMPORT_TOO_MANY_ROWS', { max: RESULTS_PER_FILE });
  const columns = deps.tabular.suggestMapping(table.headers, RESULT_TARGETS);
  const missing = REQUIRED_COLUMNS.filter((k) => !columns[k]);
  if (missing.length) {
    const names: Record<string, string> = { email: 'courriel', name: 'nom', activity: 'activité', date: 'date' };
    throw new AppError('RESULTS_COLUMNS_MISSING', { columns: missing.map((k) => names[k]).join(', ') }, { field: 'file' });
  }
  const index = new Map(
    Object.entries(columns)
      .filter(([, h]) => h)
      .map(([k, h]) => [k, table.headers.indexOf(h!)]),
  );
  const cell = (cells: string[], k: string) => {
    const i = index.get(k);
    return i === undefined ? undefined : (cells[i] ?? '');
  };
  const items: ResultInput[] = table.rows.map((r) => Object.fromEntries(RESULT_TARGETS.map((t) => [t.key, cell(r.cells, t.key)])));
  const { results, errors } = validateResults(items, deps.clock.now());
  if (errors.length) {
    return { ok: false, columns, rows: table.rows.length, errors: errors.map((e) => ({ line: table.rows[e.index]!.line, target: e.target, code: e.code })) };
  }
  const decisions = await receive(deps, actor, org, { results, source: 'csv' });
  return { ok: true, received: results.length, decisions };
}
