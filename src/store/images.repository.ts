import type { Kysely, Selectable } from 'kysely';
import { fromDate, toDate } from './mappers.js';
import type { Database, ImagesTable } from './tables.js';
import type { ImageContentType, ImageMeta, StoredImage } from '../domain/templates/model.js';
import type { ImagesRepository } from '../domain/templates/ports.js';

const META_COLUMNS = ['id', 'org_id', 'content_type', 'sha256', 'width', 'height', 'byte_size', 'created_by', 'created_at'] as const;

const rowToMeta = (r: Omit<Selectable<ImagesTable>, 'bytes'>): ImageMeta => ({
  id: r.id,
  orgId: r.org_id,
  contentType: r.content_type as ImageContentType,
  sha256: r.sha256,
  width: Number(r.width),
  height: Number(r.height),
  byteSize: Number(r.byte_size),
  createdBy: r.created_by,
  createdAt: toDate(r.created_at),
});

const rowToImage = (r: Selectable<ImagesTable>): StoredImage => ({ ...rowToMeta(r), bytes: Buffer.from(r.bytes) });

export function imagesRepository(db: Kysely<Database>): ImagesRepository {
  return {
    async create(i) {
      const r = await db
        .insertInto('images')
        .values({
          id: i.id,
          org_id: i.orgId,
          content_type: i.contentType,
          bytes: i.bytes,
          sha256: i.sha256,
          width: i.width,
          height: i.height,
          byte_size: i.byteSize,
          created_by: i.createdBy,
          created_at: fromDate(i.createdAt),
        })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      return Number(r?.numInsertedOrUpdatedRows ?? 0n) > 0;
    },
    async find(orgId, id) {
      const r = await db.selectFrom('images').selectAll().where('id', '=', id).where('org_id', '=', orgId).executeTakeFirst();
      return r && rowToImage(r);
    },
    async findPublic(id) {
      const r = await db.selectFrom('images').selectAll().where('id', '=', id).executeTakeFirst();
      return r && rowToImage(r);
    },
    async findBySha256(orgId, sha256) {
      const r = await db.selectFrom('images').select(META_COLUMNS).where('org_id', '=', orgId).where('sha256', '=', sha256).executeTakeFirst();
      return r && rowToMeta(r);
    },
    async listForOrg(orgId) {
      return (await db.selectFrom('images').select(META_COLUMNS).where('org_id', '=', orgId).orderBy('created_at', 'desc').orderBy('id', 'desc').execute()).map(
        rowToMeta,
      );
    },
  };
}
