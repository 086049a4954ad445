/**
 * Delivery analytics: when the e-mail that carries a credential's holder link is handed to the SMTP server, the
 * credential counts as `delivered` (once per message; a re-sent e-mail is the award's new current message).
 */
import type { OutboxMail } from '../domain/model.js';
import type { Clock, Secrets } from '../domain/ports.js';
import type { Store } from '../domain/repositories.js';
import { recordCredentialEvent } from '../domain/templates/manage.js';

export function credentialDelivered(deps: { store: Store; secrets: Secrets; clock: Clock }): (mail: OutboxMail) => Promise<void> {
  return async (mail) => {
    if (mail.kind !== 'credential.issued') return;
    const award = await deps.store.awards.findByMailId(mail.id);
    if (award) await recordCredentialEvent(deps, award, 'delivered');
  };
}
