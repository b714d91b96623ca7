// Processes standing in for machines in the queue tests: workers (serve.js) and producers (produce.js).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';

const SERVE = fileURLToPath(new URL('../fixtures/queue/serve.js', import.meta.url));
const PRODUCE = fileURLToPath(new URL('../fixtures/queue/produce.js', import.meta.url));
export const WORK = new URL('../fixtures/queue/work.js', import.meta.url);

/** A queue name no other test or run uses. */
export const queueName = (label: string) => `t-${label}-${process.pid}-${Date.now().toString(36)}`;

/** A log file the fixtures append `<event> <item> <pid>` lines to. */
export function logFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'hashstash-queue-')), 'log');
}

export function readLog(path: string): string[][] {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' '));
  } catch {
    return [];
  }
}

/** How many times the log says `event item` (by any process). */
export const countOf = (log: string[][], event: string, item: number) =>
  log.filter(([e, n]) => e === event && Number(n) === item).length;

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves when the process has exited. */
  readonly exited: Promise<number | null>;
}

/** Starts a worker process and waits until it takes jobs; the test ends it (SIGTERM) unless it died before. */
export async function startWorker(t: Test, options: object, log: string): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [SERVE, JSON.stringify(options)], {
    stdio: ['ignore', 'inherit', 'pipe'],
    env: { ...process.env, QUEUE_LOG: log },
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('ready')) resolve();
    });
    void exited.then((code) => reject(new Error(`the worker exited with ${code} before it was ready: ${stderr}`)));
  });
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  });
  return { child, pid: child.pid!, exited };
}

export interface Produced {
  readonly results: [number, string][];
  readonly failed: string[];
}

/** Runs a producer process to its end: the map of `work` over items from..to-1. */
export async function produce(order: object): Promise<Produced> {
  const child = spawn(process.execPath, [PRODUCE, JSON.stringify(order)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
  if (code !== 0) throw new Error(`a producer exited with ${code}: ${stderr}`);
  return JSON.parse(stdout) as Produced;
}

/** Waits until `check` holds, polling; fails after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`waited ${ms} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A loopback port nothing listens on. */
export async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
