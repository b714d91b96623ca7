import t from 'tap';
import fc from 'fast-check';
import { Buffer } from 'node:buffer';
import { DecodeError } from '../../src/errors.js';
import { hashstashSerializer } from '../../src/serializers/hashstash.js';
import { differenceBetween } from './same-structure.js';

const { serialize, deserialize } = hashstashSerializer;

/** Values the serializer carries beyond what fc.anything makes. */
const extras = fc.oneof(
  fc.uint8Array({ maxLength: 16 }).map((bytes) => Buffer.from(bytes)),
  fc.uint8Array({ maxLength: 16 }).map((bytes) => new DataView(bytes.buffer)),
  fc.uint8Array({ maxLength: 16 }).map((bytes) => bytes.slice().buffer),
  fc.constantFrom(/a+b/g, /^\d{2,}$/imsu, new RegExp('', 'y')),
  fc.webUrl().map((href) => new URL(href)),
  fc.constantFrom(undefined, NaN, Infinity, -Infinity, -0),
  fc
    .tuple(fc.constantFrom(Error, TypeError, RangeError, URIError), fc.string(), fc.option(fc.string()))
    .map(([ErrorClass, message, code]) => {
      const error = new ErrorClass(message, { cause: code ?? undefined }) as Error & { code?: string };
      if (code !== null) error.code = code;
      return error;
    }),
);

const values = fc.anything({
  maxDepth: 4,
  withBigInt: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withTypedArray: true,
  withSparseArray: true,
  withNullPrototype: true,
  withUnicodeString: true,
  values: [fc.anything({ maxDepth: 0, withBigInt: true, withDate: true, withUnicodeString: true }), extras],
});

t.test('any value round-trips to a structurally identical value', async (t) => {
  fc.assert(
    fc.property(values, (value) => {
      const difference = differenceBetween(value, deserialize(serialize(value)));
      if (difference !== undefined) throw new Error(difference);
    }),
    { numRuns: 300 },
  );
  t.pass('300 random values round-tripped');
});

t.test('shared references and cycles built from random values keep their shape', async (t) => {
  fc.assert(
    fc.property(values, values, (a, b) => {
      const holder: Record<string, unknown> = { a, again: a, b, list: [b, a] };
      holder.self = holder;
      holder.map = new Map<unknown, unknown>([
        [holder, a],
        [b, holder],
      ]);
      const back = deserialize(serialize(holder)) as typeof holder;
      const difference = differenceBetween(holder, back);
      if (difference !== undefined) throw new Error(difference);
      if (back.self !== back) throw new Error('the cycle is lost');
    }),
    { numRuns: 150 },
  );
  t.pass('150 random shapes with sharing round-tripped');
});

t.test('writing is deterministic: the same value gives the same bytes', async (t) => {
  fc.assert(
    fc.property(values, (value) => Buffer.compare(serialize(value), serialize(value)) === 0),
    { numRuns: 150 },
  );
  t.pass('150 random values wrote the same bytes twice');
});

t.test('a truncated blob is a DecodeError, never a value', async (t) => {
  fc.assert(
    fc.property(values, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (value, cut) => {
      const bytes = serialize(value);
      const end = Math.floor(cut * bytes.length);
      try {
        deserialize(bytes.subarray(0, end));
      } catch (error) {
        return error instanceof DecodeError;
      }
      return false;
    }),
    { numRuns: 300 },
  );
  t.pass('300 random truncations were rejected');
});
