import t from 'tap';
import { DecodeError } from '../../src/errors.js';
import { decodeKey } from '../../src/keys/encode.js';
import { deserialize } from '../../src/serializers/index.js';
import { MAX_TEXT_BYTES } from '../../src/serializers/text-limit.js';

// The inputs here are as small as V8's string limit (536,870,888 characters) allows; the tests run one after another.

t.test('reading more text than Node can put in one string is a DecodeError', async (t) => {
  const big = Buffer.alloc(MAX_TEXT_BYTES + 1); // zero pages the process never touches
  t.throws(() => deserialize(big, 'hashstash'), { name: 'DecodeError', message: /536870889 bytes of text, more than the 536870888/ });
  t.throws(() => decodeKey(big), { name: 'DecodeError', message: /hashstash key: 536870889 bytes of text/ });
  t.throws(() => deserialize(big, 'devalue'), DecodeError);
});
