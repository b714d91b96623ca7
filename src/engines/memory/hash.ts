/** Slot hash values 0 and 1 mark empty and deleted slots, so real hashes are moved out of them. */
export const EMPTY = 0;
export const TOMBSTONE = 1;

/**
 * FNV-1a over the key bytes, seeded by the entry kind (a value, a version, a version counter) so one key's kinds
 * spread over different slots. Keys are short (the canonical key encoding), so a byte loop beats a native call.
 */
export function hashBytes(bytes: Uint8Array, kind: number): number {
  let h = (0x811c9dc5 ^ kind) | 0;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h === EMPTY || h === TOMBSTONE ? 2 : h;
}

/** Two independent 32-bit hashes of a stash path: together they name its table in the arena's directory. */
export function hashPath(path: string): [number, number] {
  const bytes = Buffer.from(path);
  return [hashBytes(bytes, 0x5bd1e995), hashBytes(bytes, 0x27d4eb2f)];
}
