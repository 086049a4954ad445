/**
 * The template editor shows the skills and custom fields a template has plus ONE empty block each (not 8), and
 * "Ajouter une compétence / un champ" buttons that work without JavaScript: they re-render the form with what was
 * typed and one more empty block, saving nothing.
 */
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/domain/templates/manage-templates.js';
import { type Agent, type TestApp } from '../support/app.js';
import { type World, useTemplateWorld } from './support.js';

const blocks = (body: string, kind: 'skill' | 'field') =>
  [...body.matchAll(new RegExp(`<fieldset class="row-group" id="${kind}-(\\d+)">`, 'g'))].map((m) => Number(m[1]));

describe('template editor rows', () => {
  let t: TestApp, w: World, staff: Agent;
  useTemplateWorld({ signIn: true }, (world) => ({ t, w, staff } = world));

  it('a new template: one empty skill block and one empty field block, with their add buttons', async () => {
    const page = await staff.get('/console/ecole/templates/new');
    expect(page.statusCode).toBe(200);
    expect(blocks(page.body, 'skill')).toEqual([1]);
    expect(blocks(page.body, 'field')).toEqual([1]);
    expect(page.body).toContain(
      '<button type="submit" name="add" value="skills" class="button-secondary" formaction="/console/ecole/templates/preview#skill-2">Ajouter une compétence</button>',
    );
    expect(page.body).toContain(
      '<button type="submit" name="add" value="fields" class="button-secondary" formaction="/console/ecole/templates/preview#field-2">Ajouter un champ</button>',
    );
    // Enter in a text box submits the form's first button: the form's own action, not "add".
    const form = page.body.slice(page.body.indexOf('<form method="post" action="/console/ecole/templates"'));
    expect(form.indexOf('<button type="submit" hidden tabindex="-1">Créer le modèle</button>')).toBeLessThan(form.indexOf('name="add"'));
    const en = await staff.get('/console/ecole/templates/new?lang=en');
    expect(en.body).toContain('>Add a skill</button>');
    expect(en.body).toContain('>Add a field</button>');
  });

  it('an existing template: its blocks plus one empty block each', async () => {
    const page = await staff.get(`/console/ecole/templates/${w.template.id}?lang=fr`);
    expect(page.statusCode).toBe(200);
    expect(blocks(page.body, 'skill')).toEqual([1, 2, 3]);
    expect(blocks(page.body, 'field')).toEqual([1, 2, 3]);
  });

  it('"add" re-renders what was typed with one more empty block, without saving or complaining', async () => {
    const before = (await t.container.store.templates.list(w.org.id)).length;
    const typed = {
      templateId: '',
      kind: 'badge',
      'name.fr': '',
      'description.fr': 'Brouillon <b>pas encore</b> enregistré',
      'skills.0.name': 'Soudure TIG',
      'skills.0.frameworkUri': '',
      'skills.0.code': '',
      'fields.0.key': 'note',
      'fields.0.label.fr': 'Note',
      'fields.0.label.en': '',
      'fields.0.type': 'grade',
    };
    const once = await staff.post('/console/ecole/templates/preview', { ...typed, 'skills.1.name': '', add: 'skills' });
    expect(once.statusCode).toBe(200);
    expect(blocks(once.body, 'skill')).toEqual([1, 2, 3]);
    expect(blocks(once.body, 'field')).toEqual([1, 2]);
    expect(once.body).toContain('value="Soudure TIG"');
    expect(once.body).toContain('Brouillon &lt;b&gt;pas encore&lt;/b&gt; enregistré');
    expect(once.body).not.toContain('role="alert"'); // no error summary for an empty name yet
    const fields = await staff.post('/console/ecole/templates/preview', { ...typed, add: 'fields' });
    expect(blocks(fields.body, 'field')).toEqual([1, 2]);
    expect(blocks(fields.body, 'skill')).toEqual([1, 2]);
    expect((await t.container.store.templates.list(w.org.id)).length).toBe(before);
  });

  it('no add button once the limit is reached', async () => {
    const form: Record<string, string> = { templateId: '', kind: 'badge', 'name.fr': 'Plein', add: 'skills' };
    for (let i = 0; i < LIMITS.skills - 1; i++) form[`skills.${i}.name`] = `Compétence ${i}`;
    const page = await staff.post('/console/ecole/templates/preview', form);
    expect(blocks(page.body, 'skill')).toHaveLength(LIMITS.skills);
    expect(page.body).not.toContain('value="skills"');
    expect(page.body).toContain('value="fields"');
  });
});
