import { inflateSync } from 'node:zlib';

/** A decoded PNG: 8-bit RGB(A) pixels, row by row. */
export interface Png {
  width: number;
  height: number;
  /** Bytes per pixel (3: RGB, 4: RGBA). */
  channels: number;
  data: Buffer;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Decodes the PNGs Chromium writes for screenshots (8-bit RGB or RGBA, not interlaced). */
export function decodePng(file: Buffer): Png {
  if (!file.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG file');
  let pos = 8;
  let header: { width: number; height: number; depth: number; type: number; interlace: number } | undefined;
  const idat: Buffer[] = [];
  while (pos < file.length) {
    const length = file.readUInt32BE(pos);
    const type = file.toString('latin1', pos + 4, pos + 8);
    const body = file.subarray(pos + 8, pos + 8 + length);
    if (type === 'IHDR') header = { width: body.readUInt32BE(0), height: body.readUInt32BE(4), depth: body[8], type: body[9], interlace: body[12] };
    else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    pos += 12 + length;
  }
  if (!header || header.depth !== 8 || (header.type !== 2 && header.type !== 6) || header.interlace !== 0) throw new Error(`unsupported PNG: ${JSON.stringify(header)}`);
  const channels = header.type === 6 ? 4 : 3;
  const raw = inflateSync(Buffer.concat(idat));
  const stride = header.width * channels;
  const data = Buffer.alloc(stride * header.height);
  for (let y = 0; y < header.height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const left = x >= channels ? data[y * stride + x - channels] : 0;
      const up = y > 0 ? data[(y - 1) * stride + x] : 0;
      const upLeft = y > 0 && x >= channels ? data[(y - 1) * stride + x - channels] : 0;
      const value = line[x];
      let out: number;
      if (filter === 0) out = value;
      else if (filter === 1) out = value + left;
      else if (filter === 2) out = value + up;
      else if (filter === 3) out = value + ((left + up) >> 1);
      else if (filter === 4) out = value + paeth(left, up, upLeft);
      else throw new Error(`bad PNG filter ${filter} in row ${y}`);
      data[y * stride + x] = out & 0xff;
    }
  }
  return { width: header.width, height: header.height, channels, data };
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** The RGB of the pixel at x, y. */
export function pixel(png: Png, x: number, y: number): [number, number, number] {
  const i = (Math.round(y) * png.width + Math.round(x)) * png.channels;
  return [png.data[i], png.data[i + 1], png.data[i + 2]];
}

/** How many pixels satisfy `test`, in the whole image or a box [x0, y0, x1, y1]. */
export function countPixels(png: Png, test: (rgb: [number, number, number]) => boolean, box = [0, 0, png.width, png.height]): number {
  let n = 0;
  for (let y = Math.max(0, box[1]); y < Math.min(png.height, box[3]); y++) {
    for (let x = Math.max(0, box[0]); x < Math.min(png.width, box[2]); x++) if (test(pixel(png, x, y))) n++;
  }
  return n;
}
