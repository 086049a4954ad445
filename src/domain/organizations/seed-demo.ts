import { type AccountDeps } from '../accounts/account-rules.js';
import { createOrganization } from './manage-organizations.js';
import { addMember } from './manage-members.js';
import { createUserAccount } from '../accounts/sign-up.js';

export const DEMO_ORG_SLUG = 'institut-demo';
export const DEMO_ADMIN_EMAIL = 'admin@institut-demo.example';

/**
 * First start: the demo organisation "Institut Démo" and its admin (also platform admin, to read the outbox).
 * The password is random and returned once for the console; it is never fixed nor stored in clear.
 */
export async function seedDemo(deps: AccountDeps): Promise<{ email: string; password: string } | undefined> {
  if (await deps.store.organizations.findBySlug(DEMO_ORG_SLUG)) return undefined;
  const password = deps.secrets.newToken().slice(0, 20);
  // Hash outside the transaction (argon2 takes tens of ms; keep the SQLite write lock short).
  const user = await createUserAccount(deps, { email: DEMO_ADMIN_EMAIL, displayName: 'Admin Démo', password, locale: 'fr', isPlatformAdmin: true });
  await deps.store.transaction(async (tx) => {
    const org = await createOrganization(deps, { kind: 'system' }, { name: 'Institut Démo', slug: DEMO_ORG_SLUG, languages: ['fr', 'en'], tx });
    await addMember(deps, { kind: 'system' }, { slug: org.slug, userId: user.id, role: 'admin', tx });
  });
  return { email: DEMO_ADMIN_EMAIL, password };
}
