import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

/** Who created a temporary stash: enough to tell later whether that process is still running. */
export interface ProcessIdentity {
  readonly pid: number;
  readonly hostname: string;
  /**
   * When the process started, in clock ticks since boot (field 22 of /proc/<pid>/stat), so a new process that
   * was given the same pid is not taken for the old one. Null where /proc is not there (not Linux).
   */
  readonly startTime: string | null;
  /**
   * The kernel's boot id and the process's pid namespace (Linux), so that a container sharing the root's volume and
   * this host name, but not this boot or these pids, never judges another's processes. Null where they cannot be read.
   */
  readonly bootId?: string | null;
  readonly pidNamespace?: string | null;
}

/** The start time of process `pid`, or null when it cannot be read (no such process, or no /proc). */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) is in parentheses and may itself hold spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null; // field 22; the slice starts at field 3
  } catch {
    return null;
  }
}

function readOrNull(read: () => string): string | null {
  try {
    return read().trim() || null;
  } catch {
    return null;
  }
}

let own: ProcessIdentity | undefined;

export function currentProcess(): ProcessIdentity {
  own ??= {
    pid: process.pid,
    hostname: hostname(),
    startTime: processStartTime(process.pid),
    bootId: readOrNull(() => readFileSync('/proc/sys/kernel/random/boot_id', 'latin1')),
    pidNamespace: readOrNull(() => readlinkSync('/proc/self/ns/pid')),
  };
  return own;
}

/** Both sides read the same value, or neither could read it (no /proc on either: nothing to tell them apart). */
const sameOrBothUnknown = (theirs: string | null | undefined, ours: string | null | undefined) =>
  (theirs ?? null) === (ours ?? null);

/**
 * True when the process is known to have ended: it ran on this host, in this boot and pid namespace, and its pid is
 * gone, or the pid now belongs to a process that started at another time. A process that cannot be checked from here
 * is never taken for gone: on another host, in another boot or pid namespace (another container with this host
 * name), or where one side could read those and the other could not. Without /proc a reused pid is taken for the old
 * process: its temporary stashes wait for the next sweep after that one ends.
 */
export function isGone(identity: ProcessIdentity): boolean {
  const me = currentProcess();
  if (identity.hostname !== me.hostname) return false;
  if (!sameOrBothUnknown(identity.bootId, me.bootId) || !sameOrBothUnknown(identity.pidNamespace, me.pidNamespace))
    return false;
  try {
    process.kill(identity.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return true;
    // EPERM: alive, owned by another user; fall through to the start-time check.
  }
  if (identity.startTime === null) return false;
  const now = processStartTime(identity.pid);
  return now !== null && now !== identity.startTime;
}
