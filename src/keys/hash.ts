import { hash } from 'node:crypto';

/**
 * A fixed-length name for a key, for engines that need one (pairtree folders, long lmdb keys).
 * sha256 is as fast as md5 here (hardware SHA) and makes an accidental collision unthinkable.
 */
export function hashKey(keyBytes: Uint8Array): string {
  return hash('sha256', keyBytes, 'hex');
}
