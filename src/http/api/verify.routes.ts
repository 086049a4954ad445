/**
 * VC-API verification: POST /credentials/verify, POST /presentations/verify. Public (no key needed).
 *
 * 200 with `verified: true`, the log of steps and the warnings when the credential (or presentation) verifies;
 * 400 with the same body (`verified: false`, the log, the errors) when it does not. A request that is not a
 * verification request at all (missing field, wrong type) is a 400 problem+json like every other route.
 * A JWT is accepted as the string itself or as an EnvelopedVerifiableCredential (`data:application/vc+jwt,…`).
 * Messages follow the request's language (codes and params are stable; see the verification catalogue).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { STEP_IDS, type VerificationResult } from '../../domain/credentials/verification.js';
import { localizeVerification } from '../../i18n/verification.js';
import type { AppDeps } from '../deps.js';
import { ProblemSchema, problemResponses } from './schemas.js';

/** A compact JWS / SD-JWT, optionally as a data: URL. */
const JwtString = z
  .string()
  .min(1)
  .max(900_000)
  .regex(/^(?:data:[A-Za-z0-9.+/-]+(?:;[^,]*)?,)?[A-Za-z0-9_~.%=-]+$/, 'a compact JWT or a data: URL');
const JsonObject = z.record(z.string(), z.unknown());

const Options = z
  .looseObject({
    challenge: z.string().max(1024).optional(),
    domain: z.string().max(1024).optional(),
  })
  .describe('VC-API verification options: `challenge` and `domain` for presentations; others are ignored.');

const CredentialBody = z
  .object({
    verifiableCredential: z.union([JwtString, JsonObject]).describe('A credential with an embedded proof, a VC-JWT, or an EnvelopedVerifiableCredential.'),
    options: Options.optional(),
  })
  .strict();

const PresentationBody = z
  .object({
    verifiablePresentation: z.union([JwtString, JsonObject]).describe('A presentation (embedded proof or VP-JWT), or an EnvelopedVerifiablePresentation.'),
    options: Options.optional(),
  })
  .strict();

const Params = z.record(z.string(), z.union([z.string(), z.number()]));
const Step = z.object({
  id: z.enum(STEP_IDS),
  valid: z.boolean(),
  code: z.string().optional(),
  message: z.string().optional(),
  params: Params.optional(),
  details: JsonObject.optional(),
});
const Problem = z.object({ code: z.string(), message: z.string(), params: Params.optional(), step: z.enum(STEP_IDS).optional() });

const VerifyResult = z
  .object({
    verified: z.boolean(),
    format: z.enum(['ldp', 'vc-jwt', 'vc+jwt', 'presentation', 'unknown']),
    /** VC-API `checks`: the steps that passed. */
    checks: z.array(z.enum(STEP_IDS)),
    log: z.array(Step),
    errors: z.array(Problem),
    warnings: z.array(Problem),
    credential: z.unknown().optional(),
    presentation: z.unknown().optional(),
    nested: z.array(z.looseObject({ verified: z.boolean() })).optional(),
  })
  .describe('Verification result: the named steps (log), errors and warnings. Codes are listed in the verification catalogue.');

function present(result: VerificationResult, kind: 'credential' | 'presentation') {
  const body: z.infer<typeof VerifyResult> = {
    verified: result.verified,
    format: result.format,
    checks: result.log.filter((s) => s.valid).map((s) => s.id),
    log: result.log,
    errors: result.errors,
    warnings: result.warnings,
  };
  if (result.credential !== null && result.credential !== undefined) body[kind] = result.credential;
  if (result.nested?.length) body.nested = result.nested as unknown as z.infer<typeof VerifyResult>['nested'];
  return body;
}

export const vcApiVerifyRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  const tags = ['vc-api'];
  const response = { ...problemResponses, 200: VerifyResult, 400: z.union([VerifyResult, ProblemSchema]) };

  app.post(
    '/credentials/verify',
    {
      config: { kind: 'api' },
      schema: { summary: 'Verify a credential (embedded proof, VC-JWT or vc+jwt)', tags, body: CredentialBody, response },
    },
    async (request, reply) => {
      // `options` (challenge, domain) bind presentations; a credential has nothing to check them against.
      const result = await deps.verifier.verifyCredential(request.body.verifiableCredential);
      return reply.code(result.verified ? 200 : 400).send(present(localizeVerification(result, request.locale), 'credential'));
    },
  );

  app.post(
    '/presentations/verify',
    {
      config: { kind: 'api' },
      schema: { summary: 'Verify a presentation and every credential in it', tags, body: PresentationBody, response },
    },
    async (request, reply) => {
      const { verifiablePresentation, options } = request.body;
      const result = await deps.verifier.verifyPresentation(verifiablePresentation, { challenge: options?.challenge, domain: options?.domain });
      return reply.code(result.verified ? 200 : 400).send(present(localizeVerification(result, request.locale), 'presentation'));
    },
  );
};
