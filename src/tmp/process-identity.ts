import { readFileSync } from 'node:fs';
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

let own: ProcessIdentity | undefined;

export function currentProcess(): ProcessIdentity {
  own ??= { pid: process.pid, hostname: hostname(), startTime: processStartTime(process.pid) };
  return own;
}

/**
 * True when the process is known to have ended: it ran on this host and its pid is gone, or the pid now belongs to
 * a process that started at another time. A process on another host is never taken for gone (it cannot be checked
 * from here), and without /proc a reused pid is taken for the old process: its temporary stashes wait for the
 * next sweep after that one ends.
 */
export function isGone(identity: ProcessIdentity): boolean {
  if (identity.hostname !== currentProcess().hostname) return false;
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
