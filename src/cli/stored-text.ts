import type { HashStash } from '../stash.js';
import { blobFormat } from '../stash-format.js';
import { utf8Text } from '../serializers/utf8-json.js';
import { hs1Text } from './export-lines.js';

const QUOTE = 0x22;

/** The hs1 texts (export-lines.ts) of a stash's stored keys and blobs. */
export interface StoredText {
  key(rawKey: Uint8Array): string;
  value(blob: Uint8Array): string;
}

/**
 * Reads the hs1 text straight from the bytes where they already hold it, instead of decoding a value and encoding it
 * again (two thirds of an export's time): a string key's canonical bytes are its JSON text, which is its hs1 text;
 * the hashstash serializer's blob body is the value's hs1 text. Other keys and serializers take the long way.
 */
export function storedText(stash: HashStash<unknown, unknown>): StoredText {
  const format = stash.options.serializer === 'hashstash' ? blobFormat(stash.options) : undefined;
  return {
    key: (rawKey) =>
      rawKey[0] === QUOTE ? utf8Text(rawKey, 0, rawKey.length, 'hashstash key') : hs1Text(stash.decodeKey(rawKey)),
    value: format ? (blob) => format.unpackText(blob) : (blob) => hs1Text(stash.decodeValue(blob)),
  };
}
