/**
 * The one place that answers "may this actor do this in that organisation". Every use case that touches an
 * organisation's data calls `authorize` first; pages ask `can` to decide which buttons to show.
 *
 * Tenant convention: a use case names its organisation by `slug` (as the URL does). `authorize` resolves it:
 * - a person must be a member; an outsider gets NOT_FOUND, exactly as for an organisation that does not exist
 *   (existence is never revealed), and a member whose role lacks the action gets FORBIDDEN;
 * - an API key acts only in its own organisation (another slug: NOT_FOUND); `slug` may be omitted for it;
 * - the operator's CLI (`system`) may do anything in an organisation that exists.
 */
import type { Organization, Role } from '../organizations/model.js';
import { AppError } from './errors.js';
import type { Actor } from './model.js';
import type { Repositories } from './store.js';

const ADMIN: readonly Role[] = ['admin'];
const ISSUERS: readonly Role[] = ['admin', 'staff'];
const READERS: readonly Role[] = ['admin', 'staff', 'reviewer'];

/** Every action on an organisation's data, and the member roles that may take it. */
export const PERMISSIONS = {
  /** See the organisation's console (overview, lists). */
  'org.view': READERS,
  /** Settings, members, invitations, API keys, audit log, issuer profile. */
  'org.manage': ADMIN,
  'webhooks.manage': ADMIN,
  'templates.view': READERS,
  /** Create, edit, archive templates; upload their images. */
  'templates.edit': ISSUERS,
  'credentials.view': READERS,
  /** Issue one, in bulk or from results; re-send, suspend, reactivate, revoke. */
  'credentials.issue': ISSUERS,
  'results.view': READERS,
  /** Import results and edit automatic-issuance rules. */
  'results.manage': ISSUERS,
} as const satisfies Record<string, readonly Role[]>;

export type Action = keyof typeof PERMISSIONS;

/** How the actor holds its rights in the organisation: a member's role, an API key, or the operator. */
export type Standing = Role | 'apiKey' | 'system';

/** An organisation resolved for an actor, with the standing its rights come from. */
export interface OrgScope {
  org: Organization;
  standing: Standing;
}

/** Whether `standing` allows `action` (API keys and the operator act with an administrator's rights). */
export function can(standing: Standing, action: Action): boolean {
  if (standing === 'apiKey' || standing === 'system') return true;
  return (PERMISSIONS[action] as readonly Role[]).includes(standing);
}

const SLUG_RE = /^[a-z0-9-]{1,63}$/;

/**
 * Resolves the organisation named by `slug` for `actor` and checks `action` (see the tenant convention above).
 * Throws NOT_FOUND for an outsider or a missing organisation, FORBIDDEN for a member without the right.
 */
export async function authorize(
  deps: { store: Pick<Repositories, 'organizations' | 'memberships'> },
  actor: Actor,
  { action, slug }: { action: Action; slug?: string },
): Promise<OrgScope> {
  const { store } = deps;
  let scope: OrgScope | undefined;
  if (actor.kind === 'apiKey') {
    const org = await store.organizations.findById(actor.orgId);
    if (org && (slug === undefined || org.slug === slug)) scope = { org, standing: 'apiKey' };
  } else if (slug !== undefined && SLUG_RE.test(slug)) {
    const org = await store.organizations.findBySlug(slug);
    if (org && actor.kind === 'system') scope = { org, standing: 'system' };
    else if (org && actor.kind === 'user') {
      const membership = await store.memberships.find(org.id, actor.userId);
      if (membership) scope = { org, standing: membership.role };
    }
  }
  if (!scope) throw new AppError('NOT_FOUND');
  if (!can(scope.standing, action)) throw new AppError('FORBIDDEN');
  return scope;
}
