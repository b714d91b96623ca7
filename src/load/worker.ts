// The entry of every stash.load worker thread; compiled to dist/src/load/worker.js.
import { parentPort, workerData } from 'node:worker_threads';
import { errorInfo } from '../parallel/messages.js';
import { ChunkEncoder } from './encode-chunk.js';
import type { ChunkTask, LoadSetup, LoadWorkerMessage } from './messages.js';

const port = parentPort!;
const post = (message: LoadWorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

let encoder: ChunkEncoder | undefined;
try {
  encoder = await ChunkEncoder.create(workerData as LoadSetup);
} catch (error) {
  post({ type: 'load-error', error: errorInfo(error) });
}

if (encoder) {
  const ready = encoder;
  port.on('message', (task: ChunkTask) => {
    const result = ready.encode(task);
    post(
      { type: 'chunk', result },
      'buffer' in result ? [result.buffer.buffer as ArrayBuffer, result.ends.buffer as ArrayBuffer] : [],
    );
  });
}
