/**
 * Fastify's own route table, as its `onRoute` hook reports it (Z1, F1). `wrapFastify` is used from a
 * `vi.mock('fastify', …)` factory in the security tests: it returns the real module whose factory adds an
 * `onRoute` hook to every instance before any plugin registers routes. Nothing in `src/` changes.
 * This module must not import `fastify` at run time (it is imported from inside the mock factory).
 */

export interface CapturedRoute {
  /** One method (routes declared with several methods are split). */
  method: string;
  /** The path as declared, e.g. `/console/:slug/members`. */
  url: string;
  /** The route schema (zod schemas here: body, params, querystring, response), if any. */
  schema: Record<string, unknown> | undefined;
}

const tables = new WeakMap<object, CapturedRoute[]>();

type Factory = (...args: unknown[]) => { addHook(name: string, fn: (route: Record<string, unknown>) => void): unknown };

export function wrapFastify<M extends object>(mod: M): M {
  const original = (mod as { default: Factory }).default;
  const factory = function wrappedFastify(this: unknown, ...args: unknown[]) {
    const app = original.apply(this, args);
    const list: CapturedRoute[] = [];
    tables.set(app, list);
    app.addHook('onRoute', (route) => {
      const methods = ([] as unknown[]).concat(route['method']) as string[];
      for (const method of methods) {
        list.push({ method: method.toUpperCase(), url: String(route['url']), schema: route['schema'] as Record<string, unknown> | undefined });
      }
    });
    return app;
  };
  Object.assign(factory, original);
  return { ...mod, default: factory, fastify: factory };
}

/** Every route of an app built through the wrapped factory, deduplicated by "METHOD /path". */
export function routeTable(app: object): CapturedRoute[] {
  const list = tables.get(app);
  if (!list) throw new Error('route table not captured: the test file must vi.mock("fastify") with wrapFastify');
  const seen = new Map<string, CapturedRoute>();
  for (const r of list) seen.set(`${r.method} ${r.url}`, r);
  return [...seen.values()];
}

export const routeKey = (r: { method: string; url: string }): string => `${r.method} ${r.url}`;
