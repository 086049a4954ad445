/**
 * The issuer's side after issuance (list, search, detail, re-send, revoke/suspend with a reason, analytics) and the
 * holder's side (the holder link `/c/<id>?t=<token>`, which opens a credential without an account, and the wallet).
 *
 * Tenant convention: the issuer's use cases take `(deps, actor, input)`, `input.slug` naming the organisation (an
 * API key may leave it out: its own organisation), and authorise themselves through `authorize` (policies.ts): an
 * outsider gets the same NOT_FOUND as for a missing organisation or credential, a member without the right FORBIDDEN.
 * They return the organisation and the actor's standing with their data, for pages that show both.
 */
import { recordAudit } from '../shared/audit.js';
import { type StatusHooks, setCredentialStatus } from './status-lists.js';
import { AppError } from '../shared/errors.js';
import type { Actor } from '../shared/model.js';
import { type Action, type OrgScope, authorize } from '../shared/policies.js';
import { credentialMailParams, holderLink } from '../issuance/issue-batch.js';
import type { IssuingDeps } from './issue-credentials.js';
import type { Organization } from '../organizations/model.js';
import { type CredentialEventKind, EVENT_KINDS, type IssuedCredential } from './model.js';
import type { AwardView } from '../issuance/model.js';
import type { AwardFilter } from '../issuance/ports.js';

export type ManageDeps = IssuingDeps & { hooks?: StatusHooks };

/** Names the organisation (a person's actor must give it; an API key may leave it out). */
export interface TenantInput {
  slug?: string;
}

export interface HistoryItem {
  at: Date;
  action: string;
  reason: string | null;
}

async function findAward(deps: ManageDeps, org: Organization, id: string): Promise<AwardView> {
  const award = typeof id === 'string' && id.length <= 64 ? await deps.store.awards.find(org.id, id) : undefined;
  if (!award) throw new AppError('NOT_FOUND');
  return award;
}

/** The stored signed document of an award (the row with the award's own id: an id reused through the VC-API is another row). */
async function storedCredential(deps: ManageDeps, org: Organization, award: AwardView): Promise<IssuedCredential> {
  const credential = (await deps.store.credentials.findByCredentialId(org.id, award.credentialId)).find((c) => c.id === award.id);
  if (!credential) throw new AppError('NOT_FOUND');
  return credential;
}

/**
 * One credential of the organisation. `action` is the right the caller needs (default `credentials.view`); a form
 * that acts on the credential asks `credentials.issue`, so a reader is refused before anything else is checked.
 */
export async function getAward(
  deps: ManageDeps,
  actor: Actor,
  input: TenantInput & { id: string; action?: Extract<Action, 'credentials.view' | 'credentials.issue'> },
): Promise<OrgScope & { award: AwardView }> {
  const scope = await authorize(deps, actor, { action: input.action ?? 'credentials.view', slug: input.slug });
  return { ...scope, award: await findAward(deps, scope.org, input.id) };
}

/** One credential with its stored signed document (verbatim) and its history (issuance, status changes, re-sends). */
export async function getAwardDetail(
  deps: ManageDeps,
  actor: Actor,
  input: TenantInput & { id: string },
): Promise<OrgScope & { award: AwardView; credential: IssuedCredential; history: HistoryItem[] }> {
  const scope = await authorize(deps, actor, { action: 'credentials.view', slug: input.slug });
  const award = await findAward(deps, scope.org, input.id);
  const [credential, history] = await Promise.all([storedCredential(deps, scope.org, award), statusHistory(deps, scope.org, award.id)]);
  return { ...scope, award, credential, history };
}

/** The organisation's credentials, newest first (keyset pagination). */
export async function listAwards(
  deps: ManageDeps,
  actor: Actor,
  input: TenantInput & { filter: AwardFilter; limit: number; after?: { createdAt: Date; id: string } },
): Promise<OrgScope & { awards: AwardView[] }> {
  const scope = await authorize(deps, actor, { action: 'credentials.view', slug: input.slug });
  const awards = await deps.store.awards.list(scope.org.id, input.filter, { limit: input.limit, ...(input.after ? { after: input.after } : {}) });
  return { ...scope, awards };
}

/**
 * Sends the credential e-mail again with a NEW holder link (the old link stops working: tokens are stored only as
 * hashes, so the old one cannot be re-sent). Refused for revoked credentials.
 */
export async function resendAward(deps: ManageDeps, actor: Actor, input: TenantInput & { id: string }): Promise<AwardView> {
  const { org } = await authorize(deps, actor, { action: 'credentials.issue', slug: input.slug });
  const award = await findAward(deps, org, input.id);
  if (award.status === 'revoked') throw new AppError('CREDENTIAL_REVOKED_PERMANENT');
  const content = await deps.store.templates.findVersion(award.templateId, award.templateVersion);
  if (!content) throw new AppError('NOT_FOUND');
  const r = award.recipient;
  const token = deps.secrets.newToken();
  const link = holderLink(deps.baseUrl, award.credentialId, token);
  await deps.store.transaction(async (tx) => {
    const mailId = await tx.outbox.add({
      kind: 'credential.issued',
      to: r.email,
      locale: r.locale,
      params: credentialMailParams({ org, content, recipient: r, link, inAccount: award.holderUserId !== null }),
    });
    await tx.awards.setLink(award.id, deps.secrets.hashToken(token), mailId);
    await recordAudit(tx, deps, { actor, action: 'credential.resent', orgId: org.id, targetType: 'credential', targetId: award.id });
  });
  return findAward(deps, org, award.id);
}

/** Revokes (permanent), suspends or reactivates one credential, with the issuer's reason kept in the audit log. */
export async function setAwardStatus(
  deps: ManageDeps,
  actor: Actor,
  input: TenantInput & { id: string; status: unknown; reason?: unknown },
): Promise<AwardView> {
  const { org } = await authorize(deps, actor, { action: 'credentials.issue', slug: input.slug });
  const award = await findAward(deps, org, input.id);
  const { reason } = input;
  let why: string | undefined;
  if (reason !== undefined && reason !== null && reason !== '') {
    if (typeof reason !== 'string' || reason.trim().length > 500 || /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(reason)) {
      throw new AppError('TEXT_TOO_LONG', { max: 500 }, { field: 'reason' });
    }
    why = reason.trim() || undefined;
  }
  await setCredentialStatus(deps, actor, { slug: org.slug, credentialId: award.credentialId, status: input.status, reason: why });
  return findAward(deps, org, award.id);
}

/** Issuance, status changes and re-sends of a credential with their reasons, newest first (from the audit log). */
async function statusHistory(deps: ManageDeps, org: Organization, id: string): Promise<HistoryItem[]> {
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

/**
 * Counts per template (`templateId`; null or absent: the whole organisation): credentials with each event, and events
 * per day over `days` (default 30). No verifier identity. A template of another organisation is NOT_FOUND.
 */
export async function analytics(
  deps: ManageDeps,
  actor: Actor,
  input: TenantInput & { templateId?: string | null; days?: number },
): Promise<OrgScope & Analytics> {
  const scope = await authorize(deps, actor, { action: 'credentials.view', slug: input.slug });
  const { org } = scope;
  const templateId = input.templateId || null;
  if (templateId && !(await deps.store.templates.find(org.id, templateId))) throw new AppError('NOT_FOUND');
  const days = input.days ?? 30;
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
  return { ...scope, totals, days: series };
}

/** Records an event of a credential (delivered, opened, shared, verified…) for the analytics. */
export async function recordCredentialEvent(
  deps: Pick<ManageDeps, 'store' | 'secrets' | 'clock'>,
  award: Pick<AwardView, 'id' | 'orgId' | 'templateId'>,
  kind: CredentialEventKind,
): Promise<void> {
  await deps.store.credentialEvents.record({
    id: deps.secrets.newId(),
    orgId: award.orgId,
    templateId: award.templateId,
    credentialRowId: award.id,
    kind,
    at: deps.clock.now(),
  });
}

// ---- Holder link ---------------------------------------------------------------------------------------------

/**
 * Opens a credential from its holder link: the token must match (compared as hashes), or the signed-in person must
 * be its holder. The first opening is counted. Unknown id and wrong token answer the same error. Returns the stored
 * signed document (`credential.document`, verbatim): pages present it, never the template it came from.
 */
export async function openHolderLink(
  deps: ManageDeps,
  input: { id: string; token?: string; userId?: string; /** false for HEAD and downloads: only real views count */ count?: boolean },
): Promise<{ award: AwardView; credential: IssuedCredential; document: string; org: Organization }> {
  const fail = () => new AppError('CREDENTIAL_LINK_INVALID');
  if (!/^[0-9a-f-]{36}$/.test(input.id)) throw fail();
  const award = await deps.store.awards.findByCredentialId(input.id);
  if (!award) throw fail();
  const byToken = typeof input.token === 'string' && input.token.length === 43 && deps.secrets.hashToken(input.token) === award.linkTokenHash;
  const byHolder = input.userId !== undefined && award.holderUserId === input.userId;
  if (!byToken && !byHolder) throw fail();
  const credentials = await deps.store.credentials.findByCredentialId(award.orgId, award.credentialId);
  const credential = credentials.find((c) => c.id === award.id) ?? credentials[0];
  const org = await deps.store.organizations.findById(award.orgId);
  if (!credential || !org) throw fail();
  if (input.count !== false && (await deps.store.awards.markOpened(award.id, deps.clock.now()))) await recordCredentialEvent(deps, award, 'opened');
  return { award, credential, document: credential.document, org };
}

/** "Mon porte-document": the credentials held by the account, newest first, each with its stored signed document. */
export async function listHeldCredentials(
  deps: ManageDeps,
  actor: Extract<Actor, { kind: 'user' }>,
): Promise<{ award: AwardView; credential: IssuedCredential }[]> {
  const awards = await deps.store.awards.listForHolder(actor.userId);
  // A wallet holds tens of credentials: one lookup each (by the credential id, within its organisation). An award
  // always has its credential row (the award shares its id); the filter only keeps the types honest.
  const held = await Promise.all(
    awards.map(async (award) => {
      const credentials = await deps.store.credentials.findByCredentialId(award.orgId, award.credentialId);
      return { award, credential: credentials.find((c) => c.id === award.id) };
    }),
  );
  return held.filter((h): h is { award: AwardView; credential: IssuedCredential } => h.credential !== undefined);
}
