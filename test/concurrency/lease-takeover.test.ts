/**
 * A lease holder killed while it holds the lease (SIGKILL of a child process; for the memory engine, which is shared
 * across threads only, the termination of a worker thread) is taken over once its ttl has run out, and never earlier.
 * Real clocks and a short ttl. The holder stops renewing and reports its record's expiry before it is killed; the
 * "never earlier" check compares that with the time the taker stamped its own record just before the compare-and-set
 * that stored it, so a busy machine can only make the takeover later, never earlier.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { HashStash, type EngineName } from '../../src/index.js';
import { serverSkip, serverUrl } from '../helpers/servers.js';
import { killAndWait } from './child.js';
import type { ChildMessage, LeaseJob } from './coordination-child.js';

const childScript = fileURLToPath(new URL('./coordination-child.js', import.meta.url));
const TTL_MS = 1_500;
/** How late the takeover may come after the expiry on a busy machine: the waiter polls at most 250 ms apart. */
const LATE_LIMIT_MS = 10_000;

interface Holder {
  next(): Promise<ChildMessage>;
  send(line: string): void;
  kill(): Promise<unknown>;
}

function holder(job: LeaseJob): Holder {
  const inbox: ChildMessage[] = [];
  const waiting: ((message: ChildMessage) => void)[] = [];
  const push = (message: ChildMessage) => {
    const taker = waiting.shift();
    if (taker) taker(message);
    else inbox.push(message);
  };
  const next = () =>
    new Promise<ChildMessage>((resolve) => {
      const message = inbox.shift();
      if (message) resolve(message);
      else waiting.push(resolve);
    });
  if (job.engine === 'memory') {
    const worker = new Worker(new URL('./coordination-child.js', import.meta.url), { workerData: job });
    worker.on('message', push);
    worker.on('error', (error) => push({ error: error.stack ?? String(error) }));
    return { next, send: (line) => worker.postMessage(line), kill: () => worker.terminate() };
  }
  const child = spawn(process.execPath, [childScript, JSON.stringify(job)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  createInterface({ input: child.stdout }).on('line', (line) => push(JSON.parse(line) as ChildMessage));
  child.on('close', (code, signal) => push({ error: `holder ended (code ${code}, signal ${signal}): ${stderr}` }));
  return { next, send: (line) => child.stdin.write(`${line}\n`), kill: () => killAndWait(child) };
}

const ENGINES: readonly EngineName[] = ['lmdb', 'pairtree', 'sqlite', 'redis', 'mongo', 'memory'];

for (const engine of ENGINES) {
  const kind = engine === 'redis' || engine === 'mongo' ? engine : undefined;
  const skip = kind ? serverSkip(kind) : false;
  const killed = engine === 'memory' ? 'a terminated worker thread' : 'a SIGKILLed process';
  t.test(`${engine}: a lease held by ${killed} is taken over after its ttl, never earlier`, { skip }, async (t) => {
    t.setTimeout(120_000);
    let held: Holder | undefined;
    let stash: HashStash | undefined;
    t.teardown(async () => {
      await held?.kill();
      await stash?.close();
    });
    const root = t.testdir();
    const url = kind ? serverUrl(kind) : undefined;
    stash = new HashStash({ root, engine, url });
    await stash.has('open');
    const name = `job-${engine}`;
    held = holder({ kind: 'lease', root, engine, url, name, ttl: TTL_MS });

    const first = await held.next();
    if (!('held' in first)) return t.fail(`the holder took the lease: ${JSON.stringify(first)}`);
    // It keeps the lease past its ttl by renewing it.
    const heldSince = Date.now();
    for (let renewals = 0; renewals < 4;) {
      const message = await held.next();
      if (!('renewed' in message)) return t.fail(`the holder renews: ${JSON.stringify(message)}`);
      renewals++;
    }
    t.ok(Date.now() - heldSince > TTL_MS, 'the holder kept the lease for longer than its ttl');
    t.equal(await stash.lease(name, { ttl: TTL_MS, wait: false }), null, 'a renewed lease cannot be taken');

    held.send('stop');
    let stopped = await held.next();
    while ('renewed' in stopped) stopped = await held.next();
    if (!('stopped' in stopped)) return t.fail(`the holder stopped renewing: ${JSON.stringify(stopped)}`);
    const expiresAt = stopped.expiresAt;
    await held.kill();
    const killedAt = Date.now();
    t.ok(killedAt < expiresAt, `the holder died ${expiresAt - killedAt} ms before its lease expired`);

    // While its record lasts, the dead holder's lease is not free.
    if (Date.now() < expiresAt - 300)
      t.equal(await stash.lease(name, { ttl: TTL_MS, wait: false }), null, 'not free before the ttl ran out');
    await delay(50);
    const lease = await stash.lease(name, { ttl: TTL_MS, wait: true, signal: AbortSignal.timeout(60_000) });
    const takenAt = Date.now();
    // The new record is stamped (expiry - ttl) just before the compare-and-set that stored it: a lower bound of when
    // the takeover happened, which a slow machine can only make later.
    const recordedAt = lease.expiresAt - TTL_MS;
    t.ok(
      recordedAt >= expiresAt,
      `taken over ${recordedAt - expiresAt} ms after the dead holder's lease expired, not before`,
    );
    t.ok(
      takenAt - expiresAt < LATE_LIMIT_MS,
      `and soon after: resolved ${takenAt - expiresAt} ms after it (limit ${LATE_LIMIT_MS})`,
    );
    t.equal(lease.lost, false, 'the new lease is held');
    t.equal(await lease.release(), true, 'the new holder releases it');
    const again = await stash.lease(name, { ttl: TTL_MS, wait: false });
    t.ok(again, 'a released lease is free at once');
    await again?.release();
  });
}
