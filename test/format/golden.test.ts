import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BlobFormat } from '../../src/format/blob.js';
import { getCodec } from '../../src/codecs/index.js';
import { base64Codec } from '../../src/codecs/base64.js';
import { getSerializer } from '../../src/serializers/index.js';
import { expiresAtOf } from '../../src/format/header.js';
import {
  GOLDEN_EXPIRES_AT,
  goldenCodecs,
  goldenFile,
  goldenSerializers,
  goldenValues,
  goldenVersions,
} from '../fixtures/golden-values.js';

// Tests run from dist/test/format; the frozen blobs stay in the source tree.
const dir = join(process.cwd(), 'test', 'fixtures', 'golden');

t.test('every frozen format-v1 blob still reads back to its value', async (t) => {
  const expected = goldenValues();
  let checked = 0;
  for (const serializer of goldenSerializers) {
    for (const codec of goldenCodecs) {
      for (const b64 of [false, true]) {
        const format = new BlobFormat({
          serializer: getSerializer(serializer),
          codec: getCodec(codec),
          base64: b64 ? base64Codec : null,
          trustCode: false,
        });
        for (const [name, value] of Object.entries(expected)) {
          const file = goldenFile(serializer, codec, b64, name);
          t.same(format.unpack(readFileSync(join(dir, file))), value, file);
          checked++;
        }
      }
    }
  }
  t.equal(checked, goldenSerializers.length * goldenCodecs.length * 2 * Object.keys(expected).length);
});

t.test('the hashstash serializer still writes exactly the frozen bytes', async (t) => {
  // Reading old data is the promise; writing the same bytes shows the format itself has not drifted.
  const format = new BlobFormat({
    serializer: getSerializer('hashstash'),
    codec: getCodec('raw'),
    base64: null,
    trustCode: false,
  });
  for (const [name, value] of Object.entries(goldenValues())) {
    const frozen = readFileSync(join(dir, goldenFile('hashstash', 'raw', false, name)));
    t.equal(Buffer.from(format.pack(value)).toString('hex'), frozen.toString('hex'), name);
  }
});

t.test('every frozen format-v2 blob (with an expiry) reads back to its value and its expiry', async (t) => {
  const expected = goldenValues();
  let checked = 0;
  for (const serializer of goldenSerializers) {
    for (const codec of goldenCodecs) {
      for (const b64 of [false, true]) {
        const format = new BlobFormat({
          serializer: getSerializer(serializer),
          codec: getCodec(codec),
          base64: b64 ? base64Codec : null,
          trustCode: false,
        });
        for (const [name, value] of Object.entries(expected)) {
          const file = goldenFile(serializer, codec, b64, name, 2);
          const blob = readFileSync(join(dir, file));
          t.same(format.unpack(blob), value, file);
          t.equal(expiresAtOf(blob), GOLDEN_EXPIRES_AT, `${file}: its expiry`);
          const raw = b64 ? base64Codec.decode(blob) : blob;
          t.equal(raw[2], 2, `${file}: format version 2`);
          checked++;
        }
      }
    }
  }
  t.equal(checked, goldenSerializers.length * goldenCodecs.length * 2 * Object.keys(expected).length);
});

t.test(
  'the hashstash serializer still writes exactly the frozen v2 bytes, and v1 bytes without an expiry',
  async (t) => {
    for (const b64 of [false, true]) {
      const format = new BlobFormat({
        serializer: getSerializer('hashstash'),
        codec: getCodec('raw'),
        base64: b64 ? base64Codec : null,
        trustCode: false,
      });
      for (const [name, value] of Object.entries(goldenValues())) {
        for (const version of goldenVersions) {
          const frozen = readFileSync(join(dir, goldenFile('hashstash', 'raw', b64, name, version)));
          const written = format.pack(value, version === 2 ? GOLDEN_EXPIRES_AT : undefined);
          t.equal(
            Buffer.from(written).toString('hex'),
            frozen.toString('hex'),
            `v${version} ${name}${b64 ? ' b64' : ''}`,
          );
        }
      }
    }
  },
);
