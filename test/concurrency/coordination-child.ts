/**
 * One participant of the set-if-absent race and the lease takeover tests (set-if-absent-race.test.ts,
 * lease-takeover.test.ts), in a child process (`node coordination-child.js '<job as JSON>'`, messages as JSON lines on
 * stdin and stdout) or a worker thread (`workerData: job`, messages by postMessage), over its own `HashStash` on the
 * compiled library.
 *
 * - race: says `ready` once the stash is open, waits for `go`, calls setIfAbsent on keys 0..keys-1 in order (odd
 *   racers through `stash.sync` where the engine has it), and says `done` with the indices it won.
 * - mutex: says `ready`, waits for `go`, then `rounds` times: takes the lease `counter`, reads the key `count`, renews
 *   the lease, writes the count plus one, releases the lease; says `finished` with what went wrong (a renewal or release
 *   that found the lease lost). Participants that overlap in the critical section would lose increments.
 * - lease: takes the lease (waiting), says `held`, renews it every third of its ttl saying `renewed` each time, and
 *   on `stop` stops renewing and says `stopped` with the record's expiry; then it idles, holding the lease, until killed.
 */
import { createInterface } from 'node:readline';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { HashStash, type EngineName } from '../../src/index.js';

export interface RaceJob {
  kind: 'race';
  root: string;
  engine: EngineName;
  url?: string | undefined;
  racer: number;
  keys: number;
}
export interface LeaseJob {
  kind: 'lease';
  root: string;
  engine: EngineName;
  url?: string | undefined;
  name: string;
  ttl: number;
}
export interface MutexJob {
  kind: 'mutex';
  root: string;
  engine: EngineName;
  url?: string | undefined;
  racer: number;
  rounds: number;
}
export type CoordinationJob = RaceJob | LeaseJob | MutexJob;

export type ChildMessage =
  | { ready: true }
  | { done: true; won: number[] }
  | { finished: true; problems: string[] }
  | { held: true; expiresAt: number }
  | { renewed: true; expiresAt: number }
  | { stopped: true; expiresAt: number }
  | { error: string };

interface Channel {
  send(message: ChildMessage): void;
  /** Resolves with the next message from the parent. */
  next(): Promise<string>;
}

function channel(): Channel {
  const waiting: ((line: string) => void)[] = [];
  const queued: string[] = [];
  const receive = (line: string) => {
    const taker = waiting.shift();
    if (taker) taker(line);
    else queued.push(line);
  };
  const next = () =>
    new Promise<string>((resolve) => {
      const line = queued.shift();
      if (line !== undefined) resolve(line);
      else waiting.push(resolve);
    });
  if (isMainThread) {
    createInterface({ input: process.stdin }).on('line', (line) => receive(line.trim()));
    return { send: (message) => process.stdout.write(`${JSON.stringify(message)}\n`), next };
  }
  parentPort!.on('message', (message: string) => receive(message));
  return { send: (message) => parentPort!.postMessage(message), next };
}

async function race(job: RaceJob, io: Channel): Promise<void> {
  const stash = new HashStash({ root: job.root, engine: job.engine, url: job.url });
  try {
    await stash.has('open');
    io.send({ ready: true });
    await io.next();
    const won: number[] = [];
    const sync = job.racer % 2 === 1 && stash.engine.capabilities.sync ? stash.sync : undefined;
    for (let i = 0; i < job.keys; i++) {
      const key = `key-${i}`;
      const value = { racer: job.racer, i };
      if (sync ? sync.setIfAbsent(key, value) : await stash.setIfAbsent(key, value)) won.push(i);
    }
    io.send({ done: true, won });
  } finally {
    await stash.close();
  }
}

async function mutex(job: MutexJob, io: Channel): Promise<void> {
  const stash = new HashStash({ root: job.root, engine: job.engine, url: job.url });
  try {
    await stash.has('open');
    io.send({ ready: true });
    await io.next();
    const problems: string[] = [];
    for (let round = 0; round < job.rounds; round++) {
      const lease = await stash.lease('counter', { ttl: 30_000, autoRenew: false });
      const count = (await stash.get('count', 0)) as number;
      if (!(await lease.renew())) problems.push(`round ${round}: the renewal found the lease lost`);
      await stash.set('count', count + 1);
      if (!(await lease.release())) problems.push(`round ${round}: the release found the lease lost`);
    }
    io.send({ finished: true, problems });
  } finally {
    await stash.close();
  }
}

async function holdLease(job: LeaseJob, io: Channel): Promise<void> {
  const stash = new HashStash({ root: job.root, engine: job.engine, url: job.url });
  const lease = await stash.lease(job.name, { ttl: job.ttl, autoRenew: false });
  io.send({ held: true, expiresAt: lease.expiresAt });
  let stopping = false;
  const stopped = io.next().then(() => {
    stopping = true;
  });
  let renewing: Promise<unknown> = Promise.resolve();
  const timer = setInterval(
    () => {
      renewing = lease.renew().then((renewed) => {
        if (!stopping)
          io.send(
            renewed ? { renewed: true, expiresAt: lease.expiresAt } : { error: 'the lease was lost while renewing' },
          );
      });
    },
    Math.floor(job.ttl / 3),
  );
  await stopped;
  clearInterval(timer);
  await renewing;
  io.send({ stopped: true, expiresAt: lease.expiresAt });
  // Holds the lease (and the stash) until killed.
  setInterval(() => {}, 60_000);
}

const io = channel();
const job = (isMainThread ? JSON.parse(process.argv[2]) : workerData) as CoordinationJob;
(job.kind === 'race' ? race(job, io) : job.kind === 'mutex' ? mutex(job, io) : holdLease(job, io)).catch((error) => {
  io.send({ error: (error as Error)?.stack ?? String(error) });
  if (isMainThread) process.exitCode = 1;
});
