import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { isMolarError } from '../errors.js';
import { sniffImageFormat } from './image-decode.js';
import { decodeImageBytes, nodeImageDecoder } from './image-decode-node.js';

function grayPng(w: number, h: number): Uint8Array {
  const png = new PNG({ width: w, height: h, colorType: 0, inputColorType: 0, inputHasAlpha: false });
  const data = Buffer.alloc(w * h);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7) % 256;
  png.data = data;
  return new Uint8Array(PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false }));
}

function colourJpeg(w: number, h: number): Uint8Array {
  const data = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) data.set([255, 0, (i % w) * 4, 255], i * 4);
  return new Uint8Array(jpeg.encode({ data, width: w, height: h }, 90).data);
}

describe('image decoding (Node)', () => {
  it('sniffs the format from bytes', () => {
    expect(sniffImageFormat(colourJpeg(4, 4))).toBe('jpeg');
    expect(sniffImageFormat(grayPng(4, 4))).toBe('png');
    expect(sniffImageFormat(new TextEncoder().encode('GIF89a....'))).toBe('gif');
    expect(sniffImageFormat(new Uint8Array([1, 2, 3]))).toBe('unknown');
  });

  it('decodes grayscale PNG and colour JPEG to RGBA', async () => {
    const g = await decodeImageBytes(grayPng(5, 3));
    expect([g.width, g.height, g.data.length]).toEqual([5, 3, 60]);
    expect([g.data[4], g.data[5], g.data[6], g.data[7]]).toEqual([7, 7, 7, 255]);
    const c = await decodeImageBytes(colourJpeg(16, 8));
    expect([c.width, c.height, c.data.length]).toEqual([16, 8, 16 * 8 * 4]);
    expect(c.data[0]).toBeGreaterThan(200); // red survives JPEG
  });

  it('decodes a PNG whatever its file name says, and refuses garbage with BAD_INPUT', async () => {
    const img = await nodeImageDecoder(grayPng(2, 2).buffer as ArrayBuffer);
    expect(img.width).toBe(2);
    const bad = new Uint8Array([0xff, 0xd8, 0xff, 0, 1, 2, 3]);
    await expect(decodeImageBytes(bad, 'x.jpg')).rejects.toThrow(/x\.jpg.*undecodable jpeg/);
    await expect(decodeImageBytes(new Uint8Array(10))).rejects.toSatisfy((e: unknown) => isMolarError(e, 'BAD_INPUT'));
    await expect(nodeImageDecoder('/nonexistent/poster.jpg')).rejects.toThrow(/poster\.jpg/);
  });
});
