/**
 * One round of the fresh-store stress: several processes started together on a brand-new root, each awaiting its own
 * sets (writer.ts), then a check that every write the library acknowledged is there, whole, after they all closed.
 *
 * This is the scenario that lost lmdb writes with lmdb-js's default `overlappingSync` (issue 13): the writers open and
 * create the environment at the same moment, and commit while the others are still opening.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { HashStash, type EngineName } from '../../src/index.js';
import type { WriterJob } from './writer.js';

const writerScript = fileURLToPath(new URL('./writer.js', import.meta.url));

export interface RoundOptions {
  engine: EngineName;
  writers: number;
  writes: number;
  /** Each value is `{ pad: 'x'.repeat(0 to maxPad) }`. */
  maxPad: number;
  /** Seeds the pad lengths; writer w uses seed + w. */
  seed: number;
  /** Where the round's root folder is made (default: the system's temp folder); `removeRoot` removes it. */
  parent?: string;
}

export interface RoundResult {
  engine: EngineName;
  root: string;
  /** Sets that resolved. */
  acknowledged: number;
  /** Acknowledged sets whose key is missing afterwards, or holds another value: `writer:i`. */
  lost: string[];
  /** Sets that rejected with a typed HashStashError (not lost: the caller was told): `writer:i message`. */
  rejected: string[];
  /** Sets that rejected with something other than a HashStashError. */
  untyped: string[];
  /** Writers that did not print `done` and exit 0: why. */
  crashed: string[];
  ms: number;
}

interface WriterOutcome {
  acknowledged: Map<number, number>;
  rejected: string[];
  untyped: string[];
  crash: string | undefined;
}

function runWriter(
  job: WriterJob,
  started: (child: ChildProcess) => void,
): { ready: Promise<void>; outcome: Promise<WriterOutcome> } {
  const child = spawn(process.execPath, [writerScript, JSON.stringify(job)], { stdio: ['pipe', 'pipe', 'pipe'] });
  started(child);
  const acknowledged = new Map<number, number>();
  const untyped: string[] = [];
  const rejected: string[] = [];
  let done = false;
  let stderr = '';
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    const [kind, index, third, ...rest] = line.split(' ');
    if (kind === 'ready') markReady();
    else if (kind === 'done') done = true;
    else if (kind === 'a') acknowledged.set(Number(index), Number(third));
    else if (kind === 'f') (third === '1' ? rejected : untyped).push(`${job.writer}:${index} ${rest.join(' ')}`);
  });
  const outcome = new Promise<WriterOutcome>((resolve) => {
    child.once('error', (error) => {
      stderr += String(error);
    });
    child.once('close', (code, signal) => {
      markReady();
      const crash =
        done && code === 0
          ? undefined
          : `writer ${job.writer} (code ${code}, signal ${signal}): ${stderr.trim().split('\n').slice(0, 6).join(' | ')}`;
      resolve({ acknowledged, rejected, untyped, crash });
    });
  });
  return { ready, outcome };
}

/** Runs one round and checks it. The root stays, so a round that lost something can be looked at: see `removeRoot`. */
export async function runRound(options: RoundOptions): Promise<RoundResult> {
  const started = performance.now();
  const root = mkdtempSync(join(options.parent ?? tmpdir(), `hashstash-stress-${options.engine}-`));
  const children: ChildProcess[] = [];
  try {
    const writers = Array.from({ length: options.writers }, (_, writer) =>
      runWriter(
        {
          root,
          engine: options.engine,
          writer,
          writes: options.writes,
          maxPad: options.maxPad,
          seed: options.seed + writer,
        },
        (child) => children.push(child),
      ),
    );
    await Promise.all(writers.map((w) => w.ready));
    for (const child of children) child.stdin!.end('go\n');
    const outcomes = await Promise.all(writers.map((w) => w.outcome));

    const lost: string[] = [];
    await using stash = new HashStash<[number, number], unknown>({ root, engine: options.engine });
    for (const [writer, outcome] of outcomes.entries()) {
      for (const [i, length] of outcome.acknowledged) {
        const value = await stash.get([writer, i]);
        if (!isDeepStrictEqual(value, { pad: 'x'.repeat(length) })) lost.push(`${writer}:${i}`);
      }
    }
    const result: RoundResult = {
      engine: options.engine,
      root,
      acknowledged: outcomes.reduce((sum, o) => sum + o.acknowledged.size, 0),
      lost,
      rejected: outcomes.flatMap((o) => o.rejected),
      untyped: outcomes.flatMap((o) => o.untyped),
      crashed: outcomes.flatMap((o) => (o.crash ? [o.crash] : [])),
      ms: performance.now() - started,
    };
    return result;
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/** Removes a round's root (the caller keeps it when the round lost something). */
export function removeRoot(result: RoundResult): void {
  rmSync(result.root, { recursive: true, force: true });
}
