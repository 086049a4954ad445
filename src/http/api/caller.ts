/** What the v1 routes share about their caller: the API key's actor (and organisation), and the `:id` parameter. */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../domain/shared/errors.js';
import type { Actor } from '../../domain/shared/model.js';
import type { Organization } from '../../domain/organizations/model.js';

export type ApiKeyActor = Extract<Actor, { kind: 'apiKey' }>;

/** The API key's actor and organisation (set by the v1 scope's authentication hook). */
export function apiCaller(request: FastifyRequest): { actor: ApiKeyActor; org: Organization } {
  const actor = request.actor;
  if (actor?.kind !== 'apiKey' || !request.apiOrg) throw new AppError('AUTH_REQUIRED');
  return { actor, org: request.apiOrg };
}

export const IdParams = z.object({ id: z.string().min(1).max(64) });
