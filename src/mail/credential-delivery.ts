import type { Clock, Secrets } from '../domain/shared/ports.js';
import type { Store } from '../domain/shared/store.js';
import { recordCredentialEvent } from '../domain/credentials/manage-credentials.js';
import type { OutboxMail } from '../domain/shared/mail.js';

export function credentialDelivered(deps: { store: Store; secrets: Secrets; clock: Clock }): (mail: OutboxMail) => Promise<void> {
  return async (mail) => {
    if (mail.kind !== 'credential.issued') return;
    const award = await deps.store.awards.findByMailId(mail.id);
    if (award) await recordCredentialEvent(deps, award, 'delivered');
  };
}
