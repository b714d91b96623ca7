import t from 'tap';
import { DecodeError, SerializationError } from '../../src/errors.js';
import { decodeKey, encodeKey } from '../../src/keys/encode.js';
import { deserialize, serialize } from '../../src/serializers/index.js';
import { MAX_TEXT_BYTES } from '../../src/serializers/text-limit.js';

// The inputs here are as small as V8's string limit (536,870,888 characters) allows; the tests run one after another.

t.test('reading more text than Node can put in one string is a DecodeError', async (t) => {
  const big = Buffer.alloc(MAX_TEXT_BYTES + 1); // zero pages the process never touches
  t.throws(() => deserialize(big, 'hashstash'), {
    name: 'DecodeError',
    message: /536870889 bytes of text, more than the 536870888/,
  });
  t.throws(() => decodeKey(big), { name: 'DecodeError', message: /hashstash key: 536870889 bytes of text/ });
  t.throws(() => deserialize(big, 'devalue'), DecodeError);
});

t.test('hashstash: plain JSON whose text passes the limit is a SerializationError', async (t) => {
  const long = 'x'.repeat(270_000_000);
  t.throws(() => serialize({ a: long, b: long }), { name: 'SerializationError', path: '$', message: /longest string/ });
});

t.test('hashstash: a Buffer whose base64 passes the limit is a SerializationError at its path', async (t) => {
  const error = t.throws(
    () => serialize({ buf: Buffer.alloc(402_653_170) }),
    SerializationError,
  ) as unknown as SerializationError;
  t.equal(error?.path, '$.buf');
  t.match(error?.message, /longest string.*v8 serializer/);
  t.throws(() => encodeKey(Buffer.alloc(402_653_170)), { name: 'SerializationError', path: '$' }, 'as a key too');
});

t.test(
  'text that fits in a string but not, as UTF-8, in what a reader can take back is refused when written',
  async (t) => {
    const euros = '€'.repeat(180_000_000); // 3 bytes each in UTF-8: 540,000,000 bytes
    for (const serializer of ['hashstash', 'devalue'] as const) {
      t.throws(
        () => serialize(euros, serializer),
        { name: 'SerializationError', message: /bytes of UTF-8, more than the 536870888/ },
        serializer,
      );
    }
  },
);

t.test('devalue: a value whose text passes the limit is a SerializationError', async (t) => {
  t.throws(() => serialize({ bytes: new Uint8Array(402_653_170) }, 'devalue'), {
    name: 'SerializationError',
    path: '$',
    message: /longest string/,
  });
});
