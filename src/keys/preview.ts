import { encodeKey } from './encode.js';

/** A short printable form of a key for error messages. */
export function previewKey(key: unknown): string {
  let text: string;
  try {
    text = typeof key === 'string' ? JSON.stringify(key) : Buffer.from(encodeKey(key)).toString('utf8');
  } catch {
    text = Object.prototype.toString.call(key);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
