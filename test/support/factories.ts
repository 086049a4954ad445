/**
 * Factories for the usual test worlds: users, organisations with their members, API keys, templates and issued
 * credentials. They work on a TestApp (test/support/app.ts) or, for the lower-level ones, on any composed
 * container's `deps` (the mail harness has its own).
 */
import type { Container } from '../../src/compose.js';
import type { User } from '../../src/domain/accounts/model.js';
import { requireRecipient } from '../../src/domain/issuance/check-recipients.js';
import { issueBatch } from '../../src/domain/issuance/issue-batch.js';
import type { Organization, Role } from '../../src/domain/organizations/model.js';
import type { Actor, Locale } from '../../src/domain/shared/model.js';
import { createTemplate } from '../../src/domain/templates/manage-templates.js';
import type { Template } from '../../src/domain/templates/model.js';
import type { TestApp } from './app.js';
import { addMember } from '../../src/domain/organizations/manage-members.js';
import { createApiKey } from '../../src/domain/organizations/api-keys.js';
import { createUserAccount } from '../../src/domain/accounts/sign-up.js';

type Deps = Container['deps'];

export const SYSTEM = { kind: 'system' } as const;
export const TEST_PASSWORD = 'correct horse battery staple';

/** The one-off template most tests issue from: a grade (required) and an exam date (optional). */
export const TEMPLATE_INPUT = {
  kind: 'certificate',
  name: { fr: 'Secourisme en milieu de travail', en: 'Workplace first aid' },
  description: { fr: 'Formation de 16 heures en secourisme.', en: '16-hour first-aid training.' },
  criteria: { fr: 'Réussir l’examen pratique.' },
  skills: [{ name: 'Premiers secours', frameworkUri: 'http://data.europa.eu/esco/skill/1e4a1d5b-0a5e-4e1f-9c2d-0a1b2c3d4e5f' }, { name: 'Travail d’équipe' }],
  validity: { unit: 'years', n: 3 },
  fields: [
    { key: 'note', label: { fr: 'Note', en: 'Grade' }, type: 'grade', required: true },
    { key: 'date_examen', label: { fr: 'Date de l’examen', en: 'Exam date' }, type: 'date', required: false },
  ],
  email: { subject: { fr: 'Votre attestation {{titre}}' }, body: { fr: 'Bonjour {{nom}},\n\nVoici votre attestation ({{note}}) : {{lien}}' } },
  defaultLocale: 'fr',
};

export interface UserInput {
  email: string;
  name?: string;
  password?: string;
  org?: Organization;
  role?: Role;
  locale?: Locale;
  isPlatformAdmin?: boolean;
}

/** A verified account (password TEST_PASSWORD unless given), member of `org` (staff unless `role`) when given. */
export async function createTestUser(deps: Deps, input: UserInput): Promise<User> {
  const user = await createUserAccount(deps, {
    email: input.email,
    displayName: input.name ?? input.email.split('@')[0],
    password: input.password ?? TEST_PASSWORD,
    locale: input.locale ?? 'fr',
    isPlatformAdmin: input.isPlatformAdmin,
  });
  if (input.org) await addMember(deps, SYSTEM, { slug: input.org.slug, userId: user.id, role: input.role ?? 'staff' });
  return user;
}

/** A member to create with the organisation (by e-mail; name defaults to the e-mail's local part). */
export interface MemberSpec {
  email: string;
  role: Role;
  name?: string;
}

export interface OrgSpec {
  name: string;
  slug: string;
  /** Created in this order, after every organisation of the call. */
  members?: MemberSpec[];
}

/** A new API key of `org` (created by the system unless `actor`); returns the secret. */
export async function apiKeyFor(t: { container: { deps: Deps } }, org: Organization, options: { label?: string; actor?: Actor } = {}): Promise<string> {
  return (await createApiKey(t.container.deps, options.actor ?? SYSTEM, { slug: org.slug, label: options.label ?? 'test' })).key;
}

/** Organisations (all created first, then their members, in the order given). */
export async function createOrgs(t: TestApp, specs: OrgSpec[]): Promise<Organization[]> {
  const orgs: Organization[] = [];
  for (const spec of specs) orgs.push(await t.createOrg({ name: spec.name, slug: spec.slug }));
  for (const [i, spec] of specs.entries()) {
    for (const m of spec.members ?? []) await t.createUser({ email: m.email, name: m.name, org: orgs[i], role: m.role });
  }
  return orgs;
}

export interface TwoOrgs {
  orgA: Organization;
  orgB: Organization;
  /** An API key of each organisation. */
  keyA: string;
  keyB: string;
}

/**
 * The isolation set-up: two organisations (A, the one under test, and B, a stranger), their members, and one API key
 * each (same label unless `labels` are given).
 */
export async function twoOrgsWithKeys(t: TestApp, a: OrgSpec, b: OrgSpec, options: { label?: string; labels?: [string, string] } = {}): Promise<TwoOrgs> {
  const [orgA, orgB] = (await createOrgs(t, [a, b])) as [Organization, Organization];
  const [labelA, labelB] = options.labels ?? [options.label, options.label];
  const keyA = await apiKeyFor(t, orgA, { label: labelA });
  const keyB = await apiKeyFor(t, orgB, { label: labelB });
  return { orgA, orgB, keyA, keyB };
}

/** A user actor (what the console passes to the domain) for `user`. */
export const userActor = (user: User) => ({ kind: 'user' as const, userId: user.id, isPlatformAdmin: false as const, ip: null });

/** A template of `org` from TEMPLATE_INPUT, with `overrides` on top. */
export function createTestTemplate(t: { container: { deps: Deps } }, actor: Actor, org: Organization, overrides: object = {}): Promise<Template> {
  return createTemplate(t.container.deps, actor, { slug: org.slug, template: { ...TEMPLATE_INPUT, ...overrides } });
}

/** Credentials of `template` (current version) to `people`, through the domain, with the grade `note: 'A'`. */
export function issueTestAwards(
  t: { container: { deps: Deps } },
  { actor, org, template, people }: { actor: Actor; org: Organization; template: Template; people: { name: string; email: string; learnerId?: string }[] },
) {
  const recipients = people.map((p) => requireRecipient(template.content, { ...p, fields: { note: 'A' } }));
  return issueBatch(t.container.deps, actor, { org, template, version: template.version, recipients });
}
