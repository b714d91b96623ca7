import { encodeKey } from './encode.js';

const MAX_PREVIEW = 80;
const shorten = (text: string) => (text.length > MAX_PREVIEW ? `${text.slice(0, MAX_PREVIEW - 3)}...` : text);

/** A short printable form of a key for error messages. */
export function previewKey(key: unknown): string {
  let text: string;
  try {
    text = typeof key === 'string' ? JSON.stringify(key) : Buffer.from(encodeKey(key)).toString('utf8');
  } catch {
    text = Object.prototype.toString.call(key);
  }
  return shorten(text);
}

/** The same for a key as stored, without decoding it: its canonical text, which `previewKey` gives too. */
export function previewRawKey(rawKey: Uint8Array): string {
  return shorten(Buffer.from(rawKey.buffer, rawKey.byteOffset, rawKey.byteLength).toString('utf8'));
}
