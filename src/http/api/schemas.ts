import { z } from 'zod';
import { ERROR_CODES } from '../../domain/shared/errors.js';

/** application/problem+json (RFC 9457) with Sceau's stable `code`. */
export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.enum(ERROR_CODES),
    detail: z.string(),
    params: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
    field: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    requestId: z.string().optional(),
  })
  .describe('Problem details');

export const problemResponses = {
  400: ProblemSchema,
  401: ProblemSchema,
  403: ProblemSchema,
  404: ProblemSchema,
  409: ProblemSchema,
  413: ProblemSchema,
  415: ProblemSchema,
  429: ProblemSchema,
  500: ProblemSchema,
};

export const OrganizationSchema = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  logoUrl: z.string().nullable(),
  languages: z.array(z.enum(['fr', 'en'])),
  parentSlug: z.string().nullable(),
  createdAt: z.string(),
});

export const MemberSchema = z.object({
  userId: z.string(),
  displayName: z.string(),
  email: z.string(),
  role: z.enum(['admin', 'staff', 'reviewer']),
  since: z.string(),
});

export const InvitationSchema = z.object({
  id: z.string(),
  email: z.string(),
  role: z.enum(['admin', 'staff', 'reviewer']),
  expiresAt: z.string(),
  createdAt: z.string(),
});
