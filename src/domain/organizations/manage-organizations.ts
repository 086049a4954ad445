/**
 * Organisations (tenants) and networks of member centres: created, settings, the member's list, the audit log.
 * Members, invitations and API keys are in manage-members.ts, invitations.ts and api-keys.ts.
 * Access rule: someone who is not a member gets NOT_FOUND, exactly as for an organisation that does not exist.
 * Every use case on an organisation takes `(deps, actor, input)`, names it by `input.slug` and calls `authorize`
 * (src/domain/shared/policies.ts) first.
 */
import { type AccountDeps } from '../accounts/account-rules.js';
import { recordAudit } from '../shared/audit.js';
import { createIssuerKey } from '../credentials/issuer-identity.js';
import type { IssuerKeys } from '../credentials/ports.js';
import { AppError } from '../shared/errors.js';
import { type OrgScope, authorize } from '../shared/policies.js';
import { type Actor, type AuditEvent, type Locale, isLocale } from '../shared/model.js';
import type { Repositories } from '../shared/store.js';
import { DEFAULT_TIME_ZONE, normalizeName, normalizeSlug, normalizeTimeZone, normalizeUrl } from '../shared/validation.js';
import { type Organization } from './model.js';

/** `issuerKeys`: when wired (always, through compose.ts), a new organisation gets its issuer key at creation. */
export type OrgDeps = AccountDeps & { issuerKeys?: IssuerKeys };
export type UserActor = Extract<Actor, { kind: 'user' }>;

export function listMyOrganizations(deps: Pick<OrgDeps, 'store'>, actor: UserActor) {
  return deps.store.organizations.listForUser(actor.userId);
}

function normalizeLanguages(raw: unknown): Locale[] {
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : ['fr', 'en'];
  const langs = [...new Set(list.map((l) => String(l).trim()).filter(isLocale))];
  return langs.length ? langs : ['fr'];
}

export interface CreateOrganizationInput {
  name: unknown;
  slug: unknown;
  parentSlug?: unknown;
  languages?: unknown;
  logoUrl?: unknown;
  /** IANA name; `Europe/Paris` when absent. */
  timeZone?: unknown;
}

/** `tx`: run inside the caller's transaction (seeding creates an organisation and its first member together). */
export interface InTransaction {
  tx?: Repositories;
}

/** Creates an organisation (operators, platform admins). A parent makes it a member centre of a network. */
export async function createOrganization(deps: OrgDeps, actor: Actor, input: CreateOrganizationInput & InTransaction): Promise<Organization> {
  const { tx } = input;
  const name = normalizeName(input.name, 'name');
  const slug = normalizeSlug(input.slug);
  const logoUrl = normalizeUrl(input.logoUrl, 'logoUrl');
  const languages = normalizeLanguages(input.languages);
  const timeZone = input.timeZone === undefined || input.timeZone === '' ? DEFAULT_TIME_ZONE : normalizeTimeZone(input.timeZone);
  const run = async (t: Repositories) => {
    if (await t.organizations.findBySlug(slug)) throw new AppError('ORG_SLUG_TAKEN', { slug }, { field: 'slug' });
    let parentId: string | null = null;
    if (input.parentSlug !== undefined && input.parentSlug !== null && input.parentSlug !== '') {
      const parent = await t.organizations.findBySlug(normalizeSlug(input.parentSlug));
      if (!parent) throw new AppError('ORG_PARENT_NOT_FOUND', {}, { field: 'parent' });
      parentId = parent.id;
    }
    const org: Organization = { id: deps.secrets.newId(), slug, name, logoUrl, languages, parentId, createdAt: deps.clock.now(), timeZone };
    await t.organizations.create(org);
    if (deps.issuerKeys) await createIssuerKey(t, { ...deps, issuerKeys: deps.issuerKeys }, org.id);
    await recordAudit(t, deps, { actor, action: 'org.created', orgId: org.id, targetType: 'organization', targetId: org.id });
    return org;
  };
  return tx ? run(tx) : deps.store.transaction(run);
}

export async function updateOrganization(
  deps: OrgDeps,
  actor: Actor,
  input: { slug: string; name: unknown; logoUrl: unknown; languages: unknown; timeZone?: unknown },
): Promise<Organization> {
  const { org } = await authorize(deps, actor, { action: 'org.manage', slug: input.slug });
  const patch = {
    name: normalizeName(input.name, 'name'),
    logoUrl: normalizeUrl(input.logoUrl, 'logoUrl'),
    languages: normalizeLanguages(input.languages),
    // Absent (older forms, other clients): unchanged.
    ...(input.timeZone === undefined ? {} : { timeZone: normalizeTimeZone(input.timeZone) }),
  };
  await deps.store.transaction(async (tx) => {
    await tx.organizations.update(org.id, patch);
    await recordAudit(tx, deps, { actor, action: 'org.updated', orgId: org.id, targetType: 'organization', targetId: org.id });
  });
  return { ...org, ...patch };
}

// ---- Members -----------------------------------------------------------------------------------------
// ---- Invitations -------------------------------------------------------------------------------------
// ---- API keys ----------------------------------------------------------------------------------------
// ---- Audit -------------------------------------------------------------------------------------------

export async function listOrgAudit(deps: OrgDeps, actor: Actor, input: { slug: string }): Promise<OrgScope & { events: AuditEvent[] }> {
  const scope = await authorize(deps, actor, { action: 'org.manage', slug: input.slug });
  return { ...scope, events: await deps.store.audit.listForOrg(scope.org.id, 200) };
}
