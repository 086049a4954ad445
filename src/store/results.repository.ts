import type { Kysely, Selectable } from 'kysely';
import type { LocalizedText, TemplateContent } from '../domain/templates/model.js';
import { type DecisionKind, type DecisionReason, type LearnerResult, parseStoredRules } from '../domain/issuance/rules.js';
import { affected, fromDate, fromDateOrNull, parseJson, toDate, toDateOrNull } from './mappers.js';
import { keyset, toPage } from './pagination.js';
import type { Database, IssuanceDecisionsTable, ResultsTable } from './tables.js';
import type { IssuanceDecision, IssuanceDecisionView, ResultsRepository } from '../domain/issuance/ports.js';

const toResult = (r: Selectable<ResultsTable>): LearnerResult => ({
  id: r.id,
  orgId: r.org_id,
  email: r.learner_email,
  name: r.learner_name,
  learnerId: r.learner_id,
  activity: r.activity,
  score: r.score === null ? null : Number(r.score),
  passed: r.passed === null ? null : Number(r.passed) === 1,
  occurredAt: toDate(r.occurred_at),
  source: r.source as LearnerResult['source'],
  receivedAt: toDate(r.received_at),
});

const toDecision = (r: Selectable<IssuanceDecisionsTable>): IssuanceDecision => ({
  id: r.id,
  orgId: r.org_id,
  templateId: r.template_id,
  email: r.learner_email,
  name: r.learner_name,
  learnerId: r.learner_id,
  resultId: r.result_id,
  decision: r.decision as DecisionKind,
  reason: r.reason as DecisionReason | null,
  details: parseJson<Record<string, string | number | null>>(r.details),
  score: r.score === null ? null : Number(r.score),
  dueAt: toDateOrNull(r.due_at),
  awardId: r.award_id,
  createdAt: toDate(r.created_at),
  decidedAt: toDateOrNull(r.decided_at),
});

const nameOf = (content: string): LocalizedText => (JSON.parse(content) as TemplateContent).name;

export function resultsRepository(db: Kysely<Database>): ResultsRepository {
  const decisionViews = () =>
    db
      .selectFrom('issuance_decisions')
      .innerJoin('templates', 'templates.id', 'issuance_decisions.template_id')
      .innerJoin('template_versions', (j) =>
        j.onRef('template_versions.template_id', '=', 'templates.id').onRef('template_versions.version', '=', 'templates.version'),
      )
      .leftJoin('credentials', 'credentials.id', 'issuance_decisions.award_id')
      .selectAll('issuance_decisions')
      .select(['template_versions.content', 'credentials.credential_id']);

  return {
    async insertResults(results) {
      for (let i = 0; i < results.length; i += 200) {
        const slice = results.slice(i, i + 200);
        await db
          .insertInto('results')
          .values(
            slice.map((r) => ({
              id: r.id,
              org_id: r.orgId,
              learner_email: r.email,
              learner_name: r.name,
              learner_id: r.learnerId,
              activity: r.activity,
              score: r.score,
              passed: r.passed === null ? null : r.passed ? 1 : 0,
              occurred_at: fromDate(r.occurredAt),
              source: r.source,
              fingerprint: r.fingerprint,
              received_at: fromDate(r.receivedAt),
            })),
          )
          .onConflict((oc) => oc.columns(['org_id', 'fingerprint']).doNothing())
          .execute();
      }
      const ids = new Map<string, string>();
      const orgId = results[0]?.orgId;
      const prints = [...new Set(results.map((r) => r.fingerprint))];
      for (let i = 0; orgId && i < prints.length; i += 500) {
        const rows = await db
          .selectFrom('results')
          .select(['id', 'fingerprint'])
          .where('org_id', '=', orgId)
          .where('fingerprint', 'in', prints.slice(i, i + 500))
          .execute();
        for (const r of rows) ids.set(r.fingerprint, r.id);
      }
      return results.map((r) => ids.get(r.fingerprint) ?? r.id);
    },
    async resultsOf(orgId, email, activities) {
      if (!activities.length) return [];
      const rows = await db
        .selectFrom('results')
        .selectAll()
        .where('org_id', '=', orgId)
        .where('learner_email', '=', email)
        .where('activity', 'in', activities)
        .orderBy('occurred_at')
        .orderBy('id')
        .execute();
      return rows.map(toResult);
    },
    async rulesOfOrg(orgId) {
      const rows = await db
        .selectFrom('templates')
        .select(['id', 'rules'])
        .where('org_id', '=', orgId)
        .where('status', '=', 'active')
        .where('rules', 'is not', null)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map((r) => ({ templateId: r.id, rules: parseStoredRules(r.rules)! }));
    },
    async getRules(orgId, templateId) {
      const r = await db.selectFrom('templates').select('rules').where('org_id', '=', orgId).where('id', '=', templateId).executeTakeFirst();
      return r ? parseStoredRules(r.rules) : null;
    },
    async setRules(orgId, templateId, rules) {
      await db
        .updateTable('templates')
        .set({ rules: JSON.stringify(rules) })
        .where('org_id', '=', orgId)
        .where('id', '=', templateId)
        .execute();
    },
    async priorAwards(orgId, templateId, email) {
      const rows = await db
        .selectFrom('awards')
        .innerJoin('credentials', 'credentials.id', 'awards.id')
        .select(['awards.id', 'awards.created_at', 'credentials.valid_until', 'credentials.revoked_at'])
        .where('awards.org_id', '=', orgId)
        .where('awards.template_id', '=', templateId)
        .where('awards.recipient_email', '=', email)
        .execute();
      return rows.map((r) => ({ id: r.id, createdAt: toDate(r.created_at), validUntil: toDateOrNull(r.valid_until), revoked: r.revoked_at !== null }));
    },
    async insertPending(d) {
      const r = await db
        .insertInto('issuance_decisions')
        .values({
          id: d.id,
          org_id: d.orgId,
          template_id: d.templateId,
          learner_email: d.email,
          learner_name: d.name,
          learner_id: d.learnerId,
          result_id: d.resultId,
          decision: 'pending',
          reason: null,
          details: null,
          score: d.score,
          due_at: fromDateOrNull(d.dueAt),
          award_id: null,
          created_at: fromDate(d.createdAt),
          decided_at: null,
        })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      return Number(r?.numInsertedOrUpdatedRows ?? 0n) > 0;
    },
    async findPending(templateId, email) {
      const r = await db
        .selectFrom('issuance_decisions')
        .selectAll()
        .where('template_id', '=', templateId)
        .where('learner_email', '=', email)
        .where('decision', '=', 'pending')
        .executeTakeFirst();
      return r && toDecision(r);
    },
    async findDecision(orgId, id) {
      let q = db.selectFrom('issuance_decisions').selectAll().where('id', '=', id);
      if (orgId !== null) q = q.where('org_id', '=', orgId);
      const r = await q.executeTakeFirst();
      return r && toDecision(r);
    },
    async settle(id, o) {
      const r = await db
        .updateTable('issuance_decisions')
        .set({
          decision: o.decision,
          reason: o.reason,
          details: o.details ? JSON.stringify(o.details) : null,
          award_id: o.awardId,
          decided_at: fromDateOrNull(o.decidedAt),
          ...(o.decision === 'pending' ? {} : { due_at: null }),
          ...(o.resultId !== undefined ? { result_id: o.resultId } : {}),
        })
        .where('id', '=', id)
        .where('decision', '=', 'pending')
        .executeTakeFirst();
      return affected(r) === 1;
    },
    async reschedule(id, dueAt, resultId, score) {
      await db
        .updateTable('issuance_decisions')
        .set({ due_at: fromDate(dueAt), result_id: resultId, score })
        .where('id', '=', id)
        .where('decision', '=', 'pending')
        .execute();
    },
    async listDecisions(orgId, page) {
      const rows = await keyset(decisionViews().where('issuance_decisions.org_id', '=', orgId), page, {
        t: 'issuance_decisions.created_at',
        id: 'issuance_decisions.id',
      }).execute();
      return toPage(rows, page, {
        positionOf: (r) => ({ t: r.created_at, id: r.id }),
        map: (r): IssuanceDecisionView => ({
          ...toDecision(r),
          templateName: nameOf(r.content),
          credentialId: r.credential_id ?? null,
        }),
      });
    },
    async listDuePending(before, limit) {
      const rows = await db
        .selectFrom('issuance_decisions')
        .select(['id', 'due_at'])
        .where('decision', '=', 'pending')
        .where('due_at', '<', fromDate(before))
        .orderBy('due_at')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ id: r.id, dueAt: toDate(r.due_at!) }));
    },
    async pendingForEmails(emails) {
      if (!emails.length) return [];
      const rows = await db
        .selectFrom('issuance_decisions')
        .innerJoin('organizations', 'organizations.id', 'issuance_decisions.org_id')
        .innerJoin('templates', 'templates.id', 'issuance_decisions.template_id')
        .innerJoin('template_versions', (j) =>
          j.onRef('template_versions.template_id', '=', 'templates.id').onRef('template_versions.version', '=', 'templates.version'),
        )
        .select([
          'issuance_decisions.id',
          'issuance_decisions.due_at',
          'organizations.name as org_name',
          'organizations.time_zone as org_time_zone',
          'template_versions.content',
        ])
        .where('issuance_decisions.decision', '=', 'pending')
        .where('issuance_decisions.learner_email', 'in', emails.slice(0, 100))
        .orderBy('issuance_decisions.due_at')
        .limit(100)
        .execute();
      return rows.map((r) => ({
        decisionId: r.id,
        orgName: r.org_name,
        orgTimeZone: r.org_time_zone,
        templateName: nameOf(r.content),
        dueAt: toDate(r.due_at!),
      }));
    },
  };
}
