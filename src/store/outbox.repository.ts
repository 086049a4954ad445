import type { Kysely, Selectable } from 'kysely';
import type { Locale } from '../domain/shared/model.js';
import type { Secrets } from '../domain/shared/ports.js';
import { affected, fromDate, inSlices, toDate, toDateOrNull } from './mappers.js';
import type { Database } from './tables.js';
import type { MailKind, MailStatus, OutboxMail, OutgoingMail } from '../domain/shared/mail.js';
import type { OutboxRepository } from '../domain/shared/ports.js';

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}
export type MailRenderer = (mail: OutgoingMail) => RenderedMail;

const rowToMail = (r: Selectable<Database['mail_outbox']>): OutboxMail => ({
  id: r.id,
  idempotencyKey: r.idempotency_key,
  kind: r.kind as MailKind,
  to: r.to_address,
  locale: r.locale as Locale,
  subject: r.subject,
  status: r.status as MailStatus,
  attempts: r.attempts,
  lastError: r.last_error,
  createdAt: toDate(r.created_at),
  sentAt: toDateOrNull(r.sent_at),
});

/**
 * The transactional outbox. Bodies are rendered when the change happens (so the mail says what was true then)
 * and sealed with the master key: they carry one-time links, and no token is stored in clear.
 */
export function outboxRepository(
  db: Kysely<Database>,
  deps: { secrets: Secrets; render: MailRenderer; now: () => Date; onQueued: (mailId: string) => void },
): OutboxRepository {
  const repo: OutboxRepository = {
    async add(mail) {
      const [id] = await repo.addMany([mail as OutgoingMail]);
      return id!;
    },
    async addMany(mails) {
      const rows = mails.map((mail) => {
        const id = deps.secrets.newId();
        const rendered = deps.render(mail);
        return {
          id,
          idempotency_key: id,
          kind: mail.kind,
          to_address: mail.to,
          locale: mail.locale,
          subject: rendered.subject,
          body_enc: deps.secrets.seal(JSON.stringify({ text: rendered.text, html: rendered.html })),
          status: 'queued',
          attempts: 0,
          last_error: null,
          created_at: fromDate(deps.now()),
          sent_at: null,
        };
      });
      await inSlices(rows, (slice) => db.insertInto('mail_outbox').values(slice).execute());
      for (const r of rows) deps.onQueued(r.id);
      return rows.map((r) => r.id);
    },
    async findById(id) {
      const r = await db.selectFrom('mail_outbox').selectAll().where('id', '=', id).executeTakeFirst();
      return r && rowToMail(r);
    },
    async readBody(id) {
      const r = await db.selectFrom('mail_outbox').select(['subject', 'body_enc']).where('id', '=', id).executeTakeFirst();
      if (!r) return undefined;
      const body = JSON.parse(deps.secrets.open(r.body_enc)) as { text: string; html: string };
      return { subject: r.subject, ...body };
    },
    async list(limit) {
      return (await db.selectFrom('mail_outbox').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute()).map(rowToMail);
    },
    async markDelivered(id, status, at) {
      const r = await db
        .updateTable('mail_outbox')
        .set((eb) => ({ status, sent_at: fromDate(at), attempts: eb('attempts', '+', 1), last_error: null }))
        .where('id', '=', id)
        .where('status', '=', 'queued')
        .executeTakeFirst();
      return affected(r) === 1;
    },
    async recordAttempt(id, error, dead) {
      await db
        .updateTable('mail_outbox')
        .set((eb) => ({ attempts: eb('attempts', '+', 1), last_error: error?.slice(0, 1000) ?? null, ...(dead ? { status: 'dead' } : {}) }))
        .where('id', '=', id)
        .execute();
    },
    async listStaleQueued(before, limit) {
      return (
        await db
          .selectFrom('mail_outbox')
          .select('id')
          .where('status', '=', 'queued')
          .where('created_at', '<', fromDate(before))
          .orderBy('created_at')
          .limit(limit)
          .execute()
      ).map((r) => r.id);
    },
  };
  return repo;
}
