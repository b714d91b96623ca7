/** Append mode stores version n of a key as an entry of kind VERSION under the key followed by n (uint32, big-endian). */
const VERSION_SUFFIX = 4;

export function versionKey(key: Uint8Array, version: number): Uint8Array {
  const out = Buffer.allocUnsafe(key.length + VERSION_SUFFIX);
  out.set(key, 0);
  out.writeUInt32BE(version, key.length);
  return out;
}
