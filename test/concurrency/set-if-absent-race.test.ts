/**
 * Four participants race `setIfAbsent` on the same 1,000 keys of a fresh stash, in the same order, so they meet on
 * every key: exactly one of them wins each key, and the value stored is the winner's. Child processes on the
 * engines shared across processes (lmdb, pairtree, sqlite, redis, mongo), worker threads on the memory engine (shared
 * across threads only). On local engines odd racers use `stash.sync.setIfAbsent`, even ones the asynchronous call.
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { HashStash, type EngineName } from '../../src/index.js';
import { serverSkip, serverUrl } from '../helpers/servers.js';
import { killAndWait } from './child.js';
import type { ChildMessage, RaceJob } from './coordination-child.js';

const childScript = fileURLToPath(new URL('./coordination-child.js', import.meta.url));
const RACERS = 4;
const KEYS = 1_000;

interface Racer {
  readonly messages: AsyncIterableIterator<ChildMessage>;
  go(): void;
  stop(): Promise<unknown>;
}

/** Messages of one racer as an async queue, whether it is a child process or a worker thread. */
function queue(): { push(message: ChildMessage): void; end(error?: string): void; messages: AsyncIterableIterator<ChildMessage> } {
  const items: ChildMessage[] = [];
  const waiting: ((result: IteratorResult<ChildMessage>) => void)[] = [];
  let ended = false;
  const messages: AsyncIterableIterator<ChildMessage> = {
    next: () => new Promise((resolve) => {
      const item = items.shift();
      if (item) resolve({ value: item, done: false });
      else if (ended) resolve({ value: undefined, done: true });
      else waiting.push(resolve);
    }),
    [Symbol.asyncIterator]() { return this; },
  };
  return {
    push: (message) => {
      const taker = waiting.shift();
      if (taker) taker({ value: message, done: false });
      else items.push(message);
    },
    end: (error) => {
      if (error) {
        const message: ChildMessage = { error };
        const taker = waiting.shift();
        if (taker) taker({ value: message, done: false });
        else items.push(message);
      }
      ended = true;
      for (const taker of waiting.splice(0)) taker({ value: undefined, done: true });
    },
    messages,
  };
}

function startProcess(job: RaceJob): Racer {
  const child: ChildProcess = spawn(process.execPath, [childScript, JSON.stringify(job)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const q = queue();
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  createInterface({ input: child.stdout! }).on('line', (line) => q.push(JSON.parse(line) as ChildMessage));
  child.on('close', (code, signal) => q.end(code === 0 ? undefined : `racer ${job.racer} ended (code ${code}, signal ${signal}): ${stderr}`));
  return { messages: q.messages, go: () => child.stdin!.end('go\n'), stop: () => killAndWait(child) };
}

function startThread(job: RaceJob): Racer {
  const worker = new Worker(new URL('./coordination-child.js', import.meta.url), { workerData: job });
  const q = queue();
  worker.on('message', (message: ChildMessage) => q.push(message));
  worker.on('error', (error) => q.end(`racer ${job.racer} crashed: ${error.stack}`));
  worker.on('exit', () => q.end());
  return { messages: q.messages, go: () => worker.postMessage('go'), stop: () => worker.terminate() };
}

async function nextMessage(racer: Racer): Promise<ChildMessage> {
  const { value, done } = await racer.messages.next();
  return done ? { error: 'the racer ended without a word' } : value;
}

const ENGINES: readonly EngineName[] = ['lmdb', 'pairtree', 'sqlite', 'redis', 'mongo', 'memory'];

for (const engine of ENGINES) {
  const kind = engine === 'redis' || engine === 'mongo' ? engine : undefined;
  const skip = kind ? serverSkip(kind) : false;
  const how = engine === 'memory' ? 'worker threads' : 'processes';
  t.test(`${engine}: ${RACERS} ${how} race setIfAbsent on ${KEYS} keys: exactly one winner per key`, { skip }, async (t) => {
    t.setTimeout(240_000);
    const racers: Racer[] = [];
    let stash: HashStash | undefined;
    t.teardown(async () => {
      await Promise.all(racers.map((racer) => racer.stop()));
      await stash?.clear().catch(() => {});
      await stash?.close();
    });
    const root = t.testdir();
    const url = kind ? serverUrl(kind) : undefined;
    // The parent holds the memory stash open, so the threads share one table.
    stash = new HashStash({ root, engine, url });
    await stash.has('open');
    for (let racer = 0; racer < RACERS; racer++) {
      const job: RaceJob = { kind: 'race', root, engine, url, racer, keys: KEYS };
      racers.push(engine === 'memory' ? startThread(job) : startProcess(job));
    }
    const ready = await Promise.all(racers.map(nextMessage));
    t.strictSame(ready.filter((m) => !('ready' in m)), [], 'every racer opened the stash');
    const started = performance.now();
    for (const racer of racers) racer.go();
    const results = await Promise.all(racers.map(nextMessage));
    const seconds = (performance.now() - started) / 1000;
    const problems = results.filter((m) => !('done' in m));
    t.strictSame(problems, [], 'every racer finished');
    if (problems.length) return;

    const winners = new Map<number, number[]>();
    results.forEach((message, racer) => {
      for (const i of (message as { won: number[] }).won) winners.set(i, [...(winners.get(i) ?? []), racer]);
    });
    const wrong = Array.from({ length: KEYS }, (_, i) => i).filter((i) => winners.get(i)?.length !== 1);
    t.strictSame(wrong.slice(0, 10), [], `every key has exactly one winner (${wrong.length} keys do not)`);
    const stored = await stash.getMany(Array.from({ length: KEYS }, (_, i) => `key-${i}`)) as ({ racer: number; i: number } | undefined)[];
    const mismatched = stored.map((value, i) => (value?.racer === winners.get(i)?.[0] && value?.i === i ? -1 : i)).filter((i) => i >= 0);
    t.strictSame(mismatched.slice(0, 10), [], 'the value stored under each key is its winner\'s');
    const share = results.map((message) => (message as { won: number[] }).won.length);
    t.pass(`${KEYS} keys in ${seconds.toFixed(2)} s; wins per racer: ${share.join(', ')}`);
  });
}
