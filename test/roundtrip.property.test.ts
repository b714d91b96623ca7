import { deepStrictEqual } from 'node:assert/strict';
import fc from 'fast-check';
import t from 'tap';
import { codecNames, decode, encode } from '../src/codecs/index.js';
import type { SerializerName } from '../src/options.js';
import { registerClass, unregisterClass } from '../src/serializers/classes.js';
import { deserialize, serialize, serializerNames } from '../src/serializers/index.js';

// Every serializer x every codec x b64 on and off: serialize -> encode -> decode -> deserialize gives back an equal
// value (node's deepStrictEqual: same prototypes, -0 is not 0, holes are not undefined, Buffer is not Uint8Array).

class PropertyPoint {
  constructor(
    readonly x: number,
    readonly label: string,
  ) {}
}
registerClass(PropertyPoint);
t.teardown(() => unregisterClass(PropertyPoint));

/** Any UTF-16 code unit, lone surrogates included. */
const anyText = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
  maxLength: 12,
});
/** Keys a serializer might trip on: its own markers, prototype names, integer-like keys. `__proto__` is not carried. */
const key = fc
  .oneof(
    fc.string({ maxLength: 6 }),
    anyText,
    fc.constantFrom(
      '\u0000class',
      '\u0000\u0000x',
      '~',
      'constructor',
      'toString',
      'hasOwnProperty',
      '0',
      '10',
      'a b',
      '',
    ),
  )
  .filter((k) => k !== '__proto__');

interface Capabilities {
  /** URL, null-prototype objects and registered class instances: all but v8. */
  prototypes: boolean;
}

function valueArbitrary({ prototypes }: Capabilities): fc.Arbitrary<unknown> {
  const leaves: fc.Arbitrary<unknown>[] = [
    fc.constant(null),
    fc.constant(undefined),
    fc.boolean(),
    fc.double(), // NaN, -0 and ±Infinity included
    fc.integer(),
    fc.bigInt(),
    anyText,
    fc.date({ noInvalidDate: true }),
    fc
      .tuple(fc.constantFrom('a+', '\\d{2}', '[x-z]*', '^$'), fc.constantFrom('', 'g', 'iu', 'ms'))
      .map(([source, flags]) => new RegExp(source, flags)),
    fc.uint8Array({ maxLength: 16 }),
    fc.int32Array({ maxLength: 4 }),
    fc.float64Array({ maxLength: 4, noNaN: true }),
    fc.bigInt64Array({ maxLength: 3 }),
    fc.uint8Array({ maxLength: 16 }).map((bytes) => Buffer.from(bytes)),
    fc
      .tuple(fc.constantFrom(Error, TypeError, RangeError), fc.string({ maxLength: 8 }))
      .map(([ErrorClass, message]) => new ErrorClass(message)),
  ];
  if (prototypes) {
    leaves.push(
      fc.webUrl().map((url) => new URL(url)),
      fc.tuple(fc.double(), anyText).map(([x, label]) => new PropertyPoint(x, label)),
    );
  }
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      ...leaves,
      tie('array'),
      tie('sparse'),
      tie('object'),
      tie('map'),
      tie('set'),
    ),
    array: fc.array(tie('value'), { maxLength: 4 }),
    sparse: fc.sparseArray(tie('value'), { maxLength: 6, maxNumElements: 3 }),
    object: fc.dictionary(key, tie('value'), { maxKeys: 4, noNullPrototype: !prototypes }),
    map: fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 3 }).map((entries) => new Map(entries)),
    set: fc.array(tie('value'), { maxLength: 3 }).map((members) => new Set(members)),
  }));
  return value;
}

const capabilities: Record<SerializerName, Capabilities> = {
  hashstash: { prototypes: true },
  devalue: { prototypes: true },
  v8: { prototypes: false },
};

function throughEveryCodec(value: unknown, serializer: SerializerName): void {
  const bytes = serialize(value, serializer);
  for (const compress of codecNames) {
    for (const b64 of [false, true]) {
      const stored = encode(bytes, { compress, b64 });
      const back = deserialize(decode(stored, { compress, b64 }), serializer);
      deepStrictEqual(back, value, `${serializer} through ${compress}${b64 ? '+b64' : ''}`);
    }
  }
}

for (const serializer of serializerNames) {
  t.test(`${serializer}: random values round-trip through every codec, with and without b64`, async (t) => {
    const arbitrary = valueArbitrary(capabilities[serializer]);
    fc.assert(
      fc.property(arbitrary, (value) => {
        throughEveryCodec(value, serializer);
        // Shared references stay shared.
        if (typeof value === 'object' && value !== null) {
          const [first, second] = deserialize(serialize([value, value], serializer), serializer) as [unknown, unknown];
          if (first !== second) throw new Error(`${serializer} split a shared reference`);
        }
      }),
      { numRuns: 150 },
    );
    t.pass('no counterexample');
  });
}
