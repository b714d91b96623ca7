/** A key's bytes as a string of the same length (one char per byte), for a Map key; `Buffer.from(text, 'latin1')` undoes it. */
export const keyText = (key: Uint8Array): string =>
  Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
