import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** `path` if it is an executable file, else undefined. */
export function executable(path: string | undefined): string | undefined {
  if (!path) return undefined;
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    return undefined;
  }
}

/** The first executable called `name` on PATH, then in `extraDirs`. */
export function findOnPath(name: string, extraDirs: readonly string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...extraDirs];
  for (const dir of dirs) {
    const found = executable(join(dir, name));
    if (found) return found;
  }
  return undefined;
}
