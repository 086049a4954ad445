import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../domain/shared/errors.js';
import type { AppDeps } from './deps.js';

export const healthRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  app.get(
    '/health',
    {
      config: { kind: 'api' },
      schema: {
        summary: 'Liveness and database readiness',
        tags: ['operations'],
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => {
      if (!(await deps.ping())) throw new AppError('INTERNAL');
      return { status: 'ok' as const };
    },
  );
};
