import { type Role } from '../organizations/model.js';
import { type Locale } from './model.js';

/** Every kind of e-mail Sceau sends, with the parameters its template needs. */
export interface MailParams {
  'signup.code': { name: string; code: string };
  'signup.existing': { name: string; signInUrl: string; resetUrl: string };
  'email.add-code': { name: string; code: string };
  'email.added-notice': { name: string; email: string };
  'password.reset': { name: string; resetUrl: string };
  'password.changed': { name: string };
  invitation: { orgName: string; inviterName: string; role: Role; acceptUrl: string };
  /** A credential was issued: the holder link (with its token), and the template's own texts already merged (or ''). */
  'credential.issued': { name: string; orgName: string; credentialName: string; link: string; inAccount: number; customSubject: string; customBody: string };
}

export type MailKind = keyof MailParams;

export interface OutgoingMail<K extends MailKind = MailKind> {
  kind: K;
  to: string;
  locale: Locale;
  params: MailParams[K];
}

export type MailStatus = 'queued' | 'sent' | 'local' | 'dead';

export interface OutboxMail {
  id: string;
  idempotencyKey: string;
  kind: MailKind;
  to: string;
  locale: Locale;
  subject: string;
  status: MailStatus;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
}
