/**
 * The decoder fuzz command (runner.ts says what it feeds the decoders and what it counts):
 *
 *   npm run fuzz [-- --inputs N --seed S --batch B --jobs J --max-failures F]
 *   npm run fuzz -- --seed S --replay INDEX
 *
 * Inputs run in batches of B, each in a child process (batch.ts), J batches at a time. A batch whose process dies is
 * a crash, and one that starts no new input for WATCHDOG_MS a hang (it is killed): either is recorded at the input the
 * batch was running, the inputs before it run again in a new process (their counts died with the old one), and the
 * batch goes on after it. The exit code is 1 when any input failed.
 */
import { fork } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { BatchRequest } from './batch.js';
import { makeCase } from './cases.js';
import { buildCorpus, type Corpus } from './corpus.js';
import { formatFailures, formatTally } from './report.js';
import { classify, count1, emptyTally, FAILURES, HEX_BYTES, mergeTally, type Outcome, type Tally } from './runner.js';
import { Targets } from './targets.js';

const DEFAULTS = { inputs: 100_000, batch: 20_000, jobs: 1, maxFailures: 5 } as const;
/** How long a batch may run one input before it counts as hung: far beyond any input's real cost, even on a busy machine. */
const WATCHDOG_MS = 60_000;
const CHECK_MS = 1_000;
const BATCH_SCRIPT = new URL('./batch.js', import.meta.url);

interface Options {
  inputs: number;
  seed: number;
  batch: number;
  jobs: number;
  maxFailures: number;
  replay: number | undefined;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      inputs: { type: 'string' },
      seed: { type: 'string' },
      batch: { type: 'string' },
      jobs: { type: 'string' },
      'max-failures': { type: 'string' },
      replay: { type: 'string' },
    },
  });
  const integer = (name: string, text: string | undefined, fallback: number, min: number): number => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < min)
      throw new Error(`--${name} takes an integer of at least ${min}, got ${JSON.stringify(text)}`);
    return value;
  };
  return {
    inputs: integer('inputs', values.inputs, DEFAULTS.inputs, 1),
    seed: integer('seed', values.seed, randomInt(2 ** 31), 0),
    batch: integer('batch', values.batch, DEFAULTS.batch, 1),
    jobs: integer('jobs', values.jobs, DEFAULTS.jobs, 1),
    maxFailures: integer('max-failures', values['max-failures'], DEFAULTS.maxFailures, 0),
    replay: values.replay === undefined ? undefined : integer('replay', values.replay, 0, 0),
  };
}

async function main(): Promise<void> {
  const options = parseOptions();
  if (options.replay !== undefined) return replay(options.seed, options.replay);
  const total = emptyTally(options.seed);
  const queue: [number, number][] = [];
  for (let start = 0; start < options.inputs; start += options.batch)
    queue.push([start, Math.min(options.inputs, start + options.batch)]);
  console.log(
    `fuzzing ${options.inputs.toLocaleString('en-US')} inputs with seed ${options.seed}: batches of ${options.batch}, ${options.jobs} at a time`,
  );
  const started = performance.now();
  const run = new FuzzRun(options, total, queue);
  await Promise.all(Array.from({ length: options.jobs }, () => run.work()));
  console.log(`\n${formatTally(total)}\ntook ${((performance.now() - started) / 1000).toFixed(0)} s`);
  if (total.failures.length > 0) console.log(`\nfirst failing inputs:\n${formatFailures(total.failures)}`);
  process.exitCode = FAILURES.some((outcome) => total.outcomes[outcome] > 0) ? 1 : 0;
}

class FuzzRun {
  #corpus: Corpus | undefined;

  constructor(
    readonly options: Options,
    readonly total: Tally,
    readonly queue: [number, number][],
  ) {}

  async work(): Promise<void> {
    for (let range = this.queue.shift(); range !== undefined; range = this.queue.shift()) await this.batch(...range);
  }

  async batch(start: number, end: number): Promise<void> {
    const { seed, maxFailures } = this.options;
    const progressFile = join(tmpdir(), `hashstash-fuzz-${process.pid}-${start}`);
    writeProgress(progressFile, -1);
    const request: BatchRequest = { seed, start, count: end - start, maxFailures, progressFile };
    const child = fork(BATCH_SCRIPT, [JSON.stringify(request)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let tally: Tally | undefined;
    child.on('message', (message: { tally: Tally }) => {
      tally = message.tally;
    });
    let stuck = false;
    let seen = -1;
    let seenAt = performance.now();
    const watchdog = setInterval(() => {
      const at = readProgress(progressFile);
      // Armed from the first input on: starting up (building the corpus) is not an input.
      if (at !== seen || at < 0) {
        seen = at;
        seenAt = performance.now();
      } else if (performance.now() - seenAt > WATCHDOG_MS) {
        stuck = true;
        child.kill('SIGKILL');
      }
    }, CHECK_MS);
    const exit = await new Promise<string>((resolve) =>
      child.once('exit', (code, signal) => resolve(signal ?? `exit code ${code}`)),
    );
    clearInterval(watchdog);
    const at = readProgress(progressFile);
    rmSync(progressFile, { force: true });
    if (tally !== undefined && exit === 'exit code 0') {
      mergeTally(this.total, tally, maxFailures);
      const failed = FAILURES.reduce((sum, outcome) => sum + this.total.outcomes[outcome], 0);
      console.log(
        `${new Date().toISOString().slice(11, 19)} ${this.total.inputs.toLocaleString('en-US')} inputs done, ${failed} failed`,
      );
      return;
    }
    if (at < start) throw new Error(`the batch of inputs ${start}-${end - 1} ended (${exit}) before its first input`);
    this.#record(
      at,
      stuck ? 'hang' : 'crash',
      stuck ? `no new input for ${WATCHDOG_MS / 1000} s: killed` : `the process died (${exit})`,
    );
    // The counts of the inputs before `at` died with the process: they run again, then the rest of the batch.
    if (at + 1 < end) this.queue.unshift([at + 1, end]);
    if (at > start) this.queue.unshift([start, at]);
  }

  #record(index: number, outcome: Outcome, detail: string): void {
    this.#corpus ??= buildCorpus();
    const input = makeCase(this.#corpus, this.options.seed, index);
    count1(this.total, input.target, outcome);
    console.log(`input #${index} (${input.target} ${input.settings}, ${input.mutation}): ${outcome}: ${detail}`);
    if (this.total.failures.length >= this.options.maxFailures) return;
    this.total.failures.push({
      seed: this.options.seed,
      index,
      outcome,
      target: input.target,
      settings: input.settings,
      source: input.source,
      mutation: input.mutation,
      detail,
      length: input.bytes.length,
      hex: Buffer.from(input.bytes.subarray(0, HEX_BYTES)).toString('hex'),
    });
  }
}

function writeProgress(file: string, index: number): void {
  const bytes = Buffer.alloc(8);
  bytes.writeDoubleLE(index, 0);
  writeFileSync(file, bytes);
}

function readProgress(file: string): number {
  const bytes = readFileSync(file);
  return bytes.length === 8 ? bytes.readDoubleLE(0) : -1;
}

/** One input, in this process, described in full: to look at a failure. */
async function replay(seed: number, index: number): Promise<void> {
  const input = makeCase(buildCorpus(), seed, index);
  console.log(
    `input #${index} of seed ${seed}: ${input.target} ${input.settings}, ${input.mutation}${input.inner ? ' inside the base64' : ''} of "${input.source}"`,
  );
  console.log(
    `the blob's crc32 ${input.crcChecked ? 'is as written' : input.target === 'decodeValue' || input.target === 'get' ? 'was recomputed' : 'does not apply'}`,
  );
  const hex = Buffer.from(input.bytes.subarray(0, 1024)).toString('hex');
  console.log(
    `${input.bytes.length} bytes${input.bytes.length > 1024 ? ' (the first 1024)' : ''}:\n${hex.replace(/(.{64})/g, '$1\n')}`,
  );
  const targets = new Targets();
  let result: { value: unknown } | { error: unknown };
  try {
    result = { value: await targets.run(input) };
  } catch (error) {
    result = { error };
  } finally {
    await targets.close();
  }
  console.log(`outcome: ${classify(input, result)}`);
  console.log('error' in result ? result.error : result.value);
}

try {
  await main();
} catch (error) {
  console.error(`fuzz: ${(error as Error).message}`);
  process.exitCode = 2;
}
