import { randomBytes } from 'node:crypto';
import t from 'tap';
import { ConfigError, DecodeError } from '../../src/errors.js';
import { base64Codec } from '../../src/codecs/base64.js';
import type { Codec } from '../../src/codecs/codec.js';
import { codecById, codecNames, decode, encode, getCodec } from '../../src/codecs/index.js';
import { lz4Codec } from '../../src/codecs/lz4.js';

const text = (n: number) =>
  Buffer.from('the quick brown fox jumps over the lazy dog 0123456789 '.repeat(Math.ceil(n / 55)).slice(0, n));
const inputs: Record<string, Uint8Array> = {
  empty: new Uint8Array(0),
  'small (77 B)': text(77),
  '100 KB text': text(100_000),
  'random binary': new Uint8Array(randomBytes(50_000)),
};
const allCodecs: Codec[] = [...codecNames.map(getCodec), base64Codec];

t.test('every codec round-trips empty, small, large text and random bytes', async (t) => {
  for (const codec of allCodecs) {
    for (const [label, input] of Object.entries(inputs)) {
      const encoded = codec.encode(input);
      t.ok(encoded instanceof Uint8Array, `${codec.name} ${label}: encodes to bytes`);
      t.same(Buffer.from(codec.decode(encoded)), Buffer.from(input), `${codec.name} ${label}`);
    }
  }
});

t.test('codecs read only the view they are given, not the whole underlying buffer', async (t) => {
  const backing = new Uint8Array(randomBytes(4096));
  const view = backing.subarray(100, 400);
  for (const codec of allCodecs) {
    const encoded = codec.encode(view);
    t.same(Buffer.from(codec.decode(encoded)), Buffer.from(view), codec.name);
    const storedInside = new Uint8Array(encoded.length + 20);
    storedInside.set(encoded, 7);
    const encodedView = storedInside.subarray(7, 7 + encoded.length);
    t.same(Buffer.from(codec.decode(encodedView)), Buffer.from(view), `${codec.name} decodes a view at an offset`);
  }
});

t.test('compression codecs shrink repetitive text', async (t) => {
  for (const name of ['lz4', 'zlib', 'gzip', 'brotli']) {
    t.ok(getCodec(name).encode(inputs['100 KB text']).length < 10_000, name);
  }
});

t.test('ids are distinct printable ASCII bytes, as the header records them', async (t) => {
  const expected: Record<string, string> = { raw: 'r', lz4: 'l', zlib: 'z', gzip: 'g', brotli: 'b', base64: '6' };
  for (const codec of allCodecs) {
    t.equal(String.fromCharCode(codec.id), expected[codec.name], codec.name);
    t.equal(codecById(codec.id), codec, `codecById finds ${codec.name}`);
  }
  t.equal(new Set(allCodecs.map((codec) => codec.id)).size, allCodecs.length);
});

t.test('truncated input is a DecodeError naming the codec', async (t) => {
  const input = inputs['small (77 B)'];
  for (const name of ['lz4', 'zlib', 'gzip', 'brotli']) {
    const codec = getCodec(name);
    const encoded = codec.encode(input);
    for (const cut of [0, 1, 4, Math.floor(encoded.length / 2), encoded.length - 1]) {
      const error = t.throws(
        () => codec.decode(encoded.subarray(0, cut)),
        DecodeError,
        `${name} cut at ${cut}`,
      ) as unknown as Error;
      t.match(error?.message, name, `${name} names itself`);
    }
  }
});

t.test('corrupt input is a DecodeError naming the codec, with the cause', async (t) => {
  const input = inputs['100 KB text'];
  for (const name of ['lz4', 'zlib', 'gzip', 'brotli']) {
    const codec = getCodec(name);
    const encoded = Buffer.from(codec.encode(input));
    // Flip bytes in the middle of the compressed stream. zlib (adler32) and gzip (crc32) always notice; lz4 and brotli
    // have no checksum, so a flipped literal can decode to other bytes: the blob header's crc32 catches those.
    const checksummed = name === 'zlib' || name === 'gzip';
    let failures = 0;
    for (let trial = 0; trial < 20; trial++) {
      const corrupt = Buffer.from(encoded);
      const at = 10 + ((trial * 7919) % (corrupt.length - 20));
      corrupt[at] = corrupt[at] ^ 0xff;
      try {
        const decoded = codec.decode(corrupt);
        if (checksummed) t.fail(`${name} decoded a corrupt stream`);
        else t.not(Buffer.compare(Buffer.from(decoded), input), 0, `${name} did not return the original`);
      } catch (error) {
        failures++;
        t.type(error, DecodeError);
        t.match((error as Error).message, name);
      }
    }
    t.ok(failures > 0, `${name} detects corruption`);
  }
  const error = t.throws(() =>
    getCodec('zlib').decode(Buffer.from('definitely not deflate')),
  ) as unknown as DecodeError;
  t.ok(error.cause instanceof Error, 'the underlying error is the cause');
});

t.test('data from another codec is a DecodeError', async (t) => {
  const input = inputs['small (77 B)'];
  for (const writer of ['lz4', 'zlib', 'gzip', 'brotli']) {
    for (const reader of ['lz4', 'zlib', 'gzip', 'brotli']) {
      if (writer === reader) continue;
      const encoded = getCodec(writer).encode(input);
      let decoded: Uint8Array | undefined;
      try {
        decoded = getCodec(reader).decode(encoded);
      } catch (error) {
        t.type(error, DecodeError, `${writer} read as ${reader}`);
        continue;
      }
      t.not(Buffer.compare(Buffer.from(decoded), input), 0, `${writer} read as ${reader} is not the input`);
    }
  }
});

t.test('lz4 checks its size prefix before allocating', async (t) => {
  const encoded = Buffer.from(lz4Codec.encode(inputs['small (77 B)']));
  t.equal(encoded.readUInt32LE(0), 77, 'a 4-byte little-endian size prefix, as lz4_flex writes it');

  const huge = Buffer.from(encoded);
  huge.writeUInt32LE(0xffff_fff0, 0);
  const before = process.memoryUsage().rss;
  const error = t.throws(() => lz4Codec.decode(huge), DecodeError) as unknown as Error;
  t.match(error.message, /lz4.*size prefix/);
  t.ok(process.memoryUsage().rss - before < 256 * 1024 * 1024, 'no gigabyte allocation');

  const larger = Buffer.from(encoded);
  larger.writeUInt32LE(500, 0);
  t.throws(
    () => lz4Codec.decode(larger),
    DecodeError,
    'a prefix larger than the block holds (lz4-napi would accept it)',
  );
  const smaller = Buffer.from(encoded);
  smaller.writeUInt32LE(10, 0);
  t.throws(() => lz4Codec.decode(smaller), DecodeError, 'a prefix smaller than the block holds');
  t.throws(() => lz4Codec.decode(new Uint8Array([0, 0, 0, 0])), DecodeError, 'a prefix and no block');
});

t.test('lz4 turns any garbage into a DecodeError or bytes, never a crash', async (t) => {
  let decodeErrors = 0;
  for (let trial = 0; trial < 2000; trial++) {
    const garbage = randomBytes(1 + (trial % 64));
    if (trial % 2 === 0 && garbage.length >= 4) garbage.writeUInt32LE(trial % 300, 0); // plausible prefixes too
    try {
      const out = lz4Codec.decode(garbage);
      t.equal(out.length, garbage.readUInt32LE(0), 'anything accepted has the size its prefix promised');
    } catch (error) {
      if (!(error instanceof DecodeError)) t.fail(`not a DecodeError: ${String(error)}`);
      decodeErrors++;
    }
  }
  t.ok(decodeErrors > 1500, 'almost all garbage is refused');
});

t.test('base64 is the standard alphabet with padding', async (t) => {
  t.equal(Buffer.from(base64Codec.encode(Buffer.from('hello'))).toString('latin1'), 'aGVsbG8=');
  t.equal(Buffer.from(base64Codec.encode(Buffer.from([0xfb, 0xff]))).toString('latin1'), '+/8=');
  t.equal(Buffer.from(base64Codec.decode(Buffer.from('aGVsbG8='))).toString(), 'hello');
  t.equal(Buffer.from(base64Codec.decode(Buffer.from('aGVsbA=='))).toString(), 'hell');
  t.equal(base64Codec.decode(new Uint8Array(0)).length, 0);
});

t.test('base64 decode validates instead of skipping garbage like Buffer.from does', async (t) => {
  const invalid: Record<string, string> = {
    'length not a multiple of 4': 'aGVsbG8',
    'a character outside the alphabet': 'aGV!bG8=',
    whitespace: 'aGVs bG8=',
    'a newline': 'aGVs\nbG8=',
    'the URL-safe alphabet': '-_8=',
    'padding in the middle': 'aG==bG8=',
    'three padding characters': 'a===',
    'only padding': '====',
    'non-zero bits after the last byte': 'aGVsbG9=',
    'non-zero bits with two pads': 'aGVsbB==',
    'a non-ASCII byte': 'aGVs\u00e9G8=',
  };
  for (const [label, text] of Object.entries(invalid)) {
    const error = t.throws(
      () => base64Codec.decode(Buffer.from(text, 'latin1')),
      DecodeError,
      label,
    ) as unknown as Error;
    t.match(error?.message, 'base64', `${label}: names the codec`);
  }
});

t.test('registry', async (t) => {
  t.strictSame([...codecNames], ['lz4', 'zlib', 'gzip', 'brotli', 'raw']);
  for (const name of codecNames) t.equal(getCodec(name).name, name);
  for (const name of ['zstd', 'LZ4', '', 'base64']) {
    const error = t.throws(() => getCodec(name), ConfigError, `"${name}" is refused`) as unknown as Error;
    t.match(error.message, JSON.stringify(name), 'the message names it');
    t.match(error.message, 'lz4, zlib, gzip, brotli, raw', 'and lists the valid ones');
  }
  t.throws(() => codecById(0x00), DecodeError, 'an unknown id in a header is a DecodeError');
});

t.test('encode and decode: compression, then optional base64', async (t) => {
  const input = inputs['small (77 B)'];
  const lz4 = encode(input);
  t.same(Buffer.from(lz4), Buffer.from(lz4Codec.encode(input)), 'lz4 without b64 by default');
  t.same(Buffer.from(decode(lz4)), Buffer.from(input));

  for (const compress of codecNames) {
    for (const b64 of [false, true]) {
      const stored = encode(input, { compress, b64 });
      if (b64) t.match(Buffer.from(stored).toString('latin1'), /^[A-Za-z0-9+/]*={0,2}$/, `${compress}+b64 is text`);
      t.same(Buffer.from(decode(stored, { compress, b64 })), Buffer.from(input), `${compress} b64=${b64}`);
    }
  }
  t.same(Buffer.from(encode(input, { compress: false })), Buffer.from(input), 'compress: false means raw');
  t.same(
    Buffer.from(decode(encode(input, { compress: 'gzip', b64: true }), { compress: 'gzip', b64: true })),
    Buffer.from(input),
  );

  t.throws(() => decode(encode(input, { b64: true })), DecodeError, 'b64 data read without b64');
  t.throws(() => decode(encode(input), { b64: true }), DecodeError, 'binary data read as b64');
  t.throws(() => encode(input, { compress: 'zip' as never }), ConfigError);
  t.throws(() => encode('text' as never), ConfigError);
  t.throws(() => decode(null as never), ConfigError);
});
