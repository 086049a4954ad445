/**
 * The `ImageProcessor` port: PNG/JPEG recognised by their bytes and checked structurally (never by a declared type
 * or a file name), SVG rasterised to PNG with resvg.
 *
 * PNG: signature, every chunk's length and CRC, IHDR values, PLTE when indexed, IDAT, IEND last with nothing after
 * it; the zlib stream of IDAT must inflate to at least the size the header announces (truncation, corruption).
 * JPEG: SOI, every marker segment's length, a frame header (SOF) before the first scan, the entropy-coded data
 * walked to EOI, nothing after it but zero padding. Both are stored without metadata: PNG keeps only chunks that
 * affect rendering; JPEG drops comments and APPn segments other than JFIF (APP0), ICC profile (APP2) and Adobe
 * (APP14). Dropping EXIF (APP1) also drops its orientation flag: such a photo shows as stored.
 *
 * SVG: UTF-8 text whose first element is `<svg` (after an optional BOM, XML declaration, comments and an `svg`
 * DOCTYPE without internal subset — entity declarations are refused). Before resvg sees it, every `href`/`*:href`
 * attribute whose value is not a same-document fragment (`#id`) or an inline PNG/JPEG/GIF `data:` URL is renamed
 * so nothing reads it: resvg (usvg) would otherwise read images from local file paths (absolute, or relative to the working
 * directory); it never fetches URLs itself. `resourcesDir` is never set. Text is drawn with system fonts.
 * Parsing is synchronous (usvg caps a document at a node limit); rendering runs off the event loop.
 */
import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import { Resvg, type ResvgRenderOptions, renderAsync } from '@resvg/resvg-js';
import type { ImageProblem, InspectedImage } from '../domain/templates/model.js';
import type { ImageProcessor } from '../domain/templates/ports.js';

const UNSUPPORTED: ImageProblem = Object.freeze({ error: 'unsupported' });
const CORRUPT: ImageProblem = Object.freeze({ error: 'corrupt' });

// ---- PNG ------------------------------------------------------------------------------------------------

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Chunks kept when storing: critical ones and ancillary ones that change how the pixels look. */
const PNG_KEPT = new Set(['IHDR', 'PLTE', 'IDAT', 'IEND', 'tRNS', 'cHRM', 'gAMA', 'iCCP', 'sBIT', 'sRGB', 'bKGD', 'pHYs', 'cICP']);
const PNG_CRITICAL = new Set(['IHDR', 'PLTE', 'IDAT', 'IEND']);
/** Allowed bit depths per colour type (PNG spec, table 11.1). */
const PNG_DEPTHS: Record<number, { depths: number[]; channels: number }> = {
  0: { depths: [1, 2, 4, 8, 16], channels: 1 },
  2: { depths: [8, 16], channels: 3 },
  3: { depths: [1, 2, 4, 8], channels: 1 },
  4: { depths: [8, 16], channels: 2 },
  6: { depths: [8, 16], channels: 4 },
};

interface PngChunk {
  type: string;
  start: number;
  end: number;
  dataStart: number;
  dataEnd: number;
}
interface PngInfo {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlace: number;
  chunks: PngChunk[];
}

function parsePng(buf: Buffer): PngInfo | ImageProblem {
  let pos = PNG_SIGNATURE.length;
  const chunks: PngChunk[] = [];
  let ihdr: Omit<PngInfo, 'chunks'> | undefined;
  let sawPlte = false;
  let sawIdat = false;
  let idatEnded = false;
  for (;;) {
    if (pos + 12 > buf.length) return CORRUPT;
    const length = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    if (length > 0x7fffffff || !/^[A-Za-z]{4}$/.test(type)) return CORRUPT;
    const dataStart = pos + 8;
    const dataEnd = dataStart + length;
    const end = dataEnd + 4;
    if (end > buf.length) return CORRUPT;
    if (zlib.crc32(buf.subarray(pos + 4, dataEnd)) !== buf.readUInt32BE(dataEnd)) return CORRUPT;
    if (chunks.length === 0 && type !== 'IHDR') return CORRUPT;
    chunks.push({ type, start: pos, end, dataStart, dataEnd });
    if (type === 'IHDR') {
      if (ihdr || length !== 13) return CORRUPT;
      const width = buf.readUInt32BE(dataStart);
      const height = buf.readUInt32BE(dataStart + 4);
      const bitDepth = buf[dataStart + 8]!;
      const colorType = buf[dataStart + 9]!;
      const rule = PNG_DEPTHS[colorType];
      if (!width || !height || width > 0x7fffffff || height > 0x7fffffff || !rule?.depths.includes(bitDepth)) return CORRUPT;
      if (buf[dataStart + 10] !== 0 || buf[dataStart + 11] !== 0 || buf[dataStart + 12]! > 1) return CORRUPT;
      ihdr = { width, height, bitDepth, colorType, interlace: buf[dataStart + 12]! };
    } else if (type === 'PLTE') {
      if (sawPlte || sawIdat || length === 0 || length % 3 !== 0 || length > 768) return CORRUPT;
      sawPlte = true;
    } else if (type === 'IDAT') {
      if (idatEnded) return CORRUPT; // IDAT chunks must be consecutive
      sawIdat = true;
    } else if (type === 'IEND') {
      if (length !== 0) return CORRUPT;
      pos = end;
      break;
    } else {
      // An unknown critical chunk (upper-case first letter) cannot be skipped by a decoder.
      if (!PNG_CRITICAL.has(type) && /^[A-Z]/.test(type)) return UNSUPPORTED;
      if (sawIdat) idatEnded = true;
    }
    pos = end;
  }
  // Anything after IEND is another file glued on (a polyglot): refused.
  if (pos !== buf.length) return CORRUPT;
  if (!ihdr || !sawIdat || (ihdr.colorType === 3 && !sawPlte)) return CORRUPT;
  return { ...ihdr, chunks };
}

/** Bytes of filtered scanlines the IDAT stream must inflate to (PNG spec §7–8, Adam7 passes when interlaced). */
function pngRawSize(info: PngInfo): number {
  const bitsPerPixel = PNG_DEPTHS[info.colorType]!.channels * info.bitDepth;
  const scanlines = (w: number, h: number) => (w && h ? h * (1 + Math.ceil((w * bitsPerPixel) / 8)) : 0);
  if (!info.interlace) return scanlines(info.width, info.height);
  const passes = [
    [0, 0, 8, 8],
    [4, 0, 8, 8],
    [0, 4, 4, 8],
    [2, 0, 4, 4],
    [0, 2, 2, 4],
    [1, 0, 2, 2],
    [0, 1, 1, 2],
  ] as const;
  let total = 0;
  for (const [x0, y0, dx, dy] of passes) {
    total += scanlines(Math.max(0, Math.ceil((info.width - x0) / dx)), Math.max(0, Math.ceil((info.height - y0) / dy)));
  }
  return total;
}

/** Whether the zlib stream inflates without error to at least `expected` bytes (output counted, never kept). */
function inflatesTo(data: Buffer, expected: number): Promise<boolean> {
  return new Promise((resolve) => {
    const inflate = zlib.createInflate();
    let produced = 0;
    let settled = false;
    const settle = (ok: boolean) => {
      if (settled) return;
      settled = true;
      inflate.destroy();
      resolve(ok);
    };
    inflate.on('data', (chunk: Buffer) => {
      produced += chunk.length;
      if (produced >= expected) settle(true);
    });
    inflate.on('error', () => settle(false));
    inflate.on('end', () => settle(produced >= expected));
    inflate.end(data);
  });
}

async function sanitizePng(buf: Buffer): Promise<Buffer | ImageProblem> {
  const info = parsePng(buf);
  if ('error' in info) return info;
  const idat = Buffer.concat(info.chunks.filter((c) => c.type === 'IDAT').map((c) => buf.subarray(c.dataStart, c.dataEnd)));
  if (!(await inflatesTo(idat, pngRawSize(info)))) return CORRUPT;
  return Buffer.concat([PNG_SIGNATURE, ...info.chunks.filter((c) => PNG_KEPT.has(c.type)).map((c) => buf.subarray(c.start, c.end))]);
}

// ---- JPEG -----------------------------------------------------------------------------------------------

/** SOFn markers (frame headers) carry the size; C4 (DHT), C8 (JPG) and CC (DAC) are not frames. */
const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
/** Segments kept when storing: everything but comments and APPn other than JFIF, ICC profile and Adobe. */
const jpegKept = (m: number) => !(m === 0xfe || (m >= 0xe1 && m <= 0xef && m !== 0xe2 && m !== 0xee));

interface JpegInfo {
  width: number;
  height: number;
  segments: { marker: number; start: number; end: number }[];
  end: number;
}

function parseJpeg(buf: Buffer): JpegInfo | ImageProblem {
  // `segments` covers the file from SOI to EOI: marker segments and, after each SOS, its entropy-coded data.
  const segments: JpegInfo['segments'] = [{ marker: 0xd8, start: 0, end: 2 }];
  let pos = 2;
  let size: { width: number; height: number } | undefined;
  let scans = 0;
  for (;;) {
    if (pos + 2 > buf.length) return CORRUPT;
    if (buf[pos] !== 0xff) return CORRUPT;
    const start = pos;
    while (pos < buf.length && buf[pos] === 0xff) pos++; // fill bytes
    if (pos >= buf.length) return CORRUPT;
    const marker = buf[pos++]!;
    if (marker === 0xd9) {
      segments.push({ marker, start, end: pos });
      break;
    }
    if (marker === 0x00 || marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) return CORRUPT;
    if (pos + 2 > buf.length) return CORRUPT;
    const length = buf.readUInt16BE(pos);
    if (length < 2 || pos + length > buf.length) return CORRUPT;
    const body = pos + 2;
    pos += length;
    if (isSof(marker)) {
      if (size || length < 8) return CORRUPT;
      const components = buf[body + 5]!;
      if (components < 1 || length !== 8 + 3 * components) return CORRUPT;
      size = { height: buf.readUInt16BE(body + 1), width: buf.readUInt16BE(body + 3) };
      // A height of 0 is announced later by a DNL marker: too rare for badge artwork, refused.
      if (!size.width || !size.height) return UNSUPPORTED;
    }
    if (marker === 0xda) {
      if (!size || length < 6 || length !== 6 + 2 * buf[body]!) return CORRUPT;
      scans++;
      // Entropy-coded data: runs until a marker other than a stuffed 0xFF00 or a restart marker (RSTn).
      while (pos < buf.length) {
        if (buf[pos] !== 0xff) {
          pos++;
          continue;
        }
        const next = buf[pos + 1];
        if (next === undefined) return CORRUPT;
        if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) {
          pos += 2;
          continue;
        }
        if (next === 0xff) {
          pos++;
          continue;
        }
        break;
      }
    }
    segments.push({ marker, start, end: pos });
  }
  if (!size || scans === 0) return CORRUPT;
  // After EOI: zero padding is tolerated, anything else is another file glued on (a polyglot).
  for (let i = pos; i < buf.length; i++) if (buf[i] !== 0) return CORRUPT;
  return { ...size, segments, end: pos };
}

function sanitizeJpeg(buf: Buffer): Buffer | ImageProblem {
  const info = parseJpeg(buf);
  if ('error' in info) return info;
  return Buffer.concat(info.segments.filter((s) => jpegKept(s.marker)).map((s) => buf.subarray(s.start, s.end)));
}

// ---- SVG ------------------------------------------------------------------------------------------------

/** Optional BOM, XML declaration, comments and DOCTYPE (without internal subset), then the `<svg` root. */
const SVG_PROLOGUE = /^\uFEFF?\s*(?:<\?xml\s[^>]*\?>\s*)?(?:(?:<!--(?:(?!-->)[\s\S])*-->|<!DOCTYPE\s+svg\b[^>[]*>)\s*)*<svg[\s>/]/;
/**
 * Any attribute named `href` (any namespace prefix: `xlink:href`, `foo:href`) with its quoted value. Over-matching
 * (text, comments) is harmless; an attribute cannot escape it (the character before `href` is `:` or not a name
 * character).
 */
const HREF_ATTRIBUTE = /(?<![\p{L}\p{N}_.\-\u00B7])href(\s*=\s*)("[^"]*"|'[^']*')/giu;
/** Values left alone: a same-document reference, or an inline raster image (no nested SVG: it is a document too). */
const SAFE_HREF = /^(?:#[^&<>"']*|data:image\/(?:png|jpeg|jpg|gif);base64,[A-Za-z0-9+/=\s]*)$/;

function svgText(buf: Buffer): string | undefined {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    return undefined;
  }
  return SVG_PROLOGUE.test(text) ? text : undefined;
}

/** The document resvg is given: entity declarations refused, every external reference neutralised. */
function neutralizeSvg(text: string): string | ImageProblem {
  if (/<!ENTITY/i.test(text)) return UNSUPPORTED;
  const doctype = /<!DOCTYPE/i.exec(text);
  if (doctype && /\[/.test(text.slice(doctype.index, text.indexOf('>', doctype.index) + 1 || text.length))) return UNSUPPORTED;
  // An unsafe reference is renamed to an attribute nothing reads (its value dropped).
  return text.replace(HREF_ATTRIBUTE, (all, eq: string, quoted: string) => (SAFE_HREF.test(quoted.slice(1, -1)) ? all : `data-href-removed${eq}""`));
}

/** Parses without fonts (the size does not depend on them); undefined when resvg cannot read the document. */
function parseSvg(safe: string): { width: number; height: number } | undefined {
  try {
    const svg = new Resvg(safe, { font: { loadSystemFonts: false }, logLevel: 'off' });
    // Defence in depth: after neutralisation nothing may be left for the caller to fetch.
    if (svg.imagesToResolve().length) return undefined;
    const { width, height } = svg;
    return Number.isFinite(width) && Number.isFinite(height) && width > 0 && height > 0 ? { width, height } : undefined;
  } catch {
    return undefined;
  }
}

async function rasterize(svgTextIn: string, maxSize: number): Promise<{ png: Buffer; width: number; height: number } | ImageProblem> {
  if (!SVG_PROLOGUE.test(svgTextIn)) return UNSUPPORTED;
  const safe = neutralizeSvg(svgTextIn);
  if (typeof safe !== 'string') return safe;
  const size = parseSvg(safe);
  if (!size) return CORRUPT;
  const options: ResvgRenderOptions = {
    fitTo: size.width >= size.height ? { mode: 'width', value: maxSize } : { mode: 'height', value: maxSize },
    font: { loadSystemFonts: true },
    logLevel: 'off',
  };
  try {
    const rendered = await renderAsync(safe, options);
    const png = rendered.asPng();
    if (!png.length || rendered.width > maxSize || rendered.height > maxSize) return CORRUPT;
    return { png: Buffer.from(png), width: rendered.width, height: rendered.height };
  } catch {
    return CORRUPT;
  }
}

// ---- The port -------------------------------------------------------------------------------------------

const isPng = (buf: Buffer) => buf.length >= 8 && buf.subarray(0, 8).equals(PNG_SIGNATURE);
const isJpeg = (buf: Buffer) => buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff;

export function createImageProcessor(): ImageProcessor {
  return {
    async inspect(bytes): Promise<InspectedImage | ImageProblem> {
      if (isPng(bytes)) {
        const info = parsePng(bytes);
        return 'error' in info ? info : { type: 'png', width: info.width, height: info.height };
      }
      if (isJpeg(bytes)) {
        const info = parseJpeg(bytes);
        return 'error' in info ? info : { type: 'jpeg', width: info.width, height: info.height };
      }
      const text = svgText(bytes);
      if (text === undefined) return UNSUPPORTED;
      const safe = neutralizeSvg(text);
      if (typeof safe !== 'string') return safe;
      const size = parseSvg(safe);
      return size ? { type: 'svg', width: Math.round(size.width), height: Math.round(size.height) } : CORRUPT;
    },
    async sanitize(bytes, type) {
      if (type === 'png') return isPng(bytes) ? sanitizePng(bytes) : UNSUPPORTED;
      return isJpeg(bytes) ? sanitizeJpeg(bytes) : UNSUPPORTED;
    },
    rasterizeSvg: rasterize,
    sha256: (bytes) => createHash('sha256').update(bytes).digest('hex'),
  };
}
