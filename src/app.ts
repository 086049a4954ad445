/**
 * `buildApp(deps)`: the whole web application, without listening (tests use `inject()`): the server with its
 * app-wide plugins (`src/http/server.ts`), the JSON API (`src/http`) and the web pages (`src/web`). Route groups
 * are encapsulated plugins: public web pages, signed-in web pages, platform admin, and the JSON API (Bearer API
 * keys, problem+json). Only cross-cutting plugins (context, errors) are app-wide.
 */
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from './http/deps.js';
import { createServer, registerApiRoutes } from './http/server.js';
import { renderErrorPage } from './web/pages/public.js';
import { registerWebRoutes } from './web/routes/index.js';

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = await createServer(deps, { renderErrorPage });
  await registerApiRoutes(app, deps);
  await registerWebRoutes(app, deps);
  return app;
}
