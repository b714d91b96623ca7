import { accessSync, constants } from 'node:fs';
import { dirname } from 'node:path';

/**
 * True when `path`, or its nearest existing ancestor, sits on storage the process may not write (a read-only mount,
 * or no permission). Engines ask after a failure, to tell "read-only" from other errors whose codes do not say so
 * (a recursive mkdir on a read-only mount reports ENOENT, SQLite reports CANTOPEN).
 */
export function onReadOnlyFileSystem(path: string): boolean {
  for (let current = path; ; current = dirname(current)) {
    try {
      accessSync(current, constants.W_OK);
      return false;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') return true;
      if (code !== 'ENOENT' || dirname(current) === current) return false;
    }
  }
}
