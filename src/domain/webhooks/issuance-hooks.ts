/** Issuance, status and job events turned into outbound webhook events (emitted inside the same transactions). */
import type { Clock, Secrets } from '../shared/ports.js';
import type { Repositories } from '../shared/store.js';
import type { IssuanceHooks } from '../issuance/deps.js';
import type { Webhook } from './model.js';
import { emitOrgEvent } from './emit-event.js';

export function webhookHooks(deps: { clock: Clock; secrets: Secrets }): IssuanceHooks {
  // A bulk chunk issues hundreds of credentials in one transaction: list the organisation's endpoints once per
  // transaction (nothing creates an endpoint inside an issuance transaction).
  const listed = new WeakMap<Repositories, Promise<Webhook[]>>();
  const webhooksOf = (tx: Repositories, orgId: string) => {
    let list = listed.get(tx);
    if (!list) listed.set(tx, (list = tx.webhooks.list(orgId)));
    return list;
  };
  return {
    async onIssued(tx, award, credentialId) {
      const webhooks = await webhooksOf(tx, award.orgId);
      await emitOrgEvent(tx, deps, {
        orgId: award.orgId,
        type: 'credential.issued',
        webhooks,
        data: {
          id: award.id,
          credentialId,
          templateId: award.templateId,
          templateVersion: award.templateVersion,
          jobId: award.jobId,
          rowNo: award.rowNo,
          recipient: { name: award.recipient.name, email: award.recipient.email, learnerId: award.recipient.learnerId },
          inAccount: award.holderUserId !== null,
        },
      });
      if (award.holderUserId) {
        await emitOrgEvent(tx, deps, {
          orgId: award.orgId,
          type: 'credential.claimed',
          webhooks,
          data: { id: award.id, credentialId, templateId: award.templateId },
        });
      }
    },
    async onStatusChanged(tx, org, changed, status, reason) {
      if (status !== 'revoked') return;
      for (const c of changed)
        await emitOrgEvent(tx, deps, { orgId: org.id, type: 'credential.revoked', data: { id: c.id, credentialId: c.credentialId, reason } });
    },
    async onJobCompleted(tx, job, counts) {
      await emitOrgEvent(tx, deps, {
        orgId: job.orgId,
        type: 'job.completed',
        data: { id: job.id, templateId: job.templateId, source: job.source, issued: counts.issued, failed: counts.failed, excluded: counts.excluded },
      });
    },
  };
}
