import t from 'tap';
import { DecodeError } from '../../src/errors.js';
import { BlobFormat, MIN_COMPRESS_BYTES } from '../../src/format/blob.js';
import { FLAG_UNCOMPRESSED, FORMAT_VERSION, HEADER_SIZE, readHeader } from '../../src/format/header.js';
import { getCodec } from '../../src/codecs/index.js';
import { base64Codec } from '../../src/codecs/base64.js';
import { getSerializer } from '../../src/serializers/index.js';

const format = (serializer = 'hashstash', compress = 'lz4', b64 = false) => new BlobFormat({
  serializer: getSerializer(serializer), codec: getCodec(compress), base64: b64 ? base64Codec : null, trustCode: false,
});
const large = { text: 'the quick brown fox jumps over the lazy dog '.repeat(200) };

t.test('every blob starts with magic, version, serializer and codec ids', async (t) => {
  const blob = format('hashstash', 'lz4').pack(large);
  t.equal(String.fromCharCode(blob[0]!, blob[1]!), 'HS');
  t.equal(blob[2], FORMAT_VERSION);
  t.equal(blob[3], getSerializer('hashstash').id);
  t.equal(blob[4], getCodec('lz4').id);
  t.ok(blob.length < JSON.stringify(large).length, 'a large repetitive value is compressed');
  t.same(format('hashstash', 'lz4').unpack(blob), large);
});

t.test('small values skip compression, and the header says so', async (t) => {
  const blob = format('hashstash', 'zlib').pack({ a: 1 });
  t.ok(JSON.stringify({ a: 1 }).length < MIN_COMPRESS_BYTES);
  t.equal(blob[5]! & FLAG_UNCOMPRESSED, FLAG_UNCOMPRESSED);
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
    flipped[i]! ^= 0x01;
    t.throws(() => f.unpack(flipped), { name: 'DecodeError', message: /corrupt/ }, `bit flip at ${i}`);
  }
  const newer = Buffer.from(blob);
  newer[2] = FORMAT_VERSION + 1;
  t.throws(() => f.unpack(newer), { name: 'DecodeError', message: /newer/ });
  t.throws(() => readHeader(Buffer.from('not a blob at all')), { name: 'DecodeError', message: /magic/ });
});
