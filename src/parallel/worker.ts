// The entry of every stash.map worker thread; compiled to dist/src/parallel/worker.js, so no TypeScript loader is needed.
import { parentPort, workerData } from 'node:worker_threads';
import type { AnyFunction, UncheckedFunction } from '../any-function.js';
import { getSerializer } from '../serializers/index.js';
import { loadFunction } from './function-ref.js';
import { errorInfo, type CloseMessage, type TaskMessage, type WorkerMessage, type WorkerSetup } from './messages.js';

const port = parentPort!;
const setup = workerData as WorkerSetup;
const serializer = getSerializer(setup.serializer);
const post = (message: WorkerMessage) => port.postMessage(message);

let fn: AnyFunction | undefined;
try {
  fn = await loadFunction(setup.fn);
} catch (error) {
  post({ type: 'load-error', error: errorInfo(error) });
}

if (fn) {
  const call = fn as UncheckedFunction;
  const answer = async ({ id, args }: TaskMessage): Promise<void> => {
    try {
      const callArgs = serializer.deserialize(args, { trustCode: setup.trustCode }) as unknown[];
      const value = await call(...callArgs);
      post({ type: 'result', id, value: serializer.serialize(value) });
    } catch (error) {
      post({ type: 'error', id, error: errorInfo(error) });
    }
  };
  // The listener's promise has no one to reject to: when even posting the error fails, that failure goes to the
  // worker's 'error' event (which the pool reports as a crash) instead of becoming an unhandled rejection.
  port.on('message', (task: TaskMessage | CloseMessage) => {
    // Exits between tasks, from JavaScript: never inside a native call a terminate could cut (see WorkerPool.terminate).
    if ('close' in task) process.exit(0);
    answer(task).catch((error: unknown) => {
      queueMicrotask(() => {
        throw error;
      });
    });
  });
}
