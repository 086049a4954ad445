/**
 * The image adapter (src/files/images.ts): formats recognised by their bytes, structural checks, metadata removal,
 * and SVG rasterisation that never reads a file or the network (security check X2).
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { Resvg } from '@resvg/resvg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImageProcessor } from '../../src/files/images.js';
import { PNG_SIGNATURE, decodePixels, handPng, hasRedPixel, jpegSegment, pngChunk, solidPng, tinyJpeg, withPngChunk } from './fixtures.js';
import type { ImageProblem, InspectedImage } from '../../src/domain/templates/model.js';

const processor = createImageProcessor();

async function rasterOk(svg: string, max = 1024): Promise<{ png: Buffer; width: number; height: number }> {
  const r = await processor.rasterizeSvg(svg, max);
  if ('error' in r) throw new Error(`rasterisation refused: ${r.error}`);
  return r;
}

describe('recognising formats by their bytes', () => {
  it('reads PNG and JPEG sizes from their headers, whatever a name or declared type says', async () => {
    expect(await processor.inspect(solidPng(37, 11))).toEqual({ type: 'png', width: 37, height: 11 });
    expect(await processor.inspect(tinyJpeg(300, 17))).toEqual({ type: 'jpeg', width: 300, height: 17 });
    expect(await processor.inspect(handPng(9, 5, { interlace: 1, rawSize: 0 }))).toEqual({ type: 'png', width: 9, height: 5 });
  });

  it('recognises SVG text after a BOM, an XML declaration, comments and a DOCTYPE without internal subset', async () => {
    const svg =
      '\uFEFF<?xml version="1.0" encoding="UTF-8"?>\n<!-- made by hand -->\n' +
      '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n' +
      '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30"><circle cx="20" cy="15" r="10"/></svg>';
    expect(await processor.inspect(Buffer.from(svg))).toEqual({ type: 'svg', width: 40, height: 30 });
  });

  it('refuses anything else as unsupported', async () => {
    const cases: Buffer[] = [
      Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;alert(1)', 'latin1'),
      Buffer.from('<html><body><svg xmlns="http://www.w3.org/2000/svg"/></body></html>'),
      Buffer.from('<!DOCTYPE html><svg xmlns="http://www.w3.org/2000/svg"/>'),
      Buffer.from('hello <svg xmlns="http://www.w3.org/2000/svg"/>'),
      zlib.gzipSync('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'), // svgz
      Buffer.from('RIFF\x00\x00\x00\x00WEBPVP8 ', 'latin1'),
      Buffer.from([0xff, 0xfe, 0x3c, 0x00, 0x73, 0x00]), // UTF-16
      Buffer.from([0xc3, 0x28, 0x3c, 0x73, 0x76, 0x67]), // invalid UTF-8
      Buffer.alloc(0),
    ];
    for (const bytes of cases) expect(await processor.inspect(bytes), bytes.toString('latin1').slice(0, 20)).toEqual({ error: 'unsupported' });
  });

  it('refuses SVG entity declarations (an internal DTD subset)', async () => {
    const lol =
      '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>' +
      '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>&b;</text></svg>';
    expect(await processor.inspect(Buffer.from(lol))).toEqual({ error: 'unsupported' });
    const hidden = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><!ENTITY x "y"></svg>';
    expect(await processor.inspect(Buffer.from(hidden))).toEqual({ error: 'unsupported' });
    expect(await processor.rasterizeSvg(lol, 100)).toEqual({ error: 'unsupported' });
  });

  it('refuses an SVG that does not parse as corrupt', async () => {
    for (const svg of ['<svg xmlns="http://www.w3.org/2000/svg"><g></svg>', '<svg xmlns="http://www.w3.org/2000/svg" width="0" height="10"/>', '<svg>']) {
      expect(await processor.inspect(Buffer.from(svg)), svg).toEqual({ error: 'corrupt' });
    }
  });
});

describe('PNG checks', () => {
  const png = solidPng(24, 24);

  it('refuses truncated files at every length', async () => {
    for (let n = 8; n < png.length; n += 1) {
      const cut = png.subarray(0, n);
      const inspected = await processor.inspect(cut);
      expect(inspected, `cut at ${n}`).toEqual({ error: 'corrupt' });
    }
  });

  it('refuses a flipped byte (CRC), data glued after IEND (a polyglot), and a missing IDAT', async () => {
    const flipped = Buffer.from(png);
    flipped[40] = flipped[40]! ^ 0x55;
    expect(await processor.inspect(flipped)).toEqual({ error: 'corrupt' });
    const polyglot = Buffer.concat([png, Buffer.from('<html><script>alert(document.cookie)</script></html>')]);
    expect(await processor.inspect(polyglot)).toEqual({ error: 'corrupt' });
    const zipGlued = Buffer.concat([png, Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(30)]);
    expect(await processor.inspect(zipGlued)).toEqual({ error: 'corrupt' });
    const ihdr = png.subarray(8, 33);
    expect(await processor.inspect(Buffer.concat([PNG_SIGNATURE, ihdr, pngChunk('IEND', Buffer.alloc(0))]))).toEqual({ error: 'corrupt' });
  });

  it('refuses invalid header values and unknown critical chunks', async () => {
    expect(await processor.inspect(handPng(0, 5))).toEqual({ error: 'corrupt' });
    expect(await processor.inspect(handPng(5, 5, { colorType: 2, bitDepth: 4 }))).toEqual({ error: 'corrupt' });
    expect(await processor.inspect(handPng(5, 5, { colorType: 3 }))).toEqual({ error: 'corrupt' }); // indexed without PLTE
    expect(await processor.inspect(withPngChunk(png, 'ZZZZ', Buffer.from('x')))).toEqual({ error: 'unsupported' });
  });

  it('checks that the image data inflates to the size the header announces (interlaced too)', async () => {
    expect(await processor.sanitize(handPng(13, 7), 'png')).toBeInstanceOf(Buffer);
    expect(await processor.sanitize(handPng(13, 7, { rawSize: 7 * 14 - 1 }), 'png')).toEqual({ error: 'corrupt' });
    // Adam7 passes of a 13×7 greyscale image, [columns, rows] each; one filter byte per row: 105 bytes.
    const adam7 = [
      [2, 1],
      [2, 1],
      [4, 1],
      [3, 2],
      [7, 2],
      [6, 4],
      [13, 3],
    ].reduce((n, [w, h]) => n + h! * (1 + w!), 0);
    expect(adam7).toBe(105);
    expect(await processor.sanitize(handPng(13, 7, { interlace: 1, rawSize: adam7 }), 'png')).toBeInstanceOf(Buffer);
    expect(await processor.sanitize(handPng(13, 7, { interlace: 1, rawSize: adam7 - 1 }), 'png')).toEqual({ error: 'corrupt' });
    // A zlib stream whose checksum is wrong.
    const bad = handPng(4, 4);
    const idat = bad.indexOf('IDAT');
    const len = bad.readUInt32BE(idat - 4);
    const data = Buffer.from(bad.subarray(idat + 4, idat + 4 + len));
    data[data.length - 1] = data[data.length - 1]! ^ 0xff;
    const rebuilt = Buffer.concat([bad.subarray(0, idat - 4), pngChunk('IDAT', data), bad.subarray(idat + 8 + len)]);
    expect(await processor.inspect(rebuilt)).toEqual({ type: 'png', width: 4, height: 4 });
    expect(await processor.sanitize(rebuilt, 'png')).toEqual({ error: 'corrupt' });
  });

  it('drops text and EXIF chunks, keeping the pixels', async () => {
    const tagged = withPngChunk(withPngChunk(png, 'tEXt', Buffer.from('Comment\0<script>alert(1)</script>')), 'eXIf', Buffer.from('MM\0*GPS'));
    const clean = (await processor.sanitize(tagged, 'png')) as Buffer;
    expect(clean.includes('<script>')).toBe(false);
    expect(clean.includes('tEXt')).toBe(false);
    expect(clean.includes('eXIf')).toBe(false);
    expect(decodePixels(clean, 'png', 24, 24).equals(decodePixels(png, 'png', 24, 24))).toBe(true);
    expect(await processor.inspect(clean)).toEqual({ type: 'png', width: 24, height: 24 });
  });
});

describe('JPEG checks', () => {
  const jpeg = tinyJpeg(16, 16);

  it('produces a fixture that decodes (mid-grey)', () => {
    const px = decodePixels(jpeg, 'jpeg', 16, 16);
    expect([...px.subarray(0, 4)]).toEqual([128, 128, 128, 255]);
  });

  it('refuses truncated files, glued data, a missing frame header and an unknown height', async () => {
    for (let n = 3; n < jpeg.length; n += 1) expect(await processor.inspect(jpeg.subarray(0, n)), `cut at ${n}`).toEqual({ error: 'corrupt' });
    expect(await processor.inspect(Buffer.concat([jpeg, Buffer.from('<svg onload="alert(1)">')]))).toEqual({ error: 'corrupt' });
    expect(await processor.inspect(Buffer.concat([jpeg, Buffer.alloc(16)]))).toEqual({ type: 'jpeg', width: 16, height: 16 }); // zero padding
    const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
    const noSof = Buffer.concat([jpeg.subarray(0, sof), jpeg.subarray(sof + 2 + jpeg.readUInt16BE(sof + 2))]);
    expect(await processor.inspect(noSof)).toEqual({ error: 'corrupt' });
    const dnl = Buffer.from(jpeg);
    dnl.writeUInt16BE(0, sof + 5);
    expect(await processor.inspect(dnl)).toEqual({ error: 'unsupported' });
  });

  it('drops comments, EXIF and XMP; keeps JFIF, ICC and Adobe segments', async () => {
    const exif = jpegSegment(0xe1, Buffer.from('Exif\0\0MM\0*GPSLatitude 45.5017'));
    const xmp = jpegSegment(0xe1, Buffer.from('http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>secret</x:xmpmeta>'));
    const comment = jpegSegment(0xfe, Buffer.from('<script>alert(1)</script>'));
    const icc = jpegSegment(0xe2, Buffer.from('ICC_PROFILE\0\x01\x01profile'));
    const adobe = jpegSegment(0xee, Buffer.from('Adobe\0\x64\0\0\0\0\x01'));
    const tagged = tinyJpeg(16, 16, [exif, xmp, comment, icc, adobe]);
    const clean = (await processor.sanitize(tagged, 'jpeg')) as Buffer;
    for (const s of ['GPSLatitude', 'xmpmeta', '<script>']) expect(clean.includes(s), s).toBe(false);
    for (const s of ['JFIF', 'ICC_PROFILE', 'Adobe']) expect(clean.includes(s), s).toBe(true);
    expect(await processor.inspect(clean)).toEqual({ type: 'jpeg', width: 16, height: 16 });
    expect(decodePixels(clean, 'jpeg', 16, 16).equals(decodePixels(jpeg, 'jpeg', 16, 16))).toBe(true);
  });
});

describe('SVG rasterisation (X2)', () => {
  let dir: string, redFile: string, server: http.Server, port: number;
  const requests: string[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sceau-svg-'));
    redFile = path.join(dir, 'red.png');
    fs.writeFileSync(redFile, solidPng(10, 10, '#ff0000'));
    server = http.createServer((req, res) => {
      requests.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'image/png' }).end(fs.readFileSync(redFile));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const svgWith = (inner: string, extraRoot = '') =>
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:x="http://www.w3.org/1999/xlink" width="10" height="10"${extraRoot}>${inner}</svg>`;

  it('would load local files if given the raw document (so the next test is meaningful)', () => {
    const raw = svgWith(`<image href="${redFile}" width="10" height="10"/>`);
    expect(hasRedPixel(Buffer.from(new Resvg(raw, { font: { loadSystemFonts: false } }).render().pixels))).toBe(true);
  });

  it('never reads a file: absolute path, file: URL, path relative to the working directory, any namespace prefix', async () => {
    const relative = path.relative(process.cwd(), redFile);
    const hrefs = [
      `href="${redFile}"`,
      `xlink:href="${redFile}"`,
      `x:href='${redFile}'`,
      `href="file://${redFile}"`,
      `href="${relative}"`,
      `href = "./${relative}"`,
      `HREF="${redFile}"`,
      `href="&#47;${redFile.slice(1)}"`,
      `href=" ${redFile}"`,
      `href="data:image/svg+xml;base64,${Buffer.from(svgWith(`<image href="${redFile}" width="10" height="10"/>`)).toString('base64')}"`,
      `href="data:text/plain;base64,${fs.readFileSync(redFile).toString('base64').slice(0, 0)}${Buffer.from(redFile).toString('base64')}"`,
    ];
    for (const href of hrefs) {
      const out = await rasterOk(svgWith(`<image ${href} width="10" height="10"/><rect width="2" height="2" fill="#0000ff"/>`), 10);
      const px = decodePixels(out.png, 'png', out.width, out.height);
      expect(hasRedPixel(px), href).toBe(false);
      expect([...px.subarray(0, 4)], href).toEqual([0, 0, 255, 255]); // the rest of the document is drawn
      // No whitespace before the attribute (not XML, but a lenient parser might take it): refused or inert.
      const glued = await processor.rasterizeSvg(svgWith(`<image x="0"${href} width="10" height="10"/>`), 10);
      if (!('error' in glued)) expect(hasRedPixel(decodePixels(glued.png, 'png', glued.width, glued.height)), `glued ${href}`).toBe(false);
    }
  });

  it('still draws inline raster images and same-document references', async () => {
    const inline = svgWith(
      `<defs><rect id="r" width="5" height="10" fill="#ff0000"/></defs><use href="#r"/><image x="5" width="5" height="10" href="data:image/png;base64,${solidPng(5, 10, '#ff0000').toString('base64')}"/>`,
    );
    const out = await rasterOk(inline, 10);
    const px = decodePixels(out.png, 'png', 10, 10);
    expect(hasRedPixel(px.subarray(0, 4))).toBe(true); // left half: <use>
    expect(hasRedPixel(px.subarray(9 * 4, 10 * 4))).toBe(true); // right half: inline PNG
  });

  it('never touches the network: <image>, <use>, <feImage>, CSS @import and url() aimed at a live server', async () => {
    const base = `http://127.0.0.1:${port}`;
    const svg = svgWith(`<style>@import url("${base}/import.css"); rect { fill: url("${base}/fill.png"); }</style>
<defs><filter id="f"><feImage href="${base}/feimage.png"/></filter></defs>
<image href="${base}/image.png" width="10" height="10"/><image xlink:href="https://${'127.0.0.1'}:${port}/tls.png" width="10" height="10"/>
<use href="${base}/sprite.svg#a"/><rect width="10" height="10" filter="url(#f)"/>`);
    const out = await rasterOk(svg, 32);
    expect(requests).toEqual([]);
    expect(hasRedPixel(decodePixels(out.png, 'png', out.width, out.height))).toBe(false);
  });

  it('renders hostile markup to inert pixels: no script, handler, foreignObject or link survives', async () => {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="120" height="60" onload="alert('onload')">
<script>alert('script')</script>
<foreignObject width="100" height="50"><body xmlns="http://www.w3.org/1999/xhtml"><iframe src="javascript:alert('iframe')"></iframe></body></foreignObject>
<a href="javascript:alert('link')"><rect width="60" height="60" fill="#2255aa" onclick="alert('click')"/></a>
<image href="https://evil.example/track.png" width="10" height="10"/><image xlink:href="file:///etc/passwd" width="10" height="10"/>
</svg>`;
    const out = await rasterOk(svg);
    expect(out.png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect([out.width, out.height]).toEqual([1024, 512]);
    const text = out.png.toString('latin1');
    for (const s of ['script', 'onload', 'onclick', 'foreignObject', 'javascript', 'evil.example', 'passwd', '<svg', 'alert'])
      expect(text.includes(s), s).toBe(false);
    expect((await processor.inspect(out.png)) as InspectedImage).toEqual({ type: 'png', width: 1024, height: 512 });
  });

  it('scales the longer side to the maximum, keeping the ratio', async () => {
    const tall = await rasterOk('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 50 200"><rect width="50" height="200"/></svg>');
    expect([tall.width, tall.height]).toEqual([256, 1024]);
    const huge = await rasterOk('<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="50000"><rect width="10" height="10"/></svg>');
    expect([huge.width, huge.height]).toEqual([1024, 512]);
    // Thinner than a pixel once scaled: refused, never an enormous bitmap.
    expect(await processor.rasterizeSvg('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="100000000"/>', 1024)).toEqual({
      error: 'corrupt',
    } satisfies ImageProblem);
  });
});
