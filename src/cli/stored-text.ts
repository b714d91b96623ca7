import { Buffer } from 'node:buffer';
import type { HashStash } from '../stash.js';
import { blobFormat } from '../stash-format.js';
import { hs1Text } from './export-lines.js';
import type { Output } from './output.js';

const QUOTE = 0x22;

/** The hs1 encoding (export-lines.ts) of a stash's stored keys and blobs, as text or written straight to an output. */
export interface StoredText {
  writeKey(out: Output, rawKey: Uint8Array): void;
  writeValue(out: Output, blob: Uint8Array): void;
  key(rawKey: Uint8Array): string;
  value(blob: Uint8Array): string;
}

const text = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');

/**
 * Takes the hs1 encoding from the bytes where they already hold it, instead of decoding a value and encoding it again
 * (two thirds of an export's time, and most of what it allocates): a string key's canonical bytes are its JSON text,
 * which is its hs1 text; the hashstash serializer's blob body is the value's hs1 text. Other keys and serializers
 * take the long way.
 */
export function storedText(stash: HashStash<unknown, unknown>): StoredText {
  const format = stash.options.serializer === 'hashstash' ? blobFormat(stash.options) : undefined;
  const keyText = (rawKey: Uint8Array) => hs1Text(stash.decodeKey(rawKey));
  const valueText = (blob: Uint8Array) => hs1Text(stash.decodeValue(blob));
  return {
    writeKey: (out, rawKey) => (rawKey[0] === QUOTE ? out.bytes(rawKey) : out.text(keyText(rawKey))),
    writeValue: format
      ? (out, blob) => out.bytes(format.unpackSerialized(blob))
      : (out, blob) => out.text(valueText(blob)),
    key: (rawKey) => (rawKey[0] === QUOTE ? text(rawKey) : keyText(rawKey)),
    value: format ? (blob) => text(format.unpackSerialized(blob)) : valueText,
  };
}
