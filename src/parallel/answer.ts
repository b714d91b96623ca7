import type { AnyFunction, UncheckedFunction } from '../any-function.js';
import { getSerializer } from '../serializers/index.js';
import { loadFunction } from './function-ref.js';
import { errorInfo, type TaskMessage, type WorkerMessage, type WorkerSetup } from './messages.js';

/**
 * What every worker, thread or child process, does with its tasks: loads the function once (posting 'load-error' and
 * returning undefined when it cannot), then answers each task with the call's result or error, as serialized bytes.
 * How messages travel is the caller's.
 */
export async function taskAnswerer(
  setup: WorkerSetup,
  post: (message: WorkerMessage) => void,
): Promise<((task: TaskMessage) => Promise<void>) | undefined> {
  const serializer = getSerializer(setup.serializer);
  let fn: AnyFunction;
  try {
    fn = await loadFunction(setup.fn);
  } catch (error) {
    post({ type: 'load-error', error: errorInfo(error) });
    return undefined;
  }
  const call = fn as UncheckedFunction;
  return async ({ id, args }) => {
    try {
      const callArgs = serializer.deserialize(args, { trustCode: setup.trustCode }) as unknown[];
      const value = await call(...callArgs);
      post({ type: 'result', id, value: serializer.serialize(value) });
    } catch (error) {
      post({ type: 'error', id, error: errorInfo(error) });
    }
  };
}

/**
 * Throws `error` outside any promise: a task's listener has no one to reject to, so when even posting its error
 * fails, the failure ends the worker as an uncaught error (which the pool reports as a crash) instead of becoming an
 * unhandled rejection.
 */
export function throwOutside(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}
