// The entry of every stash.load worker thread; compiled to dist/src/load/worker.js.
import { parentPort, workerData } from 'node:worker_threads';
import { errorInfo } from '../parallel/messages.js';
import { ChunkEncoder } from './encode-chunk.js';
import type { LoadSetup, LoadTaskMessage, LoadWorkerMessage } from './messages.js';

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
  port.on('message', (message: LoadTaskMessage) => {
    if ('recycle' in message) {
      ready.pool.give(message.recycle);
      return;
    }
    const result = ready.encode(message);
    const input = message.bytes.buffer as ArrayBuffer;
    const transfer = [input];
    if ('buffer' in result) transfer.push(result.buffer.buffer as ArrayBuffer, result.ends.buffer as ArrayBuffer);
    post({ type: 'chunk', result, input }, transfer);
  });
}
