import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineStats } from '../engine.js';

/** Entry folders whose files are measured; the rest are taken to be like them. */
const SAMPLE = 256;

/**
 * `stats()` on pairtree. A pairtree keeps no counters (each entry is a folder of its own, written by many processes),
 * so the cheap answer is an estimate: the files of the first SAMPLE entry folders found are measured, and their mean
 * is multiplied by `entries` (which is `size()`, a walk of the folders). `bytesUsed`: the `value` and `key` files'
 * lengths; `bytesReserved`: their allocated blocks plus the entry folder's own. Exact up to SAMPLE entries.
 */
export function pairtreeStats(folders: Iterable<string>, entries: number): Partial<EngineStats> {
  let measured = 0;
  let used = 0;
  let reserved = 0;
  for (const folder of folders) {
    if (measured >= SAMPLE) break;
    for (const path of [folder, join(folder, 'value'), join(folder, 'key')]) {
      try {
        const stat = statSync(path);
        if (path !== folder) used += stat.size;
        reserved += stat.blocks ? stat.blocks * 512 : stat.size;
      } catch {
        // Deleted meanwhile, or a key file not written: counts as nothing.
      }
    }
    measured++;
  }
  if (measured === 0) return { bytesUsed: 0, bytesReserved: 0 };
  const scale = Math.max(entries, measured) / measured;
  return { bytesUsed: Math.round(used * scale), bytesReserved: Math.round(reserved * scale) };
}
