import { createTemplate } from '../../src/domain/templates/manage-templates.js';
import type { Template } from '../../src/domain/templates/model.js';
import type { TestApp } from '../support/app.js';
import type { User } from '../../src/domain/accounts/model.js';
import type { Organization } from '../../src/domain/organizations/model.js';

export const TEMPLATE_INPUT = {
  kind: 'certificate',
  name: { fr: 'Secourisme en milieu de travail', en: 'Workplace first aid' },
  description: { fr: 'Formation de 16 heures en secourisme.', en: '16-hour first-aid training.' },
  criteria: { fr: 'Réussir l’examen pratique.' },
  skills: [
    { name: 'Premiers secours', frameworkUri: 'http://data.europa.eu/esco/skill/1e4a1d5b-0a5e-4e1f-9c2d-0a1b2c3d4e5f' },
    { name: 'Travail d’équipe' },
  ],
  validity: { unit: 'years', n: 3 },
  fields: [
    { key: 'note', label: { fr: 'Note', en: 'Grade' }, type: 'grade', required: true },
    { key: 'date_examen', label: { fr: 'Date de l’examen', en: 'Exam date' }, type: 'date', required: false },
  ],
  email: { subject: { fr: 'Votre attestation {{titre}}' }, body: { fr: 'Bonjour {{nom}},\n\nVoici votre attestation ({{note}}) : {{lien}}' } },
  defaultLocale: 'fr',
};

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
  const actor = { kind: 'user' as const, userId: staff.id, isPlatformAdmin: false as const, ip: null };
  const template = await createTemplate(t.container.deps, actor, { slug: org.slug, template: TEMPLATE_INPUT });
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
