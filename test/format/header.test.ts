import t from 'tap';
import { DecodeError } from '../../src/errors.js';
import { BlobFormat, MIN_COMPRESS_BYTES } from '../../src/format/blob.js';
import {
  EXPIRING_HEADER_SIZE,
  expiresAtOf,
  FLAG_UNCOMPRESSED,
  FORMAT_VERSION,
  HEADER_SIZE,
  readHeader,
} from '../../src/format/header.js';
import { getCodec } from '../../src/codecs/index.js';
import { base64Codec } from '../../src/codecs/base64.js';
import { getSerializer } from '../../src/serializers/index.js';

const format = (serializer = 'hashstash', compress = 'lz4', b64 = false) =>
  new BlobFormat({
    serializer: getSerializer(serializer),
    codec: getCodec(compress),
    base64: b64 ? base64Codec : null,
    trustCode: false,
  });
const large = { text: 'the quick brown fox jumps over the lazy dog '.repeat(200) };

t.test('every blob starts with magic, version, serializer and codec ids', async (t) => {
  const blob = format('hashstash', 'lz4').pack(large);
  t.equal(String.fromCharCode(blob[0], blob[1]), 'HS');
  t.equal(blob[2], 1, 'a blob that never expires is written as version 1, as before expiry existed');
  t.equal(blob[3], getSerializer('hashstash').id);
  t.equal(blob[4], getCodec('lz4').id);
  t.ok(blob.length < JSON.stringify(large).length, 'a large repetitive value is compressed');
  t.same(format('hashstash', 'lz4').unpack(blob), large);
});

t.test('small values skip compression, and the header says so', async (t) => {
  const blob = format('hashstash', 'zlib').pack({ a: 1 });
  t.ok(JSON.stringify({ a: 1 }).length < MIN_COMPRESS_BYTES);
  t.equal(blob[5] & FLAG_UNCOMPRESSED, FLAG_UNCOMPRESSED);
  t.same(format('hashstash', 'zlib').unpack(blob), { a: 1 });
});

t.test('a blob read with another serializer, codec or b64 setting is a DecodeError', async (t) => {
  const blob = format('hashstash', 'lz4').pack(large);
  t.throws(() => format('devalue', 'lz4').unpack(blob), { name: 'DecodeError', message: /serializer/ });
  t.throws(() => format('hashstash', 'zlib').unpack(blob), { name: 'DecodeError', message: /codec/ });
  t.throws(() => format('hashstash', 'lz4', true).unpack(blob), DecodeError);
  const b64 = format('hashstash', 'lz4', true).pack(large);
  t.throws(() => format('hashstash', 'lz4').unpack(b64), DecodeError);
  t.same(format('hashstash', 'lz4', true).unpack(b64), large);
});

t.test('truncated, extended, corrupt or newer blobs are DecodeErrors, never wrong values', async (t) => {
  const f = format('hashstash', 'raw');
  const blob = Buffer.from(f.pack({ n: 123456, s: 'abc' }));
  for (let cut = 0; cut < blob.length; cut++) {
    t.throws(() => f.unpack(blob.subarray(0, cut)), DecodeError, `cut at ${cut}`);
  }
  t.throws(() => f.unpack(Buffer.concat([blob, Buffer.from('0')])), { name: 'DecodeError', message: /too long/ });
  for (let i = HEADER_SIZE; i < blob.length; i++) {
    const flipped = Buffer.from(blob);
    flipped[i] ^= 0x01;
    t.throws(() => f.unpack(flipped), { name: 'DecodeError', message: /corrupt/ }, `bit flip at ${i}`);
  }
  const newer = Buffer.from(blob);
  newer[2] = FORMAT_VERSION + 1;
  t.throws(() => f.unpack(newer), { name: 'DecodeError', message: /newer/ });
  t.throws(() => readHeader(Buffer.from('not a blob at all')), { name: 'DecodeError', message: /magic/ });
});

t.test(
  'a blob with an expiry is version 2: the expiry is readable without decoding, and the crc covers it',
  async (t) => {
    const at = Date.UTC(2030, 0, 1, 12, 0, 0, 250);
    for (const [serializer, compress, b64] of [
      ['hashstash', 'lz4', false],
      ['devalue', 'zlib', false],
      ['v8', 'raw', false],
      ['hashstash', 'lz4', true],
    ] as const) {
      const f = format(serializer, compress, b64);
      for (const value of [{ a: 1 }, large]) {
        const blob = f.pack(value, at);
        t.equal(expiresAtOf(blob), at, `${serializer}/${compress}${b64 ? '+b64' : ''}: expiry read from the header`);
        t.same(f.unpack(blob), value);
        t.equal(expiresAtOf(f.pack(value)), null, 'no expiry: null');
        if (b64) continue;
        t.equal(blob[2], 2);
        t.equal(readHeader(blob).header.expiresAt, at);
        t.equal(readHeader(blob).body.length, blob.length - EXPIRING_HEADER_SIZE);
        const later = Buffer.from(blob);
        later[HEADER_SIZE + 3] = later[HEADER_SIZE + 3] ^ 0x01;
        t.throws(
          () => f.unpack(later),
          { name: 'DecodeError', message: /checksum/ },
          'an altered expiry fails the crc',
        );
        t.throws(() => f.unpack(blob.subarray(0, 20)), { name: 'DecodeError', message: /22-byte header/ });
      }
    }
    t.equal(FORMAT_VERSION, 2);
    t.equal(expiresAtOf(Buffer.from('not a blob at all, not even close to one')), null, 'bytes that are no blob: null');
    t.equal(expiresAtOf(new Uint8Array(0)), null);
  },
);
