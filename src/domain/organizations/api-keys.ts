/**
 * Organisation API keys: created (shown once, stored as a hash), listed, revoked, and authenticated on each API call.
 */
import { recordAudit } from '../shared/audit.js';
import { MINUTE } from '../shared/clock.js';
import { AppError } from '../shared/errors.js';
import { type OrgScope, authorize } from '../shared/policies.js';
import type { Actor } from '../shared/model.js';
import { normalizeName } from '../shared/validation.js';
import type { ApiKey, Organization } from './model.js';
import { type OrgDeps } from './manage-organizations.js';

export const API_KEY_PREFIX = 'sceau_';

// ---- Members -----------------------------------------------------------------------------------------
// ---- Invitations -------------------------------------------------------------------------------------
// ---- API keys ----------------------------------------------------------------------------------------

/** Creates an API key. The key is returned once; only its SHA-256 is stored. */
export async function createApiKey(deps: OrgDeps, actor: Actor, input: { slug?: string; label?: unknown }): Promise<{ key: string; apiKey: ApiKey }> {
  const { org } = await authorize(deps, actor, { action: 'org.manage', slug: input.slug });
  const label = input.label === undefined || input.label === '' ? 'API' : normalizeName(input.label, 'label', 100);
  const key = API_KEY_PREFIX + deps.secrets.newToken();
  const apiKey: ApiKey = {
    id: deps.secrets.newId(),
    orgId: org.id,
    label,
    prefix: key.slice(0, API_KEY_PREFIX.length + 6),
    createdBy: actor.kind === 'user' ? actor.userId : null,
    createdAt: deps.clock.now(),
    lastUsedAt: null,
    revokedAt: null,
  };
  await deps.store.transaction(async (tx) => {
    await tx.apiKeys.create({ ...apiKey, keyHash: deps.secrets.hashToken(key) });
    await recordAudit(tx, deps, { actor, action: 'apikey.created', orgId: org.id, targetType: 'api_key', targetId: apiKey.id });
  });
  return { key, apiKey };
}

export async function listApiKeys(deps: OrgDeps, actor: Actor, input: { slug: string }): Promise<OrgScope & { keys: ApiKey[] }> {
  const scope = await authorize(deps, actor, { action: 'org.manage', slug: input.slug });
  return { ...scope, keys: await deps.store.apiKeys.list(scope.org.id) };
}

export async function revokeApiKey(deps: OrgDeps, actor: Actor, input: { slug: string; apiKeyId: string }): Promise<void> {
  const { apiKeyId } = input;
  const { org } = await authorize(deps, actor, { action: 'org.manage', slug: input.slug });
  await deps.store.transaction(async (tx) => {
    if (!(await tx.apiKeys.revoke(org.id, apiKeyId, deps.clock.now()))) throw new AppError('NOT_FOUND');
    await recordAudit(tx, deps, { actor, action: 'apikey.revoked', orgId: org.id, targetType: 'api_key', targetId: apiKeyId });
  });
}

/** Resolves a bearer key to its organisation; AUTH_INVALID_API_KEY when unknown or revoked. */
export async function authenticateApiKey(deps: OrgDeps, raw: string): Promise<{ apiKey: ApiKey; org: Organization }> {
  if (!raw.startsWith(API_KEY_PREFIX) || raw.length > 100) throw new AppError('AUTH_INVALID_API_KEY');
  const apiKey = await deps.store.apiKeys.findByHash(deps.secrets.hashToken(raw));
  if (!apiKey || apiKey.revokedAt) throw new AppError('AUTH_INVALID_API_KEY');
  const org = await deps.store.organizations.findById(apiKey.orgId);
  if (!org) throw new AppError('AUTH_INVALID_API_KEY');
  const now = deps.clock.now();
  if (!apiKey.lastUsedAt || now.getTime() - apiKey.lastUsedAt.getTime() > MINUTE) await deps.store.apiKeys.touch(apiKey.id, now);
  return { apiKey, org };
}
