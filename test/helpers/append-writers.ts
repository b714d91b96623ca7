/**
 * Starts append writers (test/append/append-writer.ts), one per job, as child processes or, for an engine whose data
 * lives inside one process, as worker threads; releases them together once all are ready, and says how each ended.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Test } from 'tap';
import type { AppendJob, WriterMessage } from '../append/append-writer.js';
import { killAndWait } from '../concurrency/child.js';

export type WriterKind = 'processes' | 'threads';

const writerUrl = new URL('../append/append-writer.js', import.meta.url);

interface Writer {
  /** Sends the start signal, or tells a writer still waiting for it that there will be none. */
  release(): void;
  /** 'done', or how the writer failed. */
  readonly ended: Promise<string>;
}

type Listener = (message: WriterMessage) => void;

function processWriter(t: Test, job: AppendJob, listen: Listener): Writer {
  const child: ChildProcess = spawn(process.execPath, [fileURLToPath(writerUrl), JSON.stringify(job)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  t.teardown(() => killAndWait(child));
  let stderr = '';
  let done = false;
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  // Released after it ended (another writer failed), it has no stdin to read: how it ended is reported below.
  child.stdin!.on('error', () => {});
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const message = JSON.parse(line) as WriterMessage;
    if ('done' in message) done = true;
    listen(message);
  });
  const ended = new Promise<string>((resolve) => {
    child.on('error', (error) => resolve(`could not start: ${error.message}`));
    child.on('close', (code) => resolve(done && code === 0 ? 'done' : `ended with code ${code}: ${stderr}`));
  });
  return { release: () => child.stdin!.end('go\n'), ended };
}

function threadWriter(t: Test, job: AppendJob, listen: Listener): Writer {
  const worker = new Worker(writerUrl, { workerData: job });
  t.teardown(() => worker.terminate());
  let done = false;
  worker.on('message', (message: WriterMessage) => {
    if ('done' in message) done = true;
    listen(message);
  });
  const ended = new Promise<string>((resolve) => {
    worker.on('error', (error) => resolve(`failed: ${error.stack ?? error}`));
    worker.on('exit', (code) => resolve(done ? 'done' : `exited with code ${code} before it was done`));
  });
  return { release: () => worker.postMessage('go'), ended };
}

/** Runs the jobs together; resolves with how each ended ('done' when it appended everything). */
export async function runWriters(t: Test, jobs: AppendJob[], kind: WriterKind): Promise<string[]> {
  const start = kind === 'processes' ? processWriter : threadWriter;
  let ready = 0;
  const writers: Writer[] = [];
  const releaseAll = () => {
    for (const writer of writers) writer.release();
  };
  for (const job of jobs) {
    const writer = start(t, job, (message) => {
      if ('ready' in message && ++ready === jobs.length) releaseAll();
    });
    // A writer that fails before it is ready must not leave the others waiting for the start.
    void writer.ended.then(() => {
      if (ready < jobs.length) releaseAll();
    });
    writers.push(writer);
  }
  return Promise.all(writers.map((writer) => writer.ended));
}
