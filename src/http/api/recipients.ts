/**
 * What `POST /api/v1/credentials` and `POST /api/v1/issuance-jobs` share: the recipient schema and the 422
 * RECIPIENTS_INVALID report listing every problem of every recipient.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ErrorCode } from '../../domain/shared/errors.js';
import type { RecipientsInvalidError } from '../../domain/issuance/check-recipients.js';
import { format, messages } from '../../i18n/t.js';
import { toProblem } from '../plugins/errors.js';
import { ProblemSchema } from './schemas.js';

export const RecipientSchema = z
  .object({
    name: z.string().max(1000).describe('Full name, 1–200 characters'),
    email: z.string().max(1000).describe('Where the credential is sent; an account with this verified address receives it directly'),
    learnerId: z
      .union([z.string().max(1000), z.number()])
      .nullable()
      .optional()
      .describe('Your identifier of the learner (at most 100 characters)'),
    locale: z.string().max(20).nullable().optional().describe('`fr` or `en` (also français/english, fr-CA…); default: the template’s'),
    fields: z
      .record(z.string().max(80), z.union([z.string().max(5000), z.number()]).nullable())
      .optional()
      .describe(
        'Values of the template’s custom fields by key: text, number (`12.5`), date (`2026-06-30` or `30/06/2026`) or grade. Unknown keys are refused.',
      ),
  })
  .strict()
  .describe('Recipient');

export const RecipientItemErrorSchema = z.object({
  index: z.number().int().describe('Position of the recipient in `recipients`, from 0'),
  target: z.string().describe('`name`, `email`, `learnerId`, `locale`, `fields` or `field:<key>`'),
  code: z.string().describe('Error code (see docs/errors.md)'),
  message: z.string(),
  firstIndex: z
    .number()
    .int()
    .optional()
    .describe('For RECIPIENT_DUPLICATE: the first recipient with that e-mail (its position + 1 is the "line" of the message)'),
});

export const RecipientsProblemSchema = ProblemSchema.extend({
  items: z.array(RecipientItemErrorSchema).optional().describe('RECIPIENTS_INVALID: every problem of every invalid recipient'),
}).describe('Problem details (422 RECIPIENTS_INVALID lists every invalid recipient in `items`; nothing was issued)');

/** 422 RECIPIENTS_INVALID with the per-recipient report, localised like every problem. */
export function sendRecipientsProblem(request: FastifyRequest, reply: FastifyReply, err: RecipientsInvalidError): FastifyReply {
  const texts = messages(request.locale).errors;
  const problem = {
    ...toProblem(err, request.locale, { requestId: request.id }),
    items: err.items.map((i) => ({
      index: i.index,
      target: i.target,
      code: i.code,
      message: format(texts[i.code as ErrorCode] ?? texts.VALIDATION_FAILED, { line: (i.firstIndex ?? 0) + 1, max: 200 }),
      ...(i.firstIndex !== undefined ? { firstIndex: i.firstIndex } : {}),
    })),
  };
  return reply.code(problem.status).type('application/problem+json; charset=utf-8').send(JSON.stringify(problem));
}
