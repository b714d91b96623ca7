import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly ramGiB: number;
  readonly node: string;
  readonly v8: string;
  readonly platform: string;
  readonly loadAverage: readonly number[];
  readonly tmpdir: string;
  /** The file system os.tmpdir() is on, as /proc/mounts names it; the stash suite writes there. */
  readonly tmpFileSystem: string | undefined;
}

/** The longest mount point that contains `path`, and its type (Linux only). */
function fileSystemOf(path: string): string | undefined {
  try {
    let best: { mount: string; type: string } | undefined;
    for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const [, mount, type] = line.split(' ');
      if (!mount || !type) continue;
      const inside = path === mount || path.startsWith(mount.endsWith('/') ? mount : `${mount}/`);
      if (inside && (!best || mount.length > best.mount.length)) best = { mount, type };
    }
    return best && `${best.type} on ${best.mount}`;
  } catch {
    return undefined;
  }
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    ramGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadAverage: os.loadavg().map((load) => Math.round(load * 100) / 100),
    tmpdir: os.tmpdir(),
    tmpFileSystem: fileSystemOf(os.tmpdir()),
  };
}
