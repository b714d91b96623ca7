import { statSync } from 'node:fs';
import type { Database } from 'lmdb';
import type { EngineStats } from '../engine.js';

interface DbStats {
  pageSize: number;
  treeBranchPageCount: number;
  treeLeafPageCount: number;
  overflowPages: number;
}

/**
 * `stats()` on lmdb, from LMDB's own counters (mdb_stat, no scan): `bytesUsed` is the pages of the stash's B-tree
 * (branch, leaf and overflow pages, times the page size; versions in append mode included), `bytesReserved` the disk
 * space the data file takes (its allocated blocks: LMDB grows the file as it needs pages, and keeps freed pages for
 * reuse). `entries` is left to `size()`. A stash not written yet takes nothing.
 */
export function lmdbStats(db: Database<Buffer, Buffer> | undefined, file: string): Partial<EngineStats> {
  if (!db) return { bytesUsed: 0, bytesReserved: 0 };
  const stats = db.getStats() as DbStats;
  const pages = stats.treeBranchPageCount + stats.treeLeafPageCount + stats.overflowPages;
  return { bytesUsed: pages * stats.pageSize, bytesReserved: allocatedBytes(file) };
}

/** The bytes a file takes on disk (its blocks; its length where the file system reports no blocks); 0 when absent. */
export function allocatedBytes(file: string): number {
  try {
    const stat = statSync(file);
    return stat.blocks ? stat.blocks * 512 : stat.size;
  } catch {
    return 0;
  }
}
