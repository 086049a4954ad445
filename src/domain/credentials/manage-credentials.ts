/**
 * The issuer's side after issuance (list, search, detail, re-send, revoke/suspend with a reason, analytics) and the
 * holder link (`/c/<id>?t=<token>`: opens the credential without an account). Callers resolve the organisation and
 * check the role first (web: requireOrgRole; API: the key's organisation).
 */
import { recordAudit } from '../shared/audit.js';
import { type StatusHooks, setCredentialStatus } from './status-lists.js';
import { AppError } from '../shared/errors.js';
import type { Actor } from '../shared/model.js';
import { type AwardingDeps, credentialMailParams, holderLink } from '../issuance/issue-awards.js';
import type { Organization } from '../organizations/model.js';
import { type CredentialEventKind, EVENT_KINDS } from './model.js';
import type { AwardView } from '../issuance/model.js';
import type { AwardFilter } from '../issuance/ports.js';

export type ManageDeps = AwardingDeps & { hooks?: StatusHooks };

export async function getAward(deps: ManageDeps, org: Organization, id: string): Promise<AwardView> {
  const award = typeof id === 'string' && id.length <= 64 ? await deps.store.awards.find(org.id, id) : undefined;
  if (!award) throw new AppError('NOT_FOUND');
  return award;
}

export async function listAwards(deps: ManageDeps, org: Organization, filter: AwardFilter, page: { limit: number; after?: { createdAt: Date; id: string } }): Promise<AwardView[]> {
  return deps.store.awards.list(org.id, filter, page);
}

/**
 * Sends the credential e-mail again with a NEW holder link (the old link stops working: tokens are stored only as
 * hashes, so the old one cannot be re-sent). Refused for revoked credentials.
 */
export async function resendAward(deps: ManageDeps, actor: Actor, org: Organization, id: string): Promise<AwardView> {
  const award = await getAward(deps, org, id);
  if (award.status === 'revoked') throw new AppError('CREDENTIAL_REVOKED_PERMANENT');
  const content = await deps.store.templates.findVersion(award.templateId, award.templateVersion);
  if (!content) throw new AppError('NOT_FOUND');
  const r = award.recipient;
  const token = deps.secrets.newToken();
  const link = holderLink(deps.baseUrl, award.credentialId, token);
  await deps.store.transaction(async (tx) => {
    const mailId = await tx.outbox.add({ kind: 'credential.issued', to: r.email, locale: r.locale, params: credentialMailParams(org, content, r, link, award.holderUserId !== null) });
    await tx.awards.setLink(award.id, deps.secrets.hashToken(token), mailId);
    await recordAudit(tx, deps, actor, { action: 'credential.resent', orgId: org.id, targetType: 'credential', targetId: award.id });
  });
  return getAward(deps, org, id);
}

/** Revokes (permanent), suspends or reactivates one credential, with the issuer's reason kept in the audit log. */
export async function setAwardStatus(deps: ManageDeps, actor: Actor, org: Organization, id: string, status: unknown, reason?: unknown): Promise<AwardView> {
  const award = await getAward(deps, org, id);
  let why: string | undefined;
  if (reason !== undefined && reason !== null && reason !== '') {
    if (typeof reason !== 'string' || reason.trim().length > 500 || /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(reason)) {
      throw new AppError('TEXT_TOO_LONG', { max: 500 }, { field: 'reason' });
    }
    why = reason.trim() || undefined;
  }
  await setCredentialStatus(deps, actor, { slug: org.slug, credentialId: award.credentialId, status, reason: why });
  return getAward(deps, org, id);
}

/** The last status reason recorded for a credential (from the audit log), if any. */
export async function statusHistory(deps: ManageDeps, org: Organization, id: string): Promise<{ at: Date; action: string; reason: string | null }[]> {
  const events = await deps.store.audit.listForOrg(org.id, 1000);
  return events
    .filter((e) => e.targetId === id && /^credential\.(revoked|suspended|reactivated|resent|issued)$/.test(e.action))
    .map((e) => ({ at: e.at, action: e.action, reason: typeof e.details?.['reason'] === 'string' ? (e.details['reason'] as string) : null }));
}

// ---- Analytics ------------------------------------------------------------------------------------------

export interface Analytics {
  totals: Record<CredentialEventKind, number>;
  /** One entry per day of the period, oldest first, with a count per kind. */
  days: { day: string; counts: Record<CredentialEventKind, number> }[];
}

/** Counts per template (or the whole organisation): credentials with each event, and events per day. No verifier identity. */
export async function analytics(deps: ManageDeps, org: Organization, templateId: string | null, days = 30): Promise<Analytics> {
  const end = deps.clock.now();
  const start = new Date(end.getTime() - (days - 1) * 86_400_000);
  const fromDay = start.toISOString().slice(0, 10);
  const toDay = end.toISOString().slice(0, 10);
  const [totals, rows] = await Promise.all([
    deps.store.credentialEvents.totals(org.id, templateId),
    deps.store.credentialEvents.countsByDay(org.id, templateId, fromDay, toDay),
  ]);
  const zero = () => Object.fromEntries(EVENT_KINDS.map((k) => [k, 0])) as Record<CredentialEventKind, number>;
  const series: Analytics['days'] = [];
  for (let i = 0; i < days; i++) series.push({ day: new Date(start.getTime() + i * 86_400_000).toISOString().slice(0, 10), counts: zero() });
  const byDay = new Map(series.map((d) => [d.day, d]));
  for (const r of rows) {
    const d = byDay.get(r.day);
    if (d) d.counts[r.kind] += r.count;
  }
  return { totals, days: series };
}

/** Records an event of a credential (delivered, opened, shared, verified…) for the analytics. */
export async function recordCredentialEvent(deps: Pick<ManageDeps, 'store' | 'secrets' | 'clock'>, award: Pick<AwardView, 'id' | 'orgId' | 'templateId'>, kind: CredentialEventKind): Promise<void> {
  await deps.store.credentialEvents.record({ id: deps.secrets.newId(), orgId: award.orgId, templateId: award.templateId, credentialRowId: award.id, kind, at: deps.clock.now() });
}

// ---- Holder link ---------------------------------------------------------------------------------------------

/**
 * Opens a credential from its holder link: the token must match (compared as hashes), or the signed-in person must
 * be its holder. The first opening is counted. Unknown id and wrong token answer the same error.
 */
export async function openHolderLink(
  deps: ManageDeps, input: { id: string; token?: string; userId?: string; /** false for HEAD and downloads: only real views count */ count?: boolean },
): Promise<{ award: AwardView; document: string; org: Organization }> {
  const fail = () => new AppError('CREDENTIAL_LINK_INVALID');
  if (!/^[0-9a-f-]{36}$/.test(input.id)) throw fail();
  const award = await deps.store.awards.findByCredentialId(input.id);
  if (!award) throw fail();
  const byToken = typeof input.token === 'string' && input.token.length === 43 && deps.secrets.hashToken(input.token) === award.linkTokenHash;
  const byHolder = input.userId !== undefined && award.holderUserId === input.userId;
  if (!byToken && !byHolder) throw fail();
  const [credential] = await deps.store.credentials.findByCredentialId(award.orgId, award.credentialId);
  const org = await deps.store.organizations.findById(award.orgId);
  if (!credential || !org) throw fail();
  if (input.count !== false && (await deps.store.awards.markOpened(award.id, deps.clock.now()))) await recordCredentialEvent(deps, award, 'opened');
  return { award, document: credential.document, org };
}
