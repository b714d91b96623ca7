import type { Database } from './driver.js';
import { allocatedBytes } from '../lmdb/stats.js';
import type { EngineStats } from '../engine.js';

/**
 * `stats()` on sqlite, from three pragmas (no scan): `bytesUsed` is the database's pages less its free pages, times the
 * page size (rows, their index, and the versions table in append mode), as this connection sees it, WAL included;
 * `bytesReserved` the disk space of the database file with its `-wal` and `-shm` files. `entries` is left to
 * `size()`. A stash not written yet takes nothing.
 */
export function sqliteStats(db: Database | undefined, file: string): Partial<EngineStats> {
  if (!db) return { bytesUsed: 0, bytesReserved: 0 };
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const pages = db.pragma('page_count', { simple: true }) as number;
  const free = db.pragma('freelist_count', { simple: true }) as number;
  const reserved = allocatedBytes(file) + allocatedBytes(`${file}-wal`) + allocatedBytes(`${file}-shm`);
  return { bytesUsed: (pages - free) * pageSize, bytesReserved: reserved };
}
