import { base64Codec } from '../../src/codecs/base64.js';
import { encode, getCodec } from '../../src/codecs/index.js';
import { SerializationError } from '../../src/errors.js';
import { BlobFormat } from '../../src/format/blob.js';
import { decodeKey, encodeKey } from '../../src/keys/encode.js';
import type { CompressName, SerializerName } from '../../src/options.js';
import { deserialize, getSerializer, serialize } from '../../src/serializers/index.js';
import { Random } from './random.js';

/** The settings of one stash: every serializer x codec x b64. */
export interface Config {
  readonly serializer: SerializerName;
  readonly compress: CompressName;
  readonly b64: boolean;
}

/** Valid input for an entry point, and what that entry point makes of it: what corrupted copies are compared with. */
export interface Sample {
  readonly label: string;
  readonly bytes: Uint8Array;
  readonly original: unknown;
}

export interface Corpus {
  readonly configs: readonly Config[];
  /** Stored blobs, by configName. */
  readonly blobs: ReadonlyMap<string, readonly Sample[]>;
  /** Serializer output, by serializer. */
  readonly serialized: ReadonlyMap<SerializerName, readonly Sample[]>;
  /** Output of the public `encode`, by codecName; the original is the input. */
  readonly encoded: ReadonlyMap<string, readonly Sample[]>;
  readonly keys: readonly Sample[];
}

export const SERIALIZERS: readonly SerializerName[] = ['hashstash', 'devalue', 'v8'];
export const CODECS: readonly CompressName[] = ['lz4', 'zlib', 'gzip', 'brotli', 'raw'];

export const configName = ({ serializer, compress, b64 }: Config): string =>
  `${serializer}.${compress}${b64 ? '+b64' : ''}`;
export const codecName = (compress: CompressName, b64: boolean): string => `${compress}${b64 ? '+b64' : ''}`;

export function formatOf({ serializer, compress, b64 }: Config): BlobFormat {
  return new BlobFormat({
    serializer: getSerializer(serializer),
    codec: getCodec(compress),
    base64: b64 ? base64Codec : null,
    trustCode: false,
  });
}

/** Values of every kind the serializers carry, small and large, compressible and not. */
function values(): Record<string, unknown> {
  const cycle: Record<string, unknown> = { name: 'loop' };
  cycle['self'] = cycle;
  const shared = { n: 1 };
  let nested: unknown = { leaf: true };
  for (let i = 0; i < 30; i++) nested = { level: i, child: nested };
  return {
    small: { name: 'cat', goodness: 'good', random: 0.4217, tags: ['a', 'b'] },
    rich: {
      text: 'the quick brown fox jumps over the lazy dog; '.repeat(40),
      when: new Date('2024-05-01T12:34:56.789Z'),
      counts: new Map<unknown, unknown>([
        ['x', 1],
        [2, 'two'],
      ]),
      members: new Set(['a', 'b', 3]),
      big: 12345678901234567890n,
      floats: new Float64Array([1.5, -2.25, Math.PI]),
      nested: { deep: { deeper: [1, 2, { deepest: 'yes' }] } },
    },
    unicode: 'ünïcödé ✓ 🎉 text, '.repeat(30),
    numbers: Array.from({ length: 200 }, (_, i) => i * 1.25 - 50),
    records: Array.from({ length: 40 }, (_, i) => ({ id: i, name: `item ${i}`, ok: i % 3 === 0, score: i / 7 })),
    nested,
    binary: new Random(1, 1).bytes(600),
    typed: { f: new Float32Array([1.5, -2.25]), i: new Int32Array([1, -1, 2 ** 31 - 1]), u: new Uint8Array([0, 255]) },
    special: [undefined, NaN, -0, Infinity, -Infinity, 12345678901234567890n, null, true, new Date(0), /re+/gi],
    collections: {
      map: new Map<unknown, unknown>([
        ['x', 1],
        [2, 'two'],
        [{ k: 1 }, [1]],
      ]),
      set: new Set(['a', 3, null]),
    },
    error: new Error('boom', { cause: new TypeError('inner') }),
    // eslint-disable-next-line no-sparse-arrays -- a hole is one of the shapes the fuzzer must carry
    sparse: [1, , 3],
    shared: { a: shared, b: shared, cycle },
    string: 'just a string',
    number: 42,
    empty: {},
  };
}

const KEYS: readonly unknown[] = [
  'plain',
  'unicode ✓ key',
  42,
  -1.5,
  null,
  true,
  12n,
  new Date(0),
  ['a', 1],
  { b: 2, a: [1, 2] },
  new Map([[1, 'x']]),
  new Set([3, 1]),
  { nested: { deep: [new Set(['s'])] } },
];

/** Every valid sample, built once per process. Values a serializer cannot carry (v8 and functions) are left out. */
export function buildCorpus(): Corpus {
  const all = values();
  const configs: Config[] = [];
  for (const serializer of SERIALIZERS) {
    for (const compress of CODECS) for (const b64 of [false, true]) configs.push({ serializer, compress, b64 });
  }

  const blobs = new Map<string, Sample[]>();
  for (const config of configs) {
    const format = formatOf(config);
    const samples: Sample[] = [];
    for (const [label, value] of Object.entries(all)) {
      const bytes = carried(() => format.pack(value));
      if (bytes !== undefined) samples.push({ label, bytes, original: format.unpack(bytes) });
    }
    blobs.set(configName(config), samples);
  }

  const serialized = new Map<SerializerName, Sample[]>();
  for (const serializer of SERIALIZERS) {
    const samples: Sample[] = [];
    for (const [label, value] of Object.entries(all)) {
      const bytes = carried(() => serialize(value, serializer));
      if (bytes !== undefined) samples.push({ label, bytes, original: deserialize(bytes, serializer) });
    }
    serialized.set(serializer, samples);
  }

  const encoded = new Map<string, Sample[]>();
  const inputs: [string, Uint8Array][] = [
    ['empty', new Uint8Array(0)],
    ...(['small', 'rich', 'records', 'binary'] as const).map((label): [string, Uint8Array] => [
      label,
      serialize(all[label]),
    ]),
  ];
  for (const compress of CODECS) {
    for (const b64 of [false, true]) {
      encoded.set(
        codecName(compress, b64),
        inputs.map(([label, input]) => ({
          label,
          bytes: encode(input, { compress, b64 }),
          original: Buffer.from(input),
        })),
      );
    }
  }

  const keys = KEYS.map((key) => {
    const bytes = encodeKey(key);
    return { label: String(bytes).slice(0, 40), bytes, original: decodeKey(bytes) };
  });
  return { configs, blobs, serialized, encoded, keys };
}

function carried(write: () => Uint8Array): Uint8Array | undefined {
  try {
    return write();
  } catch (error) {
    if (error instanceof SerializationError) return undefined;
    throw error;
  }
}
