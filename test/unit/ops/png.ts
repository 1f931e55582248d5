// Decodes a PNG's structure with zlib alone: the header's size, and image data that inflates to exactly one
// filter byte plus width x 4 bytes per row (8-bit RGBA), so a truncated or corrupt picture fails.
import { inflateSync } from 'node:zlib';

export function decodePng(buf: Buffer): { width: number; height: number; bytes: number } {
  if (!buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    throw new Error('not a PNG');
  let off = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[9] !== 6)
        throw new Error(`expected 8-bit RGBA, got depth ${data[8]} colour type ${data[9]}`);
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    off += 12 + len;
  }
  const bytes = inflateSync(Buffer.concat(idat)).length;
  if (bytes !== height * (1 + width * 4))
    throw new Error(`image data is ${bytes} bytes; expected ${height * (1 + width * 4)}`);
  return { width, height, bytes };
}
