/** The parent's side of the coordination tests' participants (coordination-child.ts): start them, read their messages. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Test } from 'tap';
import { HashStash, type EngineName } from '../../src/index.js';
import { serverUrl } from '../helpers/servers.js';
import { killAndWait } from './child.js';
import type { ChildMessage, CoordinationJob } from './coordination-child.js';

const childScript = fileURLToPath(new URL('./coordination-child.js', import.meta.url));

/** One participant, a child process or a worker thread, seen from the parent. */
export interface Racer {
  readonly messages: AsyncIterableIterator<ChildMessage>;
  go(): void;
  stop(): Promise<unknown>;
}

/** Messages of one racer as an async queue, whether it is a child process or a worker thread. */
function queue(): {
  push(message: ChildMessage): void;
  end(error?: string): void;
  messages: AsyncIterableIterator<ChildMessage>;
} {
  const items: ChildMessage[] = [];
  const waiting: ((result: IteratorResult<ChildMessage>) => void)[] = [];
  let ended = false;
  const messages: AsyncIterableIterator<ChildMessage> = {
    next: () =>
      new Promise((resolve) => {
        const item = items.shift();
        if (item) resolve({ value: item, done: false });
        else if (ended) resolve({ value: undefined, done: true });
        else waiting.push(resolve);
      }),
    [Symbol.asyncIterator]() {
      return this;
    },
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

/** Starts `job` in a child process. */
export function startProcess(job: CoordinationJob): Racer {
  const child: ChildProcess = spawn(process.execPath, [childScript, JSON.stringify(job)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const q = queue();
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  createInterface({ input: child.stdout! }).on('line', (line) => q.push(JSON.parse(line) as ChildMessage));
  child.on('close', (code, signal) =>
    q.end(code === 0 ? undefined : `participant ended (code ${code}, signal ${signal}): ${stderr}`),
  );
  return { messages: q.messages, go: () => child.stdin!.end('go\n'), stop: () => killAndWait(child) };
}

/** Starts `job` in a worker thread. */
export function startThread(job: CoordinationJob): Racer {
  const worker = new Worker(new URL('./coordination-child.js', import.meta.url), { workerData: job });
  const q = queue();
  worker.on('message', (message: ChildMessage) => q.push(message));
  worker.on('error', (error) => q.end(`participant crashed: ${error.stack}`));
  worker.on('exit', () => q.end());
  return { messages: q.messages, go: () => worker.postMessage('go'), stop: () => worker.terminate() };
}

/** The participant's next message; an error message when it ended without one. */
export async function nextMessage(racer: Racer): Promise<ChildMessage> {
  const next = await racer.messages.next();
  return next.done ? { error: 'the racer ended without a word' } : next.value;
}

/** What {@link runTogether} hands back: the parent's stash, each participant's last message, and the time they took. */
export interface RunTogether {
  readonly stash: HashStash;
  readonly results: ChildMessage[];
  readonly seconds: number;
}

/**
 * Opens the stash in the parent (on memory that keeps its table, which the threads then share), starts one
 * participant per job (threads on memory, processes elsewhere), asserts that each opened the stash, lets them all go
 * at once and waits for each one's last message. The participants are stopped and the stash cleared at teardown.
 */
export async function runTogether(
  t: Test,
  engine: EngineName,
  jobs: (place: { root: string; url: string | undefined }) => CoordinationJob[],
): Promise<RunTogether> {
  const participants: Racer[] = [];
  const root = t.testdir();
  const url = engine === 'redis' || engine === 'mongo' ? serverUrl(engine) : undefined;
  const stash = new HashStash({ root, engine, url });
  t.teardown(async () => {
    await Promise.all(participants.map((participant) => participant.stop()));
    await stash.clear().catch(() => {});
    await stash.close();
  });
  await stash.has('open');
  for (const job of jobs({ root, url })) participants.push(engine === 'memory' ? startThread(job) : startProcess(job));
  const ready = await Promise.all(participants.map(nextMessage));
  t.strictSame(
    ready.filter((m) => !('ready' in m)),
    [],
    'every participant opened the stash',
  );
  const started = performance.now();
  for (const participant of participants) participant.go();
  const results = await Promise.all(participants.map(nextMessage));
  return { stash, results, seconds: (performance.now() - started) / 1000 };
}
