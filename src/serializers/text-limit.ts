import { Buffer, constants } from 'node:buffer';
import { SerializationError } from '../errors.js';

/**
 * The most UTF-8 bytes the text serializers (hashstash, devalue, keys) can read back: V8's longest string. Node refuses
 * to decode more bytes than that into one string even when the text would be shorter (multi-byte characters), so
 * longer text is refused when written, and longer input is corrupt when read.
 */
export const MAX_TEXT_BYTES = constants.MAX_STRING_LENGTH;

export const TEXT_TOO_LONG =
  `the serialized text passes V8's longest string (${MAX_TEXT_BYTES} characters); ` +
  'store the value in parts, or use the v8 serializer';

/**
 * The errors V8 (`RangeError: Invalid string length`) and Node (`ERR_STRING_TOO_LONG`) throw for a string past the limit.
 * No regular expression: this runs in catch blocks while a stack overflow unwinds, where matching one overflows again.
 */
export function isStringTooLong(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (
    (error as NodeJS.ErrnoException).code === 'ERR_STRING_TOO_LONG' ||
    (error instanceof RangeError && error.message === 'Invalid string length')
  );
}

export function textTooLong(cause: unknown, path = '$'): SerializationError {
  return new SerializationError(TEXT_TOO_LONG, path, { cause });
}

/** Throws SerializationError when the UTF-8 of `text` would be more than a reader can take back. */
export function assertReadableText(text: string): void {
  // A UTF-16 unit is at most 3 UTF-8 bytes: only text longer than a third of the limit needs measuring.
  if (text.length <= MAX_TEXT_BYTES / 3) return;
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_TEXT_BYTES) {
    throw new SerializationError(
      `the serialized text is ${bytes} bytes of UTF-8, more than the ${MAX_TEXT_BYTES} Node can read back into a string; ` +
        'store the value in parts, or use the v8 serializer',
      '$',
    );
  }
}
