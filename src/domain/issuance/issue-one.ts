/**
 * The one-off issuance form: one recipient typed by an issuer, issued at once through `issueBatch`. The first problem
 * of the recipient is thrown as a field error (`name`, `email`, `learnerId`, `locale`, `field:<key>`).
 */
import { AppError } from '../shared/errors.js';
import type { Actor } from '../shared/model.js';
import { authorize } from '../shared/policies.js';
import { requireRecipient } from './check-recipients.js';
import { type IssueBatchDeps, type IssuedAward, activeTemplate, issueBatch } from './issue-batch.js';
import type { RecipientDraft } from './model.js';

export async function issueOne(
  deps: IssueBatchDeps,
  actor: Actor,
  input: {
    slug: string;
    templateId: string;
    /** The version the form showed: another one is TEMPLATE_CONFLICT. */ version?: number;
    recipient: RecipientDraft;
  },
): Promise<IssuedAward> {
  const { org } = await authorize(deps, actor, { action: 'credentials.issue', slug: input.slug });
  const template = await activeTemplate(deps, org, input.templateId);
  if (input.version !== undefined && input.version !== template.version) throw new AppError('TEMPLATE_CONFLICT');
  const recipient = requireRecipient(template.content, input.recipient);
  const [issued] = await issueBatch(deps, actor, { org, template, version: template.version, recipients: [recipient] });
  return issued!;
}
