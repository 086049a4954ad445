import type { Actor, AuditEvent } from './model.js';
import type { Clock, Secrets } from './ports.js';
import type { Repositories } from './store.js';

export interface AuditInput {
  action: string;
  orgId?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  ip?: string | null;
  details?: Record<string, unknown> | null;
}

/** Writes one audit event (who, what, when, which organisation) in the caller's transaction. Never personal data in `details`. */
export async function recordAudit(
  repos: Pick<Repositories, 'audit'>,
  deps: { clock: Clock; secrets: Secrets },
  entry: AuditInput & { actor: Actor },
): Promise<void> {
  await repos.audit.record(auditEvent(deps, entry.actor, entry));
}

/** The audit event `recordAudit` writes (batches build several and write them with `audit.recordMany`). */
export function auditEvent(deps: { clock: Clock; secrets: Secrets }, actor: Actor, input: AuditInput): AuditEvent {
  return {
    id: deps.secrets.newId(),
    at: deps.clock.now(),
    orgId: input.orgId ?? (actor.kind === 'apiKey' ? actor.orgId : null),
    actorUserId: actor.kind === 'user' ? actor.userId : null,
    actorApiKeyId: actor.kind === 'apiKey' ? actor.apiKeyId : null,
    action: input.action,
    targetType: input.targetType ?? null,
    targetId: input.targetId ?? null,
    ip: input.ip ?? ('ip' in actor ? (actor.ip ?? null) : null),
    requestId: actor.requestId ?? null,
    details: input.details ?? null,
  };
}
