import type { Template } from '../../src/domain/templates/model.js';
import { afterAll, beforeAll } from 'vitest';
import { type Agent, type TestApp, createTestApp } from '../support/app.js';
import { TEMPLATE_INPUT, createTestTemplate, userActor } from '../support/factories.js';
import type { User } from '../../src/domain/accounts/model.js';
import type { Organization } from '../../src/domain/organizations/model.js';

export { TEMPLATE_INPUT };

export interface World {
  org: Organization;
  admin: User;
  staff: User;
  template: Template;
  actor: { kind: 'user'; userId: string; isPlatformAdmin: false; ip: null };
}

export async function seedTemplateWorld(t: TestApp, slug = 'ecole'): Promise<World> {
  const org = await t.createOrg({ name: 'École Démo', slug });
  const admin = await t.createUser({ email: `admin@${slug}.example`, name: 'Admin', org, role: 'admin' });
  const staff = await t.createUser({ email: `staff@${slug}.example`, name: 'Staff', org, role: 'staff' });
  const actor = userActor(staff);
  const template = await createTestTemplate(t, actor, org);
  return { org, admin, staff, template, actor };
}

/** A CSV of `n` recipients (header line 1, data from line 2). */
export function csvOf(n: number, options: { sep?: string; bad?: Record<number, string> } = {}): Buffer {
  const sep = options.sep ?? ';';
  const lines = [['Nom', 'Courriel', 'Note', 'Date de l’examen'].join(sep)];
  for (let i = 0; i < n; i++) {
    const line = i + 2;
    lines.push(options.bad?.[line] ?? [`Élève ${i}`, `eleve${i}@example.org`, i % 2 ? 'A' : 'B+', '15/06/2026'].join(sep));
  }
  return Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8');
}

/** A test app with the template world seeded; with `signIn`, the staff member signed in (`staff@<slug>.example`). */
export async function templateWorld(options: Parameters<typeof createTestApp>[0] & { signIn?: boolean } = {}): Promise<{ t: TestApp; w: World; staff: Agent }> {
  const { signIn, ...appOptions } = options;
  const t = await createTestApp(appOptions);
  const w = await seedTemplateWorld(t);
  const staff = t.agent();
  if (signIn) await staff.signIn(`staff@${w.org.slug}.example`);
  return { t, w, staff };
}

/**
 * Registers the suite's hooks: before all, `templateWorld(options)` handed to `set`; after all, the app closed.
 * `let t: TestApp, w: World; useTemplateWorld({ dialect }, (world) => ({ t, w } = world));`
 */
export function useTemplateWorld(options: Parameters<typeof templateWorld>[0], set: (world: { t: TestApp; w: World; staff: Agent }) => void): void {
  let app: TestApp | undefined;
  beforeAll(async () => {
    const world = await templateWorld(options);
    app = world.t;
    set(world);
  });
  afterAll(async () => app?.close());
}
