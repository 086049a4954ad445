import { it, vi } from 'vitest';
vi.mock('fastify', async (importOriginal) => (await import('./support/route-capture.js')).wrapFastify(await importOriginal<object>()));
import { createTestApp } from '../support/app.js';
import { routeTable, routeKey } from './support/route-capture.js';
it('x', async () => {
  const t = await createTestApp();
  console.log(routeTable(t.app).map(routeKey).join('\n'));
  await t.close();
});
