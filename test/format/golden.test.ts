import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BlobFormat } from '../../src/format/blob.js';
import { getCodec } from '../../src/codecs/index.js';
import { base64Codec } from '../../src/codecs/base64.js';
import { getSerializer } from '../../src/serializers/index.js';
import { goldenCodecs, goldenFile, goldenSerializers, goldenValues } from '../fixtures/golden-values.js';

// Tests run from dist/test/format; the frozen blobs stay in the source tree.
const dir = join(process.cwd(), 'test', 'fixtures', 'golden');

t.test('every frozen format-v1 blob still reads back to its value', async (t) => {
  const expected = goldenValues();
  let checked = 0;
  for (const serializer of goldenSerializers) {
    for (const codec of goldenCodecs) {
      for (const b64 of [false, true]) {
        const format = new BlobFormat({ serializer: getSerializer(serializer), codec: getCodec(codec), base64: b64 ? base64Codec : null, trustCode: false });
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
  const format = new BlobFormat({ serializer: getSerializer('hashstash'), codec: getCodec('raw'), base64: null, trustCode: false });
  for (const [name, value] of Object.entries(goldenValues())) {
    const frozen = readFileSync(join(dir, goldenFile('hashstash', 'raw', false, name)));
    t.equal(Buffer.from(format.pack(value)).toString('hex'), frozen.toString('hex'), name);
  }
});
