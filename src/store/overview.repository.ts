import type { Kysely } from 'kysely';
import type { OverviewRepository } from '../domain/organizations/ports.js';
import { fromDate } from './mappers.js';
import type { Database } from './tables.js';

/** The console overview's figures: one count per question, each on an indexed organisation column. */
export function overviewRepository(db: Kysely<Database>): OverviewRepository {
  return {
    async figures(orgId, monthStart) {
      const [issued, rows, decisions, failed, jobs, templates] = await Promise.all([
        db
          .selectFrom('credentials')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('org_id', '=', orgId)
          .where('created_at', '>=', fromDate(monthStart))
          .executeTakeFirst(),
        db
          .selectFrom('issuance_rows')
          .innerJoin('issuance_jobs', 'issuance_jobs.id', 'issuance_rows.job_id')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('issuance_jobs.org_id', '=', orgId)
          .where('issuance_jobs.status', 'in', ['queued', 'running'])
          .where('issuance_rows.status', '=', 'pending')
          .executeTakeFirst(),
        db
          .selectFrom('issuance_decisions')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('org_id', '=', orgId)
          .where('decision', '=', 'pending')
          .executeTakeFirst(),
        db
          .selectFrom('awards')
          .innerJoin('mail_outbox', 'mail_outbox.id', 'awards.mail_id')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('awards.org_id', '=', orgId)
          .where('mail_outbox.status', '=', 'dead')
          .executeTakeFirst(),
        db
          .selectFrom('issuance_jobs')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('org_id', '=', orgId)
          .where('status', 'in', ['queued', 'running'])
          .executeTakeFirst(),
        db
          .selectFrom('templates')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('org_id', '=', orgId)
          .executeTakeFirst(),
      ]);
      const n = (r: { n: number | string | bigint } | undefined) => Number(r?.n ?? 0);
      return {
        issuedThisMonth: n(issued),
        pendingRows: n(rows),
        pendingDecisions: n(decisions),
        failedDeliveries: n(failed),
        runningJobs: n(jobs),
        templates: n(templates),
      };
    },
    async localMails(orgId, templateId) {
      let q = db
        .selectFrom('awards')
        .innerJoin('mail_outbox', 'mail_outbox.id', 'awards.mail_id')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('awards.org_id', '=', orgId)
        .where('mail_outbox.status', '=', 'local');
      if (templateId) q = q.where('awards.template_id', '=', templateId);
      return Number((await q.executeTakeFirst())?.n ?? 0);
    },
  };
}
