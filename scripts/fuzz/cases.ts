import { base64Codec } from '../../src/codecs/base64.js';
import type { CompressName, SerializerName } from '../../src/options.js';
import { getCodec } from '../../src/codecs/index.js';
import { getSerializer } from '../../src/serializers/index.js';
import { codecName, CODECS, configName, SERIALIZERS, type Config, type Corpus, type Sample } from './corpus.js';
import {
  BLOB_MUTATIONS,
  BYTE_MUTATIONS,
  corruptBodyKeepingCrc,
  corruptHeader,
  corruptSerialized,
  garbageBody,
  mutateBytes,
  type Mutation,
} from './mutations.js';
import { Random } from './random.js';

/**
 * The entry points every input goes through, one per input:
 *
 *   deserialize  the public deserialize(bytes, serializer): bare serializer output, no checksum
 *   decode       the public decode(bytes, { compress, b64 }): bare codec output, no checksum (zlib and gzip have their own)
 *   decodeValue  stash.decodeValue(blob): the header, its crc32, the codec, the serializer
 *   decodeKey    stash.decodeKey(bytes): key text, no checksum
 *   get          stash.get(key) on a memory stash whose stored blob was replaced by the input
 */
export type TargetName = 'deserialize' | 'decode' | 'decodeValue' | 'decodeKey' | 'get';
export const TARGETS: readonly TargetName[] = ['deserialize', 'decode', 'decodeValue', 'decodeKey', 'get'];

const TARGET_WEIGHTS: readonly (readonly [TargetName, number])[] = [
  ['decodeValue', 30],
  ['get', 15],
  ['deserialize', 25],
  ['decode', 20],
  ['decodeKey', 10],
];

export interface FuzzCase {
  readonly seed: number;
  readonly index: number;
  readonly target: TargetName;
  /** The stash settings (decodeValue, get), the serializer (deserialize) or the codec (decode) the input is read with. */
  readonly settings: string;
  readonly config?: Config;
  readonly serializer?: SerializerName;
  readonly codec?: { compress: CompressName; b64: boolean };
  /** The sample the input was made from. */
  readonly source: string;
  readonly mutation: Mutation;
  /** For b64 stashes: whether the blob was mutated before base64 (true) or the stored text itself (false). */
  readonly inner?: boolean;
  readonly bytes: Uint8Array;
  /** What the entry point makes of the sample; absent for inputs not made from one (random bytes, garbage bodies). */
  readonly original?: { value: unknown };
  /**
   * For a splice, what it makes of the other sample: a splice of two samples of one stash can be the other one whole,
   * header and crc32 included (cut inside the bytes they share).
   */
  readonly otherOriginal?: { value: unknown };
  /** The input reaches the blob header's crc32 as it was written: a blob target, and the crc not recomputed. */
  readonly crcChecked: boolean;
}

/** Input `index` of the run with `seed`: the same bytes on every machine, whatever batch it runs in. */
export function makeCase(corpus: Corpus, seed: number, index: number): FuzzCase {
  const random = new Random(seed, index);
  const target = random.weighted(TARGET_WEIGHTS);
  const base = { seed, index, target };
  switch (target) {
    case 'deserialize': {
      const serializer = random.pick(SERIALIZERS);
      const samples = corpus.serialized.get(serializer)!;
      return {
        ...base,
        settings: serializer,
        serializer,
        ...bytesCase(random, samples, prefixOf(serializer)),
        crcChecked: false,
      };
    }
    case 'decode': {
      const codec = { compress: random.pick(CODECS), b64: random.chance(0.3) };
      const samples = corpus.encoded.get(codecName(codec.compress, codec.b64))!;
      return {
        ...base,
        settings: codecName(codec.compress, codec.b64),
        codec,
        ...bytesCase(random, samples, new Uint8Array(0)),
        crcChecked: false,
      };
    }
    case 'decodeKey':
      return { ...base, settings: 'key', ...bytesCase(random, corpus.keys, new Uint8Array(0)), crcChecked: false };
    case 'decodeValue':
    case 'get': {
      const config = random.pick(corpus.configs);
      return {
        ...base,
        settings: configName(config),
        config,
        ...blobCase(random, corpus.blobs.get(configName(config))!, config),
      };
    }
  }
}

type Made = Pick<FuzzCase, 'source' | 'mutation' | 'bytes' | 'original' | 'otherOriginal'>;

/** An input for an entry point without a header: a byte mutation of a sample. */
function bytesCase(random: Random, samples: readonly Sample[], randomPrefix: Uint8Array): Made {
  const sample = random.pick(samples);
  const mutation = random.weighted(BYTE_MUTATIONS);
  if (mutation === 'random') {
    // Half of them start like the format, to get past its first check.
    const bytes = mutateBytes(random, sample.bytes, 'random', sample.bytes);
    return { source: '-', mutation, bytes: random.chance(0.5) ? Buffer.concat([randomPrefix, bytes]) : bytes };
  }
  const other = random.pick(samples);
  const bytes = mutateBytes(random, sample.bytes, mutation, other.bytes);
  return {
    source: sample.label,
    mutation,
    bytes,
    original: { value: sample.original },
    otherOriginal: { value: other.original },
  };
}

/** An input for a blob entry point; for b64 stashes half are mutated inside the base64, half as stored text. */
function blobCase(
  random: Random,
  samples: readonly Sample[],
  config: Config,
): Made & Pick<FuzzCase, 'crcChecked' | 'inner'> {
  const sample = random.pick(samples);
  const otherSample = random.pick(samples);
  const other = otherSample.bytes;
  const mutation = random.weighted(BLOB_MUTATIONS);
  const sealed = mutation === 'crc-recomputed' || mutation === 'garbage-body' || mutation === 'recompressed';
  const inner = config.b64 && (sealed || mutation === 'header' || random.chance(0.5));
  const open = (bytes: Uint8Array) => (inner ? base64Codec.decode(bytes) : bytes);
  const close = (bytes: Uint8Array) => (inner ? base64Codec.encode(bytes) : bytes);
  const blob = open(sample.bytes);
  const crcChecked = !sealed;
  const original = { value: sample.original };
  switch (mutation) {
    case 'random': {
      // Half of them with a valid start (magic, version, this stash's ids), to reach the length and crc checks.
      const bytes = mutateBytes(random, blob, 'random', blob);
      const start = random.chance(0.5) ? headerStart(config) : new Uint8Array(0);
      return { source: '-', mutation, inner, bytes: close(Buffer.concat([start, bytes])), crcChecked };
    }
    case 'header':
      return { source: sample.label, mutation, inner, bytes: close(corruptHeader(random, blob)), original, crcChecked };
    case 'crc-recomputed':
      return {
        source: sample.label,
        mutation,
        inner,
        bytes: close(corruptBodyKeepingCrc(random, blob, open(other))),
        original,
        crcChecked,
      };
    case 'garbage-body':
      return { source: sample.label, mutation, inner, bytes: close(garbageBody(random, blob)), crcChecked };
    case 'recompressed': {
      const bytes = corruptSerialized(random, blob, getCodec(config.compress), open(other));
      return { source: sample.label, mutation, inner, bytes: close(bytes), original, crcChecked };
    }
    default: {
      const bytes = mutateBytes(random, blob, mutation, open(other));
      return {
        source: sample.label,
        mutation,
        inner,
        bytes: close(bytes),
        original,
        otherOriginal: { value: otherSample.original },
        crcChecked,
      };
    }
  }
}

/** Magic, version 1, and the stash's serializer and codec ids: the first five bytes of its blobs. */
function headerStart(config: Config): Uint8Array {
  return Uint8Array.from([0x48, 0x53, 1, getSerializer(config.serializer).id, getCodec(config.compress).id]);
}

/** How each serializer's output starts, so random bytes behind it get past the first check. */
function prefixOf(serializer: SerializerName): Uint8Array {
  if (serializer === 'v8') return Uint8Array.from([0xff, 0x0f]);
  return Buffer.from(serializer === 'devalue' ? '[' : '{"~":"hs1","v":');
}
