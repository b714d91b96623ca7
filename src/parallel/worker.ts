// The entry of every stash.map worker thread; compiled to dist/src/parallel/worker.js, so no TypeScript loader is needed.
import { parentPort, workerData } from 'node:worker_threads';
import { taskAnswerer, throwOutside } from './answer.js';
import type { TaskMessage, WorkerMessage, WorkerSetup } from './messages.js';

const port = parentPort!;
const answer = await taskAnswerer(workerData as WorkerSetup, (message: WorkerMessage) => port.postMessage(message));
if (answer) port.on('message', (task: TaskMessage) => void answer(task).catch(throwOutside));
