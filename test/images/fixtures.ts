/** Image fixtures built in the test (no binary files): PNG through resvg, JPEG from a tiny hand-made encoder. */
import zlib from 'node:zlib';
import { Resvg } from '@resvg/resvg-js';

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A solid-colour PNG (RGBA, non-interlaced) rendered by resvg. */
export function solidPng(width: number, height: number, fill = '#c0392b'): Buffer {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="${width}" height="${height}" fill="${fill}"/></svg>`;
  return Buffer.from(new Resvg(svg, { font: { loadSystemFonts: false } }).render().asPng());
}

export function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** Inserts a chunk right before IEND. */
export function withPngChunk(png: Buffer, type: string, data: Buffer): Buffer {
  const iend = png.length - 12;
  return Buffer.concat([png.subarray(0, iend), pngChunk(type, data), png.subarray(iend)]);
}

/** A PNG built by hand: greyscale 8-bit, `raw` (filtered scanlines) deflated; sizes need not match (to test checks). */
export function handPng(width: number, height: number, options: { interlace?: 0 | 1; rawSize?: number; colorType?: number; bitDepth?: number } = {}): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = options.bitDepth ?? 8;
  ihdr[9] = options.colorType ?? 0;
  ihdr[12] = options.interlace ?? 0;
  const raw = Buffer.alloc(options.rawSize ?? height * (1 + width));
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr), pngChunk('IDAT', zlib.deflateSync(raw)), pngChunk('IEND', Buffer.alloc(0))]);
}

const segment = (marker: number, body: Buffer) => {
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([head, body]);
};

/**
 * A valid baseline greyscale JPEG (mid-grey): one Huffman code ("0") for DC category 0 and one for EOB, so every
 * 8×8 block is two zero bits. `extra` segments (APPn, COM) are inserted after APP0.
 */
export function tinyJpeg(width = 8, height = 8, extra: Buffer[] = []): Buffer {
  const app0 = segment(0xe0, Buffer.from('JFIF\0\x01\x01\0\0\x01\0\x01\0\0', 'latin1'));
  const dqt = segment(0xdb, Buffer.concat([Buffer.from([0x00]), Buffer.alloc(64, 1)]));
  const sof = Buffer.alloc(9);
  sof[0] = 8;
  sof.writeUInt16BE(height, 1);
  sof.writeUInt16BE(width, 3);
  sof[5] = 1;
  sof[6] = 1;
  sof[7] = 0x11;
  sof[8] = 0;
  const huffman = (tableClass: number) => segment(0xc4, Buffer.from([tableClass << 4, 1, ...new Array<number>(15).fill(0), 0x00]));
  const sos = segment(0xda, Buffer.from([1, 1, 0x00, 0, 63, 0]));
  const bits = 2 * Math.ceil(width / 8) * Math.ceil(height / 8);
  const data = Buffer.alloc(Math.ceil(bits / 8));
  if (bits % 8) data[data.length - 1] = (1 << (8 - (bits % 8))) - 1;
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, ...extra, dqt, segment(0xc0, sof), huffman(0), huffman(1), sos, data, Buffer.from([0xff, 0xd9])]);
}

export const jpegSegment = segment;

/** RGBA pixels of a PNG or JPEG, decoded by resvg (the image embedded in an SVG of its size). */
export function decodePixels(bytes: Buffer, type: 'png' | 'jpeg', width: number, height: number): Buffer {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><image width="${width}" height="${height}" href="data:image/${type};base64,${bytes.toString('base64')}"/></svg>`;
  return Buffer.from(new Resvg(svg, { font: { loadSystemFonts: false } }).render().pixels);
}

/** Whether any pixel is opaque-ish and mostly red (the marker colour of the "must never be loaded" files). */
export function hasRedPixel(rgba: Buffer): boolean {
  for (let i = 0; i < rgba.length; i += 4) if (rgba[i]! > 200 && rgba[i + 1]! < 60 && rgba[i + 2]! < 60 && rgba[i + 3]! > 200) return true;
  return false;
}
