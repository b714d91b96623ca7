import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface DiskUsage {
  /** Blocks allocated (st_blocks × 512) to every file and folder under the path, the path itself included. */
  readonly allocatedBytes: number;
  /** The sum of the files' sizes (st_size). */
  readonly apparentBytes: number;
  readonly files: number;
  readonly folders: number;
}

/** Walks a folder without following symlinks. */
export function diskUsage(path: string): DiskUsage {
  let allocatedBytes = 0;
  let apparentBytes = 0;
  let files = 0;
  let folders = 0;
  const pending = [path];
  while (pending.length > 0) {
    const current = pending.pop()!;
    const stats = lstatSync(current);
    allocatedBytes += stats.blocks * 512;
    if (stats.isDirectory()) {
      folders++;
      for (const name of readdirSync(current)) pending.push(join(current, name));
    } else {
      files++;
      apparentBytes += stats.size;
    }
  }
  return { allocatedBytes, apparentBytes, files, folders };
}
