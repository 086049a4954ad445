import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, extractCode, type TestApp } from '../support/app.js';

describe('smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('health answers ok', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('signs up with a code', async () => {
    const a = t.agent();
    const res = await a.post('/signup', { displayName: 'Léa Martin', email: 'lea@example.org', password: 'un mot de passe solide', locale: 'fr' });
    expect(res.statusCode).toBe(303);
    const flow = new URL(res.headers.location as string, 'http://x').searchParams.get('flow')!;
    const mail = await t.lastMailTo('lea@example.org');
    const verify = await a.post('/signup/verify', { flow, code: extractCode(mail.text) });
    expect(verify.statusCode).toBe(303);
    const account = await a.get('/account');
    expect(account.statusCode).toBe(200);
    expect(account.body).toContain('lea@example.org');
  });
});
