import { ConfigError, DecodeError } from '../errors.js';
import type { CompressName } from '../options.js';
import { base64Codec } from './base64.js';
import { brotliCodec } from './brotli.js';
import type { Codec } from './codec.js';
import { gzipCodec } from './gzip.js';
import { lz4Codec } from './lz4.js';
import { rawCodec } from './raw.js';
import { zlibCodec } from './zlib.js';

export type { Codec } from './codec.js';
export { base64Codec };

const compressionCodecs: readonly Codec[] = [lz4Codec, zlibCodec, gzipCodec, brotliCodec, rawCodec];

/** The names the `compress` option accepts. base64 is not among them: it is the separate `b64` switch. */
export const codecNames: readonly CompressName[] = Object.freeze(
  compressionCodecs.map((codec) => codec.name as CompressName),
);

const byName = new Map<string, Codec>(compressionCodecs.map((codec) => [codec.name, codec]));
const byId = new Map<number, Codec>([...compressionCodecs, base64Codec].map((codec) => [codec.id, codec]));

/** The compression codec called `name`; ConfigError for any other name. */
export function getCodec(name: string): Codec {
  const codec = byName.get(name);
  if (codec === undefined) {
    throw new ConfigError(`Unknown codec ${JSON.stringify(name)}; valid codecs are ${codecNames.join(', ')}`);
  }
  return codec;
}

/** The codec (compression or base64) a blob header names by its id byte; DecodeError for an id no codec has. */
export function codecById(id: number): Codec {
  const codec = byId.get(id);
  if (codec === undefined) {
    throw new DecodeError(`Unknown codec id 0x${id.toString(16).padStart(2, '0')} in stored data`);
  }
  return codec;
}

/** How `encode` transforms bytes and `decode` reads them back: the stash options of the same names. */
export interface EncodeOptions {
  /** Compression codec; `false` means `'raw'`. Default `'lz4'`. */
  compress?: CompressName | false;
  /** base64 after compression. Default false. */
  b64?: boolean;
}

/** Compress `bytes`, then base64 them when `b64` is on. */
export function encode(bytes: Uint8Array, { compress = 'lz4', b64 = false }: EncodeOptions = {}): Uint8Array {
  assertBytes(bytes, 'encode');
  const compressed = getCodec(compress === false ? 'raw' : compress).encode(bytes);
  return b64 ? base64Codec.encode(compressed) : compressed;
}

/** The inverse of `encode` with the same options; DecodeError when `stored` is not such output. */
export function decode(stored: Uint8Array, { compress = 'lz4', b64 = false }: EncodeOptions = {}): Uint8Array {
  assertBytes(stored, 'decode');
  const codec = getCodec(compress === false ? 'raw' : compress);
  return codec.decode(b64 ? base64Codec.decode(stored) : stored);
}

function assertBytes(bytes: unknown, caller: string): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array)) {
    throw new ConfigError(`${caller}() takes a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  }
}
