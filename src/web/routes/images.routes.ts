/**
 * Console: the organisation's images (template artwork). Those who edit templates (admins and staff) list and
 * upload; reviewers get 403, non-members the 404 of a missing organisation. Uploads are multipart (`image` file + `_csrf`), read into memory
 * by the signed-in group's multipart plugin; the domain recognises the format from the bytes.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../domain/shared/errors.js';
import { listImages, uploadImage } from '../../domain/templates/images.js';
import { authorize } from '../../domain/shared/policies.js';
import type { AppDeps } from '../../http/deps.js';
import { pageContext } from '../layout.js';
import type { FormState } from '../pages/auth.js';
import { imagesPage } from '../pages/images.js';
import { csrf, formState, htmlResponse, redirectResponse, sendHtml, statusOf, text, userActor } from './helpers.js';

export const imageRoutes: FastifyPluginAsyncZod<{ deps: AppDeps }> = async (app, { deps }) => {
  const hide = { hide: true };
  const slugParams = z.object({ slug: text(63) });

  async function render(request: FastifyRequest, reply: FastifyReply, slug: string, extra: { notice?: string; state?: FormState } = {}, status = 200) {
    const view = await listImages(deps, userActor(request), { slug });
    return sendHtml(reply, imagesPage(pageContext(request), { ...view, baseUrl: deps.baseUrl, ...extra }), status);
  }

  app.get(
    '/console/:slug/images',
    {
      schema: {
        ...hide,
        params: slugParams,
        querystring: z.object({ done: z.enum(['uploaded']).optional(), lang: z.enum(['fr', 'en']).optional() }),
        response: htmlResponse,
      },
    },
    async (request, reply) => {
      return render(request, reply, request.params.slug, { notice: request.query.done ? pageContext(request).m.images.uploaded : undefined });
    },
  );

  app.post(
    '/console/:slug/images',
    {
      schema: {
        ...hide,
        params: slugParams,
        // multipart: the file arrives as a Buffer; a text field of that name (or a urlencoded form) as a string.
        body: z.object({ ...csrf, image: z.union([z.instanceof(Buffer), z.string().max(100)]).optional() }),
        response: { ...redirectResponse, 413: z.string() },
      },
    },
    async (request, reply) => {
      const actor = userActor(request);
      const { org } = await authorize(deps, actor, { action: 'templates.edit', slug: request.params.slug });
      try {
        const { image } = request.body;
        if (!Buffer.isBuffer(image)) throw new AppError('IMAGE_UNSUPPORTED', {}, { field: 'image' });
        await uploadImage(deps, actor, { slug: org.slug, bytes: image });
        return reply.redirect(`/console/${org.slug}/images?done=uploaded`, 303);
      } catch (e) {
        return render(request, reply, org.slug, { state: formState(request, e) }, statusOf(e));
      }
    },
  );
};
