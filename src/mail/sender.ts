import nodemailer from 'nodemailer';
import mimeFuncs from 'nodemailer/lib/mime-funcs/index.js';
import type { Clock } from '../domain/shared/ports.js';
import type { Store } from '../domain/shared/store.js';
import type { OutboxMail } from '../domain/shared/mail.js';

export interface MailTransport {
  /** `local`: no SMTP configured; the message stays in the outbox, readable at /admin/outbox. */
  readonly kind: 'smtp' | 'local';
  send(message: { from: string; to: string; subject: string; text: string; html: string; messageId: string; idempotencyKey: string }): Promise<void>;
  close(): void;
}

export function createMailTransport(options: { smtpUrl: string | undefined }): MailTransport {
  if (!options.smtpUrl) return { kind: 'local', send: async () => undefined, close: () => undefined };
  const transporter = nodemailer.createTransport(options.smtpUrl, { disableFileAccess: true, disableUrlAccess: true });
  return {
    kind: 'smtp',
    async send(m) {
      await transporter.sendMail({
        from: m.from,
        to: m.to,
        text: m.text,
        html: m.html,
        messageId: m.messageId,
        // nodemailer sends an all-ASCII subject as is, so a value written as an RFC 2047 encoded word
        // (`=?utf-8?b?…?=`) would be decoded by the receiver, control characters included (X4): encode it ourselves.
        subject: m.subject.includes('=?') ? mimeFuncs.encodeWord(m.subject, 'B', 52) : m.subject,
        // Receivers (and the test sink) drop a second delivery of the same key: a worker killed after the
        // SMTP server accepted the message but before we recorded it would otherwise send it twice.
        headers: { 'X-Idempotency-Key': m.idempotencyKey },
      });
    },
    close: () => transporter.close(),
  };
}

/**
 * Delivers one outbox message (job `mail.send@1`). Idempotent: a delivered message is never sent again.
 * `onDelivered` runs once per message handed to the SMTP server (not for `local`: it never reached anyone), after
 * it is recorded as sent (delivery analytics of credentials).
 */
export async function deliverMail(
  deps: { store: Store; clock: Clock; transport: MailTransport; from: string; host: string; onDelivered?: (mail: OutboxMail) => Promise<void> },
  job: { mailId: string; attempt: number; maxAttempts: number },
): Promise<void> {
  const mail = await deps.store.outbox.findById(job.mailId);
  if (!mail || mail.status !== 'queued') return;
  if (deps.transport.kind === 'local') {
    await deps.store.outbox.markDelivered(mail.id, 'local', deps.clock.now());
    return;
  }
  const body = await deps.store.outbox.readBody(mail.id);
  if (!body) return;
  try {
    await deps.transport.send({
      from: deps.from,
      to: mail.to,
      subject: body.subject,
      text: body.text,
      html: body.html,
      messageId: `<${mail.id}@${deps.host}>`,
      idempotencyKey: mail.idempotencyKey,
    });
  } catch (e) {
    await deps.store.outbox.recordAttempt(mail.id, e instanceof Error ? e.message : String(e), job.attempt >= job.maxAttempts);
    throw e;
  }
  if (await deps.store.outbox.markDelivered(mail.id, 'sent', deps.clock.now())) await deps.onDelivered?.(mail);
}
