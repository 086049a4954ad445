/** The presenter of an organisation, its members and its invitations (JSON API). */
import type { Invitation, MemberView, Organization } from '../../domain/organizations/model.js';

/** `parent`: the network the organisation is a member centre of, if any. */
export const presentOrganization = (org: Organization, parent: Pick<Organization, 'slug'> | undefined) => ({
  id: org.id,
  slug: org.slug,
  name: org.name,
  logoUrl: org.logoUrl,
  languages: org.languages,
  parentSlug: parent?.slug ?? null,
  createdAt: org.createdAt.toISOString(),
});

export const presentMember = (m: MemberView) => ({
  userId: m.userId,
  displayName: m.displayName,
  email: m.email,
  role: m.role,
  since: m.createdAt.toISOString(),
});

export const presentInvitation = (i: Invitation) => ({
  id: i.id,
  email: i.email,
  role: i.role,
  expiresAt: i.expiresAt.toISOString(),
  createdAt: i.createdAt.toISOString(),
});
