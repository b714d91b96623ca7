import { Worker } from 'node:worker_threads';

/**
 * Keeps one core busy while a round-trip-bound case runs, so that the measurement is of the clients and the server,
 * not of the hypervisor. On this VM a vCPU that has nothing to do halts, and waking it for the reply of a loopback
 * round trip costs about 100 µs, five times the round trip itself (measured: ioredis GET 110-150 µs idle, 17-20 µs with
 * one spinning thread; node-redis the same). Which client happens to run while something else keeps a core awake then
 * decides the ratio, so sequential server figures swung by 3x from run to run. Every subject of a case kind runs under
 * the same condition: the spinner is on for every server store, library and peer alike.
 */
const SPIN_SOURCE = `
const { workerData } = require('node:worker_threads');
const flag = new Int32Array(workerData);
while (Atomics.load(flag, 0) === 0) {}
`;

export interface KeepAwake {
  stop(): Promise<void>;
}

export async function keepAwake(): Promise<KeepAwake> {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(SPIN_SOURCE, { eval: true, workerData: flag.buffer });
  await new Promise<void>((resolve, reject) => {
    worker.once('online', resolve);
    worker.once('error', reject);
  });
  return {
    async stop() {
      Atomics.store(flag, 0, 1);
      await new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    },
  };
}
