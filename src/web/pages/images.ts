/** The organisation's images (template artwork): list with thumbnails, and the upload form. */
import { imagePath, imageUrl } from '../../domain/templates/images.js';
import { format } from '../../i18n/t.js';
import { type Html, html } from '../../shared/html.js';
import { fmtDate } from './console.js';
import { type PageContext, csrfField, errorSummary, layout, notice } from '../layout.js';
import type { FormState } from './auth.js';
import type { Organization } from '../../domain/organizations/model.js';
import type { Standing } from '../../domain/shared/policies.js';
import type { ImageMeta } from '../../domain/templates/model.js';

const kib = (ctx: PageContext, bytes: number) =>
  format(ctx.m.images.kib, { n: new Intl.NumberFormat(ctx.locale === 'fr' ? 'fr-CA' : 'en-GB', { maximumFractionDigits: 1 }).format(bytes / 1024) });

/** Thumbnail attributes: the image fitted in a 64 × 64 box, ratio kept. */
const thumbSize = (i: ImageMeta): Html => {
  const scale = 64 / Math.max(i.width, i.height);
  return html`width="${Math.max(1, Math.round(i.width * scale))}" height="${Math.max(1, Math.round(i.height * scale))}"`;
};

/** The upload form alone (the template editor embeds it too). */
export function imageUploadForm(ctx: PageContext, org: Organization, error?: string): Html {
  const { m } = ctx;
  const describedBy = error ? 'f-image-hint f-image-error' : 'f-image-hint';
  return html`<form method="post" action="/console/${org.slug}/images" enctype="multipart/form-data" aria-labelledby="h-upload">
  ${csrfField(ctx)}
  <div class="field${error ? ' has-error' : ''}">
    <label for="f-image">${m.images.file}</label>
    <p class="hint" id="f-image-hint">${m.images.fileHint}</p>
    ${error ? html`<p class="error" id="f-image-error">${error}</p>` : ''}
    <input id="f-image" name="image" type="file" accept="image/png,image/jpeg,image/svg+xml,.png,.jpg,.jpeg,.svg" required
      aria-describedby="${describedBy}"${error ? html` aria-invalid="true"` : ''}>
  </div>
  <button type="submit">${m.images.upload}</button>
</form>`;
}

export function imagesPage(
  ctx: PageContext,
  v: {
    org: Organization;
    standing: Standing;
    images: ImageMeta[];
    baseUrl: URL;
    notice?: string;
    state?: FormState;
  },
): Html {
  const { m } = ctx;
  const fieldError = v.state?.errors?.['image'];
  return layout(
    ctx,
    `${m.images.title} · ${v.org.name}`,
    html`
<p class="breadcrumb"><a href="/console">${m.console.title}</a> › <a href="/console/${v.org.slug}">${v.org.name}</a></p>
<h1>${m.images.title}</h1>
<p class="lead">${m.images.intro}</p>
${notice(v.notice)}
${errorSummary(ctx, v.state?.general ?? [])}
${
  v.images.length
    ? html`<table>
<thead><tr><th scope="col">${m.images.preview}</th><th scope="col">${m.images.format}</th><th scope="col">${m.images.dimensions}</th><th scope="col">${m.images.weight}</th><th scope="col">${m.common.created}</th><th scope="col">${m.images.address}</th></tr></thead>
<tbody>${v.images.map(
        (i) => html`<tr>
<td><img src="${imagePath(v.org.slug, i.id)}" alt="${format(m.images.alt, { width: i.width, height: i.height })}" ${thumbSize(i)} loading="lazy"></td>
<td>${i.contentType === 'image/png' ? 'PNG' : 'JPEG'}</td>
<td>${i.width} × ${i.height}</td>
<td>${kib(ctx, i.byteSize)}</td>
<td>${fmtDate(ctx, i.createdAt)}</td>
<td><code>${imageUrl(v.baseUrl, v.org.slug, i.id)}</code></td></tr>`,
      )}</tbody>
</table>`
    : html`<p>${m.images.empty}</p>`
}
<h2 id="h-upload">${m.images.upload}</h2>
${imageUploadForm(ctx, v.org, fieldError)}`,
  );
}
