import { CRASH_TEXT, MapItemError, UntrustedCodeError, WorkerCrashError } from '../parallel/errors.js';
import type { RemoteFailure } from './failure.js';

/** The item whose job failed: its function's name, its arguments as shown and as given, the queue's attempts. */
export interface FailedItem {
  readonly fn: string;
  readonly shown: string;
  readonly index: number;
  readonly args: readonly unknown[];
  readonly attempts: number;
}

/** A failed job's end as the local map's typed error of its item. */
export function queueItemError(failure: Exclude<RemoteFailure, { kind: 'load' }>, item: FailedItem): MapItemError {
  const { fn, shown, index, args, attempts } = item;
  const tries = attempts > 1 ? ` (${attempts} attempts)` : '';
  switch (failure.kind) {
    case 'threw': {
      const cause = new Error(failure.message);
      cause.name = failure.name;
      return new MapItemError(
        `${fn}(${shown}) threw ${failure.name} on a queue worker${tries}: ${failure.message}`,
        index,
        args,
        { cause },
      );
    }
    case 'crash':
      return new WorkerCrashError(
        `the queue worker running ${fn}(${shown}) ${CRASH_TEXT[failure.reason]}${tries}: ${failure.message}`,
        index,
        args,
        failure.reason,
        failure.exitCode,
      );
    case 'untrusted':
      return new UntrustedCodeError(failure.message, index, args);
    default:
      return new MapItemError(`${fn}(${shown}) failed on the queue${tries}: ${failure.message}`, index, args);
  }
}
