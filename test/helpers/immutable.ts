import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `chattr +i` makes a file or folder immutable even for root, standing in for a read-only location. */
export function immutable(path: string, on: boolean): void {
  execFileSync('chattr', [on ? '+i' : '-i', path], { stdio: 'ignore' });
}

/** Why the read-only tests cannot run here (chattr needs root and a file system that supports it), or false. */
export function chattrUnsupported(): string | false {
  const probe = join(tmpdir(), `hashstash-chattr-probe-${process.pid}`);
  writeFileSync(probe, '');
  try {
    immutable(probe, true);
    immutable(probe, false);
    return false;
  } catch {
    return 'chattr +i is not available here (needs root on ext4 or similar)';
  } finally {
    rmSync(probe, { force: true });
  }
}
