import { DecodeError } from '../../errors.js';
import { previewRawKey } from '../../keys/preview.js';

/**
 * Rows as hashstash writes them hold a BLOB key and a BLOB value. Another program can put any SQLite type in either
 * column (a BLOB column stores what it is given), and better-sqlite3 reads TEXT as a string and numbers as numbers:
 * every read path checks what it hands on, so such a row is a DecodeError naming its key, not a TypeError later.
 */

function typeName(value: unknown): string {
  if (typeof value === 'string') return 'TEXT';
  if (typeof value === 'number' || typeof value === 'bigint') return 'a number';
  if (value === null) return 'NULL';
  return typeof value;
}

function preview(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** A key read from the `entries` table. */
export function storedKey(key: unknown, file: string): Uint8Array {
  if (key instanceof Uint8Array) return key;
  throw new DecodeError(
    `sqlite: ${file} holds a row whose key is ${typeName(key)} (${preview(key)}), not the BLOB hashstash writes: ` +
      'another program wrote it',
  );
}

/** A value read for `key`. */
export function storedValue(value: unknown, key: Uint8Array, file: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  throw new DecodeError(
    `sqlite: the value of key ${previewRawKey(key)} in ${file} is ${typeName(value)}, not the BLOB hashstash writes: ` +
      'another program wrote it',
  );
}
