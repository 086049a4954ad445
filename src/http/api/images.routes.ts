/**
 * `POST /api/v1/images`: uploads template artwork for the API key's organisation. The body is the raw file
 * (`Content-Type: image/png`, `image/jpeg` or `image/svg+xml`, at most 2 MiB); the format is recognised from the
 * bytes, whatever the declared type. SVG is rasterised to PNG. Same bytes as an existing image: that image.
 * Registered inside the v1 scope (Bearer key, Idempotency-Key).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../domain/shared/errors.js';
import { uploadImage } from '../../domain/templates/images.js';
import type { AppDeps } from '../deps.js';
import { problemResponses } from './schemas.js';
import { IMAGE_MAX_BYTES } from '../../domain/templates/model.js';

export const IMAGE_UPLOAD_TYPES = ['image/png', 'image/jpeg', 'image/svg+xml'] as const;

export const ImageSchema = z
  .object({
    id: z.string(),
    url: z.string().describe('Public address of the image (use it as an Open Badges achievement image)'),
    width: z.number().int(),
    height: z.number().int(),
    contentType: z.enum(['image/png', 'image/jpeg']).describe('What is stored and served: an SVG becomes a PNG'),
  })
  .describe('Image');

const mediaType = (header: string | undefined) => (header ?? '').split(';')[0]!.trim().toLowerCase();

export const imagesApiRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  // Raw bytes, this plugin only. Fastify's body limit answers 413 beyond it (a declared length is refused first).
  app.addContentTypeParser([...IMAGE_UPLOAD_TYPES], { parseAs: 'buffer', bodyLimit: IMAGE_MAX_BYTES }, (_request, body, done) => done(null, body));
  app.addHook('onRequest', async (request) => {
    if (request.method !== 'POST') return;
    if (!(IMAGE_UPLOAD_TYPES as readonly string[]).includes(mediaType(request.headers['content-type']))) throw new AppError('UNSUPPORTED_MEDIA_TYPE');
    if (Number(request.headers['content-length'] ?? 0) > IMAGE_MAX_BYTES) throw new AppError('IMAGE_TOO_LARGE', { maxMiB: IMAGE_MAX_BYTES / (1024 * 1024) });
  });

  app.post(
    '/images',
    {
      schema: {
        summary: 'Upload an image (PNG, JPEG or SVG; raw body, at most 2 MiB)',
        tags: ['images'],
        security: [{ apiKey: [] }],
        description:
          'The body is the file itself. PNG and JPEG up to 4096 × 4096 pixels are stored without metadata; an SVG ' +
          'is rendered to a 1024-pixel PNG (external references are never loaded). Uploading the same bytes again returns the same image.',
        consumes: [...IMAGE_UPLOAD_TYPES],
        body: z.instanceof(Buffer).meta({ type: 'string', format: 'binary', description: 'The image file' }),
        response: { 201: ImageSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const actor = request.actor;
      if (actor?.kind !== 'apiKey' || !request.apiOrg) throw new AppError('AUTH_REQUIRED');
      const image = await uploadImage(deps, actor, { bytes: request.body });
      return reply.code(201).send(image);
    },
  );
};
