import { SerializationError } from '../errors.js';
import { lazy } from '../lazy.js';

/**
 * How a stash turns keys into the bytes it stores: `'canonical'` (any value, structurally compared: the default),
 * `'utf8'` (string keys, stored as their UTF-8 bytes) or `'binary'` (Uint8Array keys, stored as they are). The last two
 * store keys byte for byte, so other programs read them and key order is byte order.
 */
export type KeyEncoding = 'canonical' | 'utf8' | 'binary';

export const KEY_ENCODINGS: readonly KeyEncoding[] = ['canonical', 'utf8', 'binary'];

/** A stash's keys to bytes and back. */
export interface KeyCodec {
  encode(key: unknown): Uint8Array;
  decode(rawKey: Uint8Array): unknown;
}

const canonicalKeys = lazy<typeof import('./encode.js')>(import.meta.url, './encode.js');

const kindOf = (key: unknown) => (key === null ? 'null' : key instanceof Uint8Array ? 'a Uint8Array' : typeof key);

function refuse(encoding: KeyEncoding, wanted: string, key: unknown): never {
  throw new SerializationError(
    `a stash with keyEncoding '${encoding}' takes ${wanted} keys, got ${kindOf(key)} (keyEncoding 'canonical' takes any)`,
    '$',
  );
}

const utf8: KeyCodec = {
  encode(key) {
    if (typeof key !== 'string' || key === '') refuse('utf8', 'non-empty string', key);
    return Buffer.from(key, 'utf8');
  },
  decode: (rawKey) => Buffer.from(rawKey.buffer, rawKey.byteOffset, rawKey.byteLength).toString('utf8'),
};

const binary: KeyCodec = {
  encode(key) {
    if (!(key instanceof Uint8Array) || key.length === 0) refuse('binary', 'non-empty Uint8Array', key);
    return key;
  },
  // A copy: engines may hand out views of memory they reuse.
  decode: (rawKey) => Uint8Array.prototype.slice.call(rawKey),
};

/** The codec of `encoding`; canonical keys revive stored functions only with `trustCode`. */
export function keyCodec(encoding: KeyEncoding, trustCode: boolean): KeyCodec {
  if (encoding === 'utf8') return utf8;
  if (encoding === 'binary') return binary;
  return {
    encode: (key) => canonicalKeys().encodeKey(key),
    decode: (rawKey) => canonicalKeys().decodeKey(rawKey, { trustCode }),
  };
}
