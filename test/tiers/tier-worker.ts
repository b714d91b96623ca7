/**
 * A worker thread for the tier tests: opens the stash its parent describes (same root, name and tiers), reads the
 * keys 0..count-1, checks each value, closes the stash, and only then posts its own stash object's tier stats back,
 * so the thread ends by itself: terminating a thread while it closes an lmdb change-feed watcher (a synchronous write
 * transaction) deadlocks lmdb-js's stray-transaction cleanup on the lock the thread holds.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { HashStash, type HashStashOptions } from '../../src/index.js';

const { options, count } = workerData as { options: HashStashOptions; count: number };
const stash = new HashStash<number, { i: number }>(options);
let wrong = 0;
for (let i = 0; i < count; i++) if ((await stash.get(i))?.i !== i) wrong++;
const { tiers } = await stash.stats();
await stash.close();
parentPort!.postMessage({ wrong, tiers });
