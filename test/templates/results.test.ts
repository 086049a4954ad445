/**
 * Automatic issuance from results, end to end on SQLite and PostgreSQL: POST /api/v1/results (API key, Idempotency-Key),
 * per-template rules (minimum score, all-of / any-of, once per learner, delay), the delayed job, the decision log (API
 * and console), the CSV import (nothing stored when a row is invalid), the rules page, and what the holder sees.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDecision, saveTemplateRules, sweepDueDecisions } from '../../src/domain/issuance/issue-from-results.js';
import type { RulesInput } from '../../src/domain/issuance/rules.js';
import { createTemplate } from '../../src/domain/templates/manage-templates.js';
import type { Template } from '../../src/domain/templates/model.js';
import { testDialects } from '../support/db.js';
import { type Agent, type TestApp, createTestApp } from '../support/app.js';
import { apiKeyFor } from '../support/factories.js';
import { TEMPLATE_INPUT, type World, seedTemplateWorld } from './support.js';
import type { Organization } from '../../src/domain/organizations/model.js';

const H = 3_600_000;

describe.each(testDialects())('automatic issuance from results on %s', (dialect) => {
  let t: TestApp, w: World, keyA: string, keyB: string, orgB: Organization, staff: Agent, reviewer: Agent;
  const tpl: Record<string, Template> = {};

  const newTemplate = async (label: string, rules: RulesInput, input: object = TEMPLATE_INPUT) => {
    const template = await createTemplate(t.container.deps, w.actor, { slug: w.org.slug, template: { ...input, name: { fr: label } } });
    await saveTemplateRules(t.container.deps, w.actor, { slug: w.org.slug, templateId: template.id, rules });
    tpl[label] = template;
    return template;
  };

  beforeAll(async () => {
    t = await createTestApp({ dialect });
    t.clock.set(new Date('2026-06-15T20:00:00.000Z'));
    w = await seedTemplateWorld(t, 'centre');
    await t.createUser({ email: 'reviewer@centre.example', name: 'Reviewer', org: w.org, role: 'reviewer' });
    orgB = await t.createOrg({ name: 'Autre centre', slug: 'autre' });
    keyA = await apiKeyFor(t, w.org, { label: 'LMS' });
    keyB = await apiKeyFor(t, orgB, { label: 'LMS' });
    await newTemplate('Secourisme', { enabled: 'on', activities: 'SST-101', minScore: '60', requirePassed: 'on', policy: 'once' });
    await newTemplate('Programme', { enabled: 'on', activities: 'U1, U2', mode: 'all', requirePassed: 'on' });
    await newTemplate('Module au choix', { enabled: 'on', activities: 'X1, X2', mode: 'any', requirePassed: 'on' });
    await newTemplate('Certassur', { enabled: 'on', activities: 'EXAM-D', minScore: '70', delayMinutes: '720' });
    staff = t.agent();
    await staff.signIn('staff@centre.example');
    reviewer = t.agent();
    await reviewer.signIn('reviewer@centre.example');
  });
  afterAll(async () => t?.close());

  const post = (results: unknown[], options: { key?: string; idem?: string } = {}) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/results',
      payload: { results },
      headers: { authorization: `Bearer ${options.key ?? keyA}`, 'accept-language': 'fr', ...(options.idem ? { 'idempotency-key': options.idem } : {}) },
    });
  const item = (email: string, activity: string, o: Record<string, unknown> = {}) => ({
    learner: { email, name: `Nom ${email.split('@')[0]}` },
    activity,
    score: 78,
    passed: true,
    date: '2026-06-15T18:00:00Z',
    ...o,
  });
  const awardsOf = async (email: string, template: Template) =>
    (await t.container.store.awards.list(w.org.id, { templateId: template.id, q: email }, { limit: 50 })).filter((a) => a.recipient.email === email);
  const resultRows = async () =>
    Number(
      (
        await t.container.handle.db
          .selectFrom('results')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirst()
      )?.n ?? 0,
    );
  const json = (res: LightMyRequestResponse) =>
    res.json() as {
      received: number;
      decisions: {
        id: string;
        decision: string;
        reason: string | null;
        dueAt: string | null;
        credentialId: string | null;
        details: Record<string, unknown> | null;
        template: { id: string };
      }[];
    };

  it('issues at once on a passing score, with the score in the template’s note field', async () => {
    const res = await post([item('ana@example.org', 'SST-101', { learner: { email: 'Ana@Example.org', name: 'Ana Roy', learnerId: 'M-1' } })]);
    expect(res.statusCode).toBe(202);
    const body = json(res);
    expect(body.received).toBe(1);
    expect(body.decisions).toHaveLength(1);
    expect(body.decisions[0]).toMatchObject({
      decision: 'issued',
      reason: null,
      dueAt: null,
      template: { id: tpl['Secourisme']!.id },
      learner: { email: 'ana@example.org', learnerId: 'M-1' },
    });
    expect(body.decisions[0]!.credentialId).toMatch(/^urn:uuid:/);
    const [award] = await awardsOf('ana@example.org', tpl['Secourisme']!);
    expect(award).toMatchObject({ credentialId: body.decisions[0]!.credentialId, recipient: { name: 'Ana Roy', learnerId: 'M-1', fields: { note: '78' } } });
    expect((await t.mails()).filter((m) => m.to === 'ana@example.org' && m.kind === 'credential.issued')).toHaveLength(1);
  });

  it('refuses a score below the minimum, with the reason, and issues nothing', async () => {
    const res = await post([item('ben@example.org', 'sst-101', { score: 42 })]);
    expect(res.statusCode).toBe(202);
    expect(json(res).decisions).toEqual([
      expect.objectContaining({
        decision: 'refused',
        reason: 'score_below_min',
        details: { activity: 'sst-101', score: 42, minScore: 60 },
        credentialId: null,
      }),
    ]);
    expect(await awardsOf('ben@example.org', tpl['Secourisme']!)).toHaveLength(0);
  });

  it('all-of: not yet after the first activity, issued with the second', async () => {
    const first = await post([item('cleo@example.org', 'U1')]);
    expect(json(first).decisions).toEqual([expect.objectContaining({ decision: 'not_yet', reason: 'activities_missing', details: { missing: 'u2' } })]);
    expect(await awardsOf('cleo@example.org', tpl['Programme']!)).toHaveLength(0);
    const second = await post([item('cleo@example.org', 'U2', { date: '2026-06-15T19:00:00Z' })]);
    expect(json(second).decisions).toEqual([expect.objectContaining({ decision: 'issued' })]);
    expect(await awardsOf('cleo@example.org', tpl['Programme']!)).toHaveLength(1);
  });

  it('any-of: one activity is enough; a failed one is refused', async () => {
    const failed = await post([item('dan@example.org', 'X1', { passed: false })]);
    expect(json(failed).decisions[0]).toMatchObject({ decision: 'refused', reason: 'failed' });
    const ok = await post([item('dan@example.org', 'X2')]);
    expect(json(ok).decisions[0]).toMatchObject({ decision: 'issued' });
    expect(await awardsOf('dan@example.org', tpl['Module au choix']!)).toHaveLength(1);
  });

  it('once per learner: a second passing result is refused; a replayed request answers the same and issues nothing more', async () => {
    const again = await post([item('ana@example.org', 'SST-101', { score: 95, date: '2026-06-15T19:30:00Z' })]);
    expect(json(again).decisions[0]).toMatchObject({ decision: 'refused', reason: 'already_issued' });

    const payload = [item('eve@example.org', 'SST-101')];
    const first = await post(payload, { idem: 'sis-batch-42' });
    const replay = await post(payload, { idem: 'sis-batch-42' });
    expect(first.statusCode).toBe(202);
    expect(replay.statusCode).toBe(202);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toBe(first.body);
    expect(await awardsOf('eve@example.org', tpl['Secourisme']!)).toHaveLength(1);
    // The same result re-delivered without a key: stored once, refused (already issued), still one credential.
    const before = await resultRows();
    const redelivered = await post(payload);
    expect(json(redelivered).decisions[0]).toMatchObject({ decision: 'refused', reason: 'already_issued' });
    expect(await resultRows()).toBe(before);
    expect(await awardsOf('eve@example.org', tpl['Secourisme']!)).toHaveLength(1);
  });

  it('two concurrent deliveries for the same learner issue one credential', async () => {
    const [r1, r2] = await Promise.all([
      post([item('kim@example.org', 'SST-101', { date: '2026-06-15T17:00:00Z' })]),
      post([item('kim@example.org', 'SST-101', { date: '2026-06-15T17:30:00Z', score: 90 })]),
    ]);
    expect([r1.statusCode, r2.statusCode]).toEqual([202, 202]);
    expect(await awardsOf('kim@example.org', tpl['Secourisme']!)).toHaveLength(1);
    expect([...json(r1).decisions, ...json(r2).decisions].filter((d) => d.decision === 'issued').length).toBeLessThanOrEqual(1);
  });

  it('refuses with the reason when the template needs a field that results do not provide', async () => {
    const strict = await newTemplate(
      'Avec mention',
      { enabled: 'on', activities: 'R-1' },
      {
        ...TEMPLATE_INPUT,
        fields: [{ key: 'mention', label: { fr: 'Mention' }, type: 'text', required: true }],
        email: { subject: { fr: 'Votre attestation' }, body: { fr: 'Bonjour {{nom}}' } },
      },
    );
    const res = await post([item('lea@example.org', 'R-1')]);
    expect(json(res).decisions[0]).toMatchObject({ decision: 'refused', reason: 'recipient_invalid', details: { codes: 'field:mention:FIELD_REQUIRED' } });
    expect(await awardsOf('lea@example.org', strict)).toHaveLength(0);
  });

  it('validates every item: 400 with per-item errors, nothing stored', async () => {
    const before = await resultRows();
    const res = await post([item('ok@example.org', 'SST-101'), item('pas-un-courriel', 'SST 101', { date: '2027-01-01' })]);
    expect(res.statusCode).toBe(400);
    const problem = res.json() as {
      code: string;
      params: { count: number };
      items: { index: number; field: string; code: string; message: string }[];
      errors: unknown[];
    };
    expect(problem.code).toBe('RESULTS_INVALID');
    expect(problem.params).toEqual({ count: 1 });
    expect(problem.items.map((i) => `${i.field}:${i.code}`)).toEqual([
      'results.1.learner.email:EMAIL_INVALID',
      'results.1.activity:RESULT_ACTIVITY_INVALID',
      'results.1.date:RESULT_DATE_INVALID',
    ]);
    expect(problem.items[0]!.message).toBe('Cette adresse courriel n’est pas valide.');
    expect(problem.errors).toHaveLength(3);
    expect(await resultRows()).toBe(before);
    // Unknown keys and empty batches are schema errors.
    expect((await post([{ ...item('x@example.org', 'A'), extra: 1 }])).statusCode).toBe(400);
    expect((await post([])).statusCode).toBe(400);
  });

  it('delay of 12 h: pending with its due time, nothing issued; the job at due time issues exactly one', async () => {
    const holder = await t.createUser({ email: 'fay@example.org', name: 'Fay' });
    const res = await post([item('fay@example.org', 'EXAM-D', { score: 88, date: '2026-06-15T19:00:00Z' })]);
    const [d] = json(res).decisions;
    expect(d).toMatchObject({ decision: 'pending', dueAt: '2026-06-16T07:00:00.000Z', credentialId: null });
    expect(await awardsOf('fay@example.org', tpl['Certassur']!)).toHaveLength(0);
    expect((await t.container.jobs.counts('results.issue@1')).queued).toBeGreaterThanOrEqual(1);
    // Re-delivered while pending: the same pending decision, no new one.
    const again = json(await post([item('fay@example.org', 'EXAM-D', { score: 88, date: '2026-06-15T19:00:00Z' })]));
    expect(again.decisions).toEqual([expect.objectContaining({ id: d!.id, decision: 'pending' })]);

    // The holder sees it as pending, expected around 07:00 UTC, shown in the organisation's zone (fr) / in English.
    const agent = t.agent();
    await agent.signIn('fay@example.org');
    const wallet = await agent.get('/account/credentials');
    expect(wallet.statusCode).toBe(200);
    expect(wallet.body).toContain('Attestations en attente');
    expect(wallet.body).toMatch(/en attente, attendue vers [^<]*09:00 \(Europe\/Paris\)/);
    expect((await agent.get('/account/credentials?lang=en')).body).toMatch(/pending, expected around [^<]*09:00 \(Europe\/Paris\)/);
    // The issuer sees it too.
    const page = await staff.get('/console/centre/results');
    expect(page.body).toMatch(/attendue vers [^<]*09:00 \(Europe\/Paris\)/);

    // Too early: the job re-decides "pending" and issues nothing.
    await runDecision(t.container.deps, d!.id);
    expect(await awardsOf('fay@example.org', tpl['Certassur']!)).toHaveLength(0);

    t.clock.advance(12 * H);
    try {
      await runDecision(t.container.deps, d!.id);
      await runDecision(t.container.deps, d!.id); // a retried job
      const awards = await awardsOf('fay@example.org', tpl['Certassur']!);
      expect(awards).toHaveLength(1);
      expect(awards[0]!.holderUserId).toBe(holder.id); // a verified account: straight into it
      const log = (await t.app.inject({ method: 'GET', url: '/api/v1/results/decisions?limit=100', headers: { authorization: `Bearer ${keyA}` } })).json() as {
        data: { id: string; decision: string; credentialId: string | null }[];
      };
      expect(log.data.find((x) => x.id === d!.id)).toMatchObject({ decision: 'issued', credentialId: awards[0]!.credentialId });
      expect((await agent.get('/account/credentials')).body).not.toContain('Attestations en attente');
    } finally {
      t.clock.advance(-12 * H);
    }
  });

  it('the sweeper re-enqueues pending decisions whose job was lost', async () => {
    const res = await post([item('gus@example.org', 'EXAM-D', { score: 90, date: '2026-06-15T19:00:00Z' })]);
    const [d] = json(res).decisions;
    expect(await sweepDueDecisions(t.container.deps)).toBe(0); // not due yet
    t.clock.advance(13 * H);
    try {
      expect(await sweepDueDecisions(t.container.deps)).toBe(1);
      await runDecision(t.container.deps, d!.id);
      expect(await awardsOf('gus@example.org', tpl['Certassur']!)).toHaveLength(1);
      expect(await sweepDueDecisions(t.container.deps)).toBe(0);
    } finally {
      t.clock.advance(-13 * H);
    }
  });

  it('imports results from a CSV: one bad row stores nothing and shows the line; a good file decides', async () => {
    const csv = (lines: string[]) => Buffer.from(`courriel;nom;matricule;activité;note;réussi;date\r\n${lines.join('\r\n')}\r\n`, 'utf8');
    const before = await resultRows();
    const bad = await staff.upload(
      '/console/centre/results',
      {},
      {
        field: 'file',
        filename: 'resultats.csv',
        type: 'text/csv',
        content: csv(['hal@example.org;Hal Roy;M-8;SST-101;81;oui;15/06/2026', 'ida@example.org;Ida Roy;;SST-101;quatre-vingts;oui;15/06/2026']),
      },
    );
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('data-line="3"');
    expect(bad.body).toContain('La note doit être un nombre');
    expect(bad.body).not.toContain('data-line="2"');
    expect(await resultRows()).toBe(before);
    expect(await awardsOf('hal@example.org', tpl['Secourisme']!)).toHaveLength(0);

    const good = await staff.upload(
      '/console/centre/results',
      {},
      {
        field: 'file',
        filename: 'resultats.csv',
        type: 'text/csv',
        content: csv(['hal@example.org;Hal Roy;M-8;SST-101;81;oui;15/06/2026', 'ida@example.org;Ida Roy;;SST-101;40;oui;15/06/2026']),
      },
    );
    expect(good.statusCode).toBe(200);
    expect(good.body).toContain('2 résultats reçus, 2 décisions.');
    expect(good.body).toContain('Note 40 inférieure au minimum 60 (sst-101)');
    expect(await resultRows()).toBe(before + 2);
    expect(await awardsOf('hal@example.org', tpl['Secourisme']!)).toHaveLength(1);

    // Missing columns and reviewers.
    const missing = await staff.upload(
      '/console/centre/results',
      {},
      { field: 'file', filename: 'x.csv', content: Buffer.from('courriel;nom\r\na@b.org;A\r\n') },
    );
    expect(missing.statusCode).toBe(400);
    expect(missing.body).toContain('Colonnes introuvables dans le fichier : activité, date');
    const denied = await reviewer.upload(
      '/console/centre/results',
      {},
      { field: 'file', filename: 'x.csv', content: csv(['a@b.org;A;;SST-101;90;oui;15/06/2026']) },
    );
    expect(denied.statusCode).toBe(403);
    const read = await reviewer.get('/console/centre/results');
    expect(read.statusCode).toBe(200);
    expect(read.body).not.toContain('enctype="multipart/form-data"');
    expect(read.body).toContain('Décisions récentes');
  });

  it('keeps organisations apart: org B’s key sees none of org A’s decisions and triggers none of its templates', async () => {
    const a = (await t.app.inject({ method: 'GET', url: '/api/v1/results/decisions', headers: { authorization: `Bearer ${keyA}` } })).json() as {
      data: unknown[];
    };
    expect(a.data.length).toBeGreaterThan(0);
    const b = await t.app.inject({ method: 'GET', url: '/api/v1/results/decisions', headers: { authorization: `Bearer ${keyB}` } });
    expect(b.statusCode).toBe(200);
    expect(b.json()).toEqual({ data: [], nextCursor: null });
    const sent = await post([item('jo@example.org', 'SST-101')], { key: keyB });
    expect(json(sent)).toEqual({ received: 1, decisions: [] });
    expect(await awardsOf('jo@example.org', tpl['Secourisme']!)).toHaveLength(0);
    // A cursor of org A's list is refused elsewhere; pages chain.
    const p1 = (await t.app.inject({ method: 'GET', url: '/api/v1/results/decisions?limit=2', headers: { authorization: `Bearer ${keyA}` } })).json() as {
      data: { id: string }[];
      nextCursor: string;
    };
    expect(p1.data).toHaveLength(2);
    const p2 = (
      await t.app.inject({
        method: 'GET',
        url: `/api/v1/results/decisions?limit=2&cursor=${encodeURIComponent(p1.nextCursor)}`,
        headers: { authorization: `Bearer ${keyA}` },
      })
    ).json() as { data: { id: string }[] };
    expect(p2.data[0]!.id < p1.data[1]!.id).toBe(true);
    expect(
      (
        await t.app.inject({
          method: 'GET',
          url: `/api/v1/credentials?cursor=${encodeURIComponent(p1.nextCursor)}`,
          headers: { authorization: `Bearer ${keyA}` },
        })
      ).statusCode,
    ).toBe(400);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/results/decisions' })).statusCode).toBe(401);
    // Console: outsiders get the 404 of a missing organisation; a foreign template's rules are 404 as well.
    const outsider = t.agent();
    await t.createUser({ email: 'out@example.org' });
    await outsider.signIn('out@example.org');
    expect((await outsider.get('/console/centre/results')).statusCode).toBe(404);
    const tplB = await createTemplate(t.container.deps, { kind: 'system' }, { slug: orgB.slug, template: TEMPLATE_INPUT });
    expect((await staff.get(`/console/centre/templates/${tplB.id}/rules`)).statusCode).toBe(404);
  });

  it('documents both routes in the OpenAPI document', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json() as {
      paths: Record<string, Record<string, { requestBody?: unknown; parameters?: { name: string }[] }>>;
    };
    expect(doc.paths['/api/v1/results']?.['post']?.requestBody).toBeTruthy();
    expect(doc.paths['/api/v1/results']?.['post']?.parameters?.map((p) => p.name)).toContain('idempotency-key');
    expect(doc.paths['/api/v1/results/decisions']?.['get']?.parameters?.map((p) => p.name)).toEqual(expect.arrayContaining(['limit', 'cursor']));
  });

  it('edits rules from the console (audited); reviewers read them only', async () => {
    const id = tpl['Programme']!.id;
    const page = await staff.get(`/console/centre/templates/${id}/rules`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('value="u1, u2"');
    expect(page.body).toContain('champ « note »');
    const bad = await staff.post(`/console/centre/templates/${id}/rules`, { enabled: 'on', activities: 'U1, U2', mode: 'all', delayMinutes: '99999' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Le délai est un nombre entier de minutes, de 0 à 43200.');
    const ok = await staff.post(`/console/centre/templates/${id}/rules`, {
      enabled: 'on',
      activities: 'U1, U2, U3',
      mode: 'any',
      minScore: '50',
      requirePassed: 'on',
      policy: 'recertify',
      renewWithinDays: '60',
      delayMinutes: '30',
    });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe(`/console/centre/templates/${id}/rules?done=saved`);
    expect(await t.container.store.results.getRules(w.org.id, id)).toEqual({
      enabled: true,
      activities: ['u1', 'u2', 'u3'],
      mode: 'any',
      minScore: 50,
      requirePassed: true,
      policy: 'recertify',
      renewWithinDays: 60,
      delayMinutes: 30,
    });
    const audit = await t.container.store.audit.listForOrg(w.org.id, 200);
    expect(audit.find((e) => e.action === 'template.rules_updated' && e.targetId === id)).toBeTruthy();
    const ro = await reviewer.get(`/console/centre/templates/${id}/rules`);
    expect(ro.statusCode).toBe(200);
    expect(ro.body).toContain('Votre rôle permet de consulter ces règles');
    expect(ro.body).not.toContain('Enregistrer les règles');
    expect(ro.body).not.toContain('action="/console/centre/templates/');
    expect((await reviewer.post(`/console/centre/templates/${id}/rules`, { enabled: 'on', activities: 'U1' })).statusCode).toBe(403);
    const results = await staff.get('/console/centre/results');
    expect(results.body).toContain(`/console/centre/templates/${id}/rules`);
    expect(results.body).toContain('au moins une : u1, u2, u3');
  });
});
