// The entry of every stash.map worker thread; compiled to dist/src/parallel/worker.js, so no TypeScript loader is needed.
import { parentPort, workerData } from 'node:worker_threads';
import { taskAnswerer, throwOutside } from './answer.js';
import type { StopMessage, TaskMessage, WorkerMessage, WorkerSetup } from './messages.js';

const port = parentPort!;
const answer = await taskAnswerer(workerData as WorkerSetup, (message: WorkerMessage) => port.postMessage(message));
if (answer)
  port.on('message', (task: TaskMessage | StopMessage) => {
    // Exits between tasks, from JavaScript: never inside a native call a terminate could cut (see WorkerPool).
    if ('stop' in task) process.exit(0);
    void answer(task).catch(throwOutside);
  });
