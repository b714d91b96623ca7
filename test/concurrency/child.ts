import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** Kills a child process that is still running and resolves once it is gone (for test teardowns). */
export function killAndWait(child: ChildProcess): Promise<unknown> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const gone = once(child, 'close');
  child.kill('SIGKILL');
  return gone;
}
