/**
 * Images of an organisation: badge artwork for credential templates (OB 3.0 `achievement.image`).
 *
 * Only PNG and JPEG are ever stored and served. The format is recognised from the bytes (never from a declared
 * type or a file name); an SVG is always rasterised to PNG (so no active content is ever served), with nothing
 * loaded from outside the document. PNG/JPEG are checked (structure, checksums, compressed data) and stored without
 * their metadata (text chunks, EXIF/XMP, comments: they can carry a location or hide a polyglot payload).
 * Identical bytes uploaded twice to one organisation give the same image (deduplicated by SHA-256).
 *
 * Public URL: `<baseUrl>/orgs/<slug>/images/<id>` with a random public id; another organisation's slug with that
 * id answers the same 404 as a nonexistent id.
 */
import { recordAudit } from '../shared/audit.js';
import { AppError } from '../shared/errors.js';
import type { Actor } from '../shared/model.js';
import type { Clock, Secrets } from '../shared/ports.js';
import type { Store } from '../shared/store.js';
import { type OrgScope, authorize } from '../shared/policies.js';
import {
  type ImageContentType,
  IMAGE_MAX_BYTES,
  SVG_MAX_BYTES,
  IMAGE_MAX_SIDE,
  SVG_RASTER_SIZE,
  type ImageMeta,
  type StoredImage,
  type ImageProblem,
  isImageProblem,
} from './model.js';
import { type ImageProcessor } from './ports.js';

export interface ImageDeps {
  store: Store;
  clock: Clock;
  secrets: Secrets;
  baseUrl: URL;
  imageProcessor: ImageProcessor;
}

export interface UploadedImage {
  id: string;
  url: string;
  width: number;
  height: number;
  contentType: ImageContentType;
}

const MIB = 1024 * 1024;

/** The public URL of an image (what goes into OB `achievement.image.id`). */
export function imageUrl(baseUrl: URL, orgSlug: string, id: string): string {
  return new URL(`/orgs/${encodeURIComponent(orgSlug)}/images/${encodeURIComponent(id)}`, baseUrl).toString();
}

/** The path of an image's public URL (pages embed it with `<img src>`, same origin). */
export function imagePath(orgSlug: string, id: string): string {
  return `/orgs/${encodeURIComponent(orgSlug)}/images/${encodeURIComponent(id)}`;
}

function refuse(problem: ImageProblem): never {
  throw new AppError(problem.error === 'corrupt' ? 'IMAGE_CORRUPT' : 'IMAGE_UNSUPPORTED', {}, { field: 'image' });
}

/** Turns an upload into the bytes to store (PNG or JPEG), or throws IMAGE_* errors. */
async function prepare(processor: ImageProcessor, bytes: Buffer): Promise<{ bytes: Buffer; contentType: ImageContentType; width: number; height: number }> {
  if (bytes.length === 0) throw new AppError('IMAGE_UNSUPPORTED', {}, { field: 'image' });
  if (bytes.length > IMAGE_MAX_BYTES) throw new AppError('IMAGE_TOO_LARGE', { maxMiB: IMAGE_MAX_BYTES / MIB }, { field: 'image' });
  const inspected = await processor.inspect(bytes);
  if (isImageProblem(inspected)) refuse(inspected);
  if (inspected.type === 'svg') {
    if (bytes.length > SVG_MAX_BYTES) throw new AppError('IMAGE_TOO_LARGE', { maxMiB: SVG_MAX_BYTES / MIB }, { field: 'image' });
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new AppError('IMAGE_CORRUPT', {}, { field: 'image' });
    }
    const raster = await processor.rasterizeSvg(text, SVG_RASTER_SIZE);
    if (isImageProblem(raster)) refuse(raster);
    return { bytes: raster.png, contentType: 'image/png', width: raster.width, height: raster.height };
  }
  if (inspected.width > IMAGE_MAX_SIDE || inspected.height > IMAGE_MAX_SIDE) {
    throw new AppError('IMAGE_DIMENSIONS', { max: IMAGE_MAX_SIDE }, { field: 'image' });
  }
  const clean = await processor.sanitize(bytes, inspected.type);
  if (isImageProblem(clean)) refuse(clean);
  return { bytes: clean, contentType: inspected.type === 'png' ? 'image/png' : 'image/jpeg', width: inspected.width, height: inspected.height };
}

/**
 * Stores an image for the organisation (those who edit templates). Same bytes as an existing image of the
 * organisation: that image is returned, nothing is written.
 */
export async function uploadImage(deps: ImageDeps, actor: Actor, input: { slug?: string; bytes: Buffer }): Promise<UploadedImage> {
  const { org } = await authorize(deps, actor, { action: 'templates.edit', slug: input.slug });
  const { bytes } = input;
  const prepared = await prepare(deps.imageProcessor, bytes);
  const sha256 = deps.imageProcessor.sha256(prepared.bytes);
  const present = (i: ImageMeta): UploadedImage => ({
    id: i.id,
    url: imageUrl(deps.baseUrl, org.slug, i.id),
    width: i.width,
    height: i.height,
    contentType: i.contentType,
  });
  const existing = await deps.store.images.findBySha256(org.id, sha256);
  if (existing) return present(existing);
  const image: StoredImage = {
    id: deps.secrets.newPublicId(),
    orgId: org.id,
    contentType: prepared.contentType,
    sha256,
    width: prepared.width,
    height: prepared.height,
    byteSize: prepared.bytes.length,
    createdBy: actor.kind === 'user' ? actor.userId : null,
    createdAt: deps.clock.now(),
    bytes: prepared.bytes,
  };
  return deps.store.transaction(async (tx) => {
    if (!(await tx.images.create(image))) {
      // The same bytes were stored concurrently: that image wins.
      const winner = await tx.images.findBySha256(org.id, sha256);
      if (winner) return present(winner);
      throw new Error('image insert conflicted but no image with that hash exists');
    }
    await recordAudit(tx, deps, {
      actor,
      action: 'image.uploaded',
      orgId: org.id,
      targetType: 'image',
      targetId: image.id,
      details: { contentType: image.contentType, width: image.width, height: image.height, byteSize: image.byteSize },
    });
    return present(image);
  });
}

/** The organisation's images, newest first (metadata only), for those who edit templates. */
export async function listImages(deps: Pick<ImageDeps, 'store'>, actor: Actor, input: { slug?: string }): Promise<OrgScope & { images: ImageMeta[] }> {
  const scope = await authorize(deps, actor, { action: 'templates.edit', slug: input.slug });
  return { ...scope, images: await deps.store.images.listForOrg(scope.org.id) };
}

/** An image for the public route: NOT_FOUND unless it belongs to the organisation of `slug` (same answer either way). */
export async function getPublicImage(deps: Pick<ImageDeps, 'store'>, slug: string, id: string): Promise<StoredImage> {
  const org = /^[a-z0-9-]{1,63}$/.test(slug) ? await deps.store.organizations.findBySlug(slug) : undefined;
  const image = /^[A-Za-z0-9-]{1,64}$/.test(id) ? await deps.store.images.findPublic(id) : undefined;
  if (!org || !image || image.orgId !== org.id) throw new AppError('NOT_FOUND');
  return image;
}
