/** Every route declares a response schema, and every route that takes input declares it (body / params / query). */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.mock('fastify', async (importOriginal) => (await import('./support/route-capture.js')).wrapFastify(await importOriginal<object>()));

const { createTestApp } = await import('../support/app.js');
const { routeKey, routeTable } = await import('./support/route-capture.js');

describe('route schemas', () => {
  let t: Awaited<ReturnType<typeof createTestApp>>;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  // Third-party routes: Swagger UI's static files and @fastify/static assets (no input, bytes out).
  const isThirdParty = (url: string) => url.startsWith('/docs') || url.startsWith('/assets');

  it('has a response schema on every route of ours, and a body schema on every POST', () => {
    const routes = routeTable(t.app).filter((r) => r.method !== 'HEAD' && !isThirdParty(r.url));
    expect(routes.length).toBeGreaterThan(30);
    const missing = routes.filter((r) => !r.schema?.['response']).map(routeKey);
    expect(missing).toEqual([]);
    const postsWithoutBody = routes.filter((r) => r.method === 'POST' && !r.schema?.['body']).map(routeKey);
    expect(postsWithoutBody).toEqual([]);
    const paramsWithoutSchema = routes.filter((r) => r.url.includes(':') && !r.schema?.['params']).map(routeKey);
    expect(paramsWithoutSchema).toEqual([]);
  });
});
