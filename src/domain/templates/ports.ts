/** Store ports of templates, awards, bulk jobs and credential events (implemented in src/store/templates.repository.ts). */
import { type Template, type TemplateContent, type TemplateStatus, type InspectedImage, type ImageProblem, type ImageMeta, type StoredImage } from './model.js';

export interface TemplatesRepository {
  /** Inserts the template and its version 1. */
  create(template: Template, createdBy: string | null): Promise<void>;
  find(orgId: string, id: string): Promise<Template | undefined>;
  list(orgId: string, options?: { status?: TemplateStatus }): Promise<Template[]>;
  /** The content of one version (what an award was issued with). */
  findVersion(templateId: string, version: number): Promise<TemplateContent | undefined>;
  /** Adds version `expectedVersion + 1`; false when someone saved in between (the caller reloads). */
  addVersion(id: string, expectedVersion: number, content: TemplateContent, kind: Template['kind'], createdBy: string | null, at: Date): Promise<boolean>;
  setStatus(id: string, status: TemplateStatus, at: Date): Promise<void>;
  saveMapping(id: string, mapping: Record<string, string>): Promise<void>;
}
/** Port: image formats (adapter `src/files/images.ts`). Never touches the network or the file system. */
export interface ImageProcessor {
  /** Recognises PNG/JPEG by magic bytes and reads the size from the header; SVG is text whose first element is `<svg`. */
  inspect(bytes: Buffer): Promise<InspectedImage | ImageProblem>;
  /** Checks a PNG/JPEG's image data and returns the same image without metadata. */
  sanitize(bytes: Buffer, type: 'png' | 'jpeg'): Promise<Buffer | ImageProblem>;
  /** Renders an SVG to PNG, its longer side `maxSize` px; external references (URLs, file paths) are never loaded. */
  rasterizeSvg(svgText: string, maxSize: number): Promise<{ png: Buffer; width: number; height: number } | ImageProblem>;
  /** SHA-256, hex. */
  sha256(bytes: Buffer): string;
}
export interface ImagesRepository {
  /** False when the organisation already has an image with the same SHA-256 (or the id is taken). */
  create(image: StoredImage): Promise<boolean>;
  /** An image of the organisation, bytes included. */
  find(orgId: string, id: string): Promise<StoredImage | undefined>;
  /** An image by its public id, any organisation (the public route compares `orgId` with the URL's organisation). */
  findPublic(id: string): Promise<StoredImage | undefined>;
  findBySha256(orgId: string, sha256: string): Promise<ImageMeta | undefined>;
  /** The organisation's images, newest first, without bytes. */
  listForOrg(orgId: string): Promise<ImageMeta[]>;
}
