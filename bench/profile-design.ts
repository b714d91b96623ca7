import {
  COMPRESS_NAMES,
  DEFAULTS,
  ENGINE_NAMES,
  SERIALIZER_NAMES,
  type CompressName,
  type EngineName,
  type SerializerName,
} from '../src/options.js';

/** One engine × serializer × codec combination, named like the stash's settings folder: `lmdb.hashstash.lz4+b64`. */
export interface Profile {
  readonly name: string;
  readonly engine: EngineName;
  readonly serializer: SerializerName;
  readonly compress: CompressName;
  readonly b64: boolean;
}

export function profile(engine: EngineName, serializer: SerializerName, compress: CompressName, b64: boolean): Profile {
  return { name: `${engine}.${serializer}.${compress}${b64 ? '+b64' : ''}`, engine, serializer, compress, b64 };
}

/** The engine the serializer and codec sweeps run on: the default, and the fastest local one. */
export const SWEEP_ENGINE: EngineName = 'lmdb';

const B64 = [false, true] as const;

/** Every combination: 6 engines × 3 serializers × 5 codecs × ±base64 = 180. */
export function fullGrid(): Profile[] {
  return ENGINE_NAMES.flatMap((engine) =>
    SERIALIZER_NAMES.flatMap((serializer) =>
      COMPRESS_NAMES.flatMap((compress) => B64.map((b64) => profile(engine, serializer, compress, b64))),
    ),
  );
}

/**
 * Each engine with the default serializer and codec, then on SWEEP_ENGINE every serializer (default codec) and every
 * codec ± base64 (default serializer): 6 + 2 + 9 = 17 combinations, each varying one thing from the defaults.
 */
export function sweeps(): Profile[] {
  const { serializer, compress, b64 } = DEFAULTS;
  const all = [
    ...ENGINE_NAMES.map((engine) => profile(engine, serializer, compress, b64)),
    ...SERIALIZER_NAMES.map((name) => profile(SWEEP_ENGINE, name, compress, b64)),
    ...COMPRESS_NAMES.flatMap((name) => B64.map((withB64) => profile(SWEEP_ENGINE, serializer, name, withB64))),
  ];
  return [...new Map(all.map((p) => [p.name, p])).values()];
}

export function isDefaultProfile(p: Profile): boolean {
  return p.serializer === DEFAULTS.serializer && p.compress === DEFAULTS.compress && p.b64 === DEFAULTS.b64;
}
