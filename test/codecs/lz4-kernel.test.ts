import t from 'tap';
import { Buffer } from 'node:buffer';
import { createRequire } from 'node:module';
import { DecodeError } from '../../src/errors.js';
import { decodeLz4InKernel, lz4Codec } from '../../src/codecs/lz4.js';

const lz4 = createRequire(import.meta.url)('lz4-napi') as typeof import('lz4-napi');

/** mulberry32, so failures replay. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** Bytes from an alphabet of `letters` symbols with repeats of every length and distance (matches of offset 1 to 70,000). */
function sample(size: number, letters: number, next: () => number): Buffer {
  const bytes = Buffer.alloc(size);
  let i = 0;
  while (i < size) {
    if (i > 0 && next() < 0.5) {
      const distance = 1 + Math.floor(next() ** 3 * Math.min(i, 70_000));
      const length = Math.min(size - i, 1 + Math.floor(next() ** 2 * 300));
      for (let k = 0; k < length; k++, i++) bytes[i] = bytes[i - distance]!;
    } else {
      bytes[i++] = 32 + Math.floor(next() * letters);
    }
  }
  return bytes;
}

const inKernel = (stored: Buffer, max = 1 << 30) => {
  const framed = Buffer.concat([Buffer.from('header'), stored, Buffer.from('after')]);
  const decoded = decodeLz4InKernel(framed, 6, 6 + stored.length, max);
  if (!decoded) throw new Error('the kernel is not available');
  return Buffer.from(decoded.memory.subarray(0, decoded.size));
};

t.test('decodes what lz4-napi encodes: sizes around the 16-byte copies, every kind of repeat', async (t) => {
  const next = random(7);
  let checked = 0;
  for (const size of [1, 2, 5, 12, 15, 16, 17, 31, 32, 33, 64, 100, 255, 256, 1000, 4096, 65_536, 100_000, 300_000]) {
    for (const letters of [1, 2, 26, 95]) {
      const original = sample(size, letters, next);
      const stored = lz4Codec.encode(original) as Buffer;
      const back = inKernel(stored);
      if (!back.equals(original)) t.fail(`size ${size}, ${letters} letters`);
      checked++;
    }
  }
  // Incompressible bytes: literals only.
  const noise = Buffer.from(Array.from({ length: 50_000 }, () => Math.floor(next() * 256)));
  t.ok(inKernel(lz4.compressSync(noise)).equals(noise), 'random bytes');
  t.equal(checked, 76);
});

t.test('the same as lz4Codec.decode on the same bytes', async (t) => {
  const original = sample(120_000, 20, random(3));
  const stored = lz4Codec.encode(original) as Buffer;
  t.ok(inKernel(stored).equals(Buffer.from(lz4Codec.decode(stored))));
});

t.test('corrupt input is a DecodeError, never a crash or an untyped error', async (t) => {
  const next = random(11);
  const original = sample(20_000, 30, next);
  const stored = lz4Codec.encode(original) as Buffer;
  let decodeErrors = 0;
  let values = 0;
  const attempt = (bytes: Buffer) => {
    try {
      inKernel(bytes);
      values++;
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      decodeErrors++;
    }
  };
  for (let cut = 0; cut < stored.length; cut += 97) attempt(stored.subarray(0, cut));
  for (let i = 0; i < 2000; i++) {
    const bytes = Buffer.from(stored);
    const flips = 1 + Math.floor(next() * 4);
    for (let k = 0; k < flips; k++) bytes[4 + Math.floor(next() * (bytes.length - 4))] ^= 1 << Math.floor(next() * 8);
    attempt(bytes);
  }
  for (let i = 0; i < 500; i++) {
    const garbage = Buffer.from(Array.from({ length: 5 + Math.floor(next() * 400) }, () => Math.floor(next() * 256)));
    garbage.writeUInt32LE(Math.floor(next() * 2000), 0);
    attempt(garbage);
  }
  t.ok(
    decodeErrors > 0,
    `${decodeErrors} DecodeErrors, ${values} values (a flipped literal is another value: the blob crc catches it)`,
  );
});

t.test('the size prefix is checked as lz4Codec.decode checks it', async (t) => {
  const stored = Buffer.from(lz4Codec.encode(Buffer.alloc(1000, 97)));
  t.throws(() => inKernel(stored.subarray(0, 4)), { name: 'DecodeError', message: /too short/ });
  t.throws(() => inKernel(stored, 999), { name: 'DecodeError', message: /more than the limit/ });
  const impossible = Buffer.from(stored);
  impossible.writeUInt32LE(0xffffff, 0);
  t.throws(() => inKernel(impossible), { name: 'DecodeError', message: /impossible/ });
  const short = Buffer.from(stored);
  short.writeUInt32LE(999, 0);
  t.throws(() => inKernel(short), DecodeError);
  const long = Buffer.from(stored);
  long.writeUInt32LE(1001, 0);
  t.throws(() => inKernel(long), { name: 'DecodeError', message: /size prefix says 1001/ });
});

t.test('values larger than the kernel takes are left to lz4Codec.decode', async (t) => {
  const big = Buffer.alloc(5 * 1024 * 1024, 120);
  const stored = lz4Codec.encode(big);
  t.equal(decodeLz4InKernel(stored, 0, stored.length, 1 << 30), undefined);
});
