/**
 * The decoder fuzz harness: corrupt input through every entry point that reads stored bytes, counted by what came out.
 *
 * Inputs are made from valid samples of every serializer x codec x b64 (corpus.ts) by the mutations of mutations.ts,
 * and sent to one of the entry points of cases.ts. Input `index` of the run with `seed` is a pure function of the two,
 * so any input can be replayed alone (`npm run fuzz -- --seed S --replay INDEX`).
 *
 * Every input ends in exactly one outcome. Three are fine:
 *
 *   decode-error  it threw DecodeError: the answer to corrupt input.
 *   same          it returned a value equal (util.isDeepStrictEqual) to what the entry point makes of the sample the
 *                 input came from: the mutation touched nothing that matters (an unused flag bit, or a bit flipped
 *                 twice); for a splice of two samples, equal to either (cut where they agree, the splice is the
 *                 second sample whole).
 *   unchecked     it returned some other value, where nothing can tell it from valid input: deserialize, decode and
 *                 decodeKey take bare bytes with no checksum of ours (changing a digit of JSON text gives another
 *                 valid value), and for blobs the crc32 was recomputed after the corruption (crc-recomputed,
 *                 garbage-body, recompressed): then the header vouches for the damaged body, and any value, or a DecodeError,
 *                 is a correct reading of it.
 *
 * Four are failures, which the test and the command count and print:
 *
 *   untyped       it threw anything but DecodeError (TypeError, RangeError, ERR_STRING_TOO_LONG, another
 *                 HashStashError...).
 *   wrong         a blob whose crc32 was left as written (every blob mutation but the three that reseal it, random
 *                 bytes included) read back as a value other than the sample's: the header was fooled.
 *   hang          one input took more than HANG_CPU_MS of CPU time. CPU time rather than wall time, so that a loaded
 *                 machine does not make slow inputs out of fast ones. (An input that never returns is caught by the
 *                 command's watchdog, which counts it as a hang too.)
 *   crash         the process died (a native codec). Only the command, which runs inputs in child processes, counts
 *                 these; in the test a crash fails the test file.
 */
import { DecodeError } from '../../src/errors.js';
import { isDeepStrictEqual } from 'node:util';
import { makeCase, TARGETS, type FuzzCase, type TargetName } from './cases.js';
import { buildCorpus, type Corpus } from './corpus.js';
import { Targets } from './targets.js';

export const HANG_CPU_MS = 1000;

export const OUTCOMES = ['decode-error', 'same', 'unchecked', 'untyped', 'wrong', 'hang', 'crash'] as const;
export type Outcome = (typeof OUTCOMES)[number];
export const FAILURES: readonly Outcome[] = ['untyped', 'wrong', 'hang', 'crash'];

export type Counts = Record<Outcome, number>;

/** One failing input, with what is needed to replay and read it. */
export interface FailureReport {
  readonly seed: number;
  readonly index: number;
  readonly outcome: Outcome;
  readonly target: TargetName | '?';
  readonly settings: string;
  readonly source: string;
  readonly mutation: string;
  /** The error, or the value returned. */
  readonly detail: string;
  readonly length: number;
  /** The input's first bytes in hex. */
  readonly hex: string;
}

export interface Tally {
  readonly seed: number;
  inputs: number;
  readonly outcomes: Counts;
  readonly byTarget: Record<TargetName, Counts>;
  /** The first failures, up to the run's maxFailures. */
  readonly failures: FailureReport[];
  slowest: { index: number; cpuMs: number };
}

export interface RunOptions {
  readonly seed: number;
  readonly start?: number;
  readonly count: number;
  /** How many failing inputs to keep for the report. Default 5. */
  readonly maxFailures?: number;
  /** Called with each input's index before it runs (the command records it, to name the input a crash died on). */
  readonly onInput?: (index: number) => void;
  readonly corpus?: Corpus;
}

export const HEX_BYTES = 48;

export function emptyCounts(): Counts {
  return Object.fromEntries(OUTCOMES.map((outcome) => [outcome, 0])) as Counts;
}

export function emptyTally(seed: number): Tally {
  const byTarget = Object.fromEntries(TARGETS.map((target) => [target, emptyCounts()])) as Record<TargetName, Counts>;
  return { seed, inputs: 0, outcomes: emptyCounts(), byTarget, failures: [], slowest: { index: -1, cpuMs: 0 } };
}

/** Inputs `start` to `start + count - 1` of the run with `seed`. */
export async function runFuzz({
  seed,
  start = 0,
  count,
  maxFailures = 5,
  onInput,
  corpus = buildCorpus(),
}: RunOptions): Promise<Tally> {
  const tally = emptyTally(seed);
  const targets = new Targets();
  try {
    for (let index = start; index < start + count; index++) {
      onInput?.(index);
      const input = makeCase(corpus, seed, index);
      const before = process.cpuUsage();
      let result: { value: unknown } | { error: unknown };
      try {
        result = { value: await targets.run(input) };
      } catch (error) {
        result = { error };
      }
      const used = process.cpuUsage(before);
      const cpuMs = (used.user + used.system) / 1000;
      if (cpuMs > tally.slowest.cpuMs) tally.slowest = { index, cpuMs };
      const outcome = cpuMs > HANG_CPU_MS ? 'hang' : classify(input, result);
      count1(tally, input.target, outcome);
      if (FAILURES.includes(outcome) && tally.failures.length < maxFailures)
        tally.failures.push(report(input, outcome, result, cpuMs));
    }
  } finally {
    await targets.close();
  }
  return tally;
}

/** The outcome of an input that returned or threw (see the header comment). */
export function classify(
  input: Pick<FuzzCase, 'original' | 'otherOriginal' | 'crcChecked'>,
  result: { value: unknown } | { error: unknown },
): Outcome {
  if ('error' in result) return result.error instanceof DecodeError ? 'decode-error' : 'untyped';
  if (input.original !== undefined && equal(result.value, input.original.value)) return 'same';
  if (input.otherOriginal !== undefined && equal(result.value, input.otherOriginal.value)) return 'same';
  return input.crcChecked ? 'wrong' : 'unchecked';
}

function equal(a: unknown, b: unknown): boolean {
  try {
    return isDeepStrictEqual(a, b);
  } catch {
    return false;
  }
}

export function count1(tally: Tally, target: TargetName | undefined, outcome: Outcome): void {
  tally.inputs++;
  tally.outcomes[outcome]++;
  if (target !== undefined) tally.byTarget[target][outcome]++;
}

function report(
  input: FuzzCase,
  outcome: Outcome,
  result: { value: unknown } | { error: unknown },
  cpuMs: number,
): FailureReport {
  let detail: string;
  if (outcome === 'hang') detail = `${Math.round(cpuMs)} ms of CPU`;
  else if ('error' in result)
    detail = result.error instanceof Error ? `${result.error.name}: ${result.error.message}` : String(result.error);
  else detail = `returned ${preview(result.value)}, not ${preview(input.original?.value)}`;
  return {
    seed: input.seed,
    index: input.index,
    outcome,
    target: input.target,
    settings: input.settings,
    source: input.source,
    mutation: input.inner ? `${input.mutation} (inside the base64)` : input.mutation,
    detail: detail.slice(0, 300),
    length: input.bytes.length,
    hex: Buffer.from(input.bytes.subarray(0, HEX_BYTES)).toString('hex'),
  };
}

function preview(value: unknown): string {
  try {
    const text =
      typeof value === 'string'
        ? JSON.stringify(value)
        : String(
            value === undefined
              ? 'undefined'
              : JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)),
          );
    return text.length > 80 ? text.slice(0, 77) + '...' : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Adds `part` (a batch's tally) into `total`, keeping failures up to `maxFailures` and the slowest input. */
export function mergeTally(total: Tally, part: Tally, maxFailures = 5): void {
  total.inputs += part.inputs;
  for (const outcome of OUTCOMES) {
    total.outcomes[outcome] += part.outcomes[outcome];
    for (const target of TARGETS) total.byTarget[target][outcome] += part.byTarget[target][outcome];
  }
  for (const failure of part.failures) if (total.failures.length < maxFailures) total.failures.push(failure);
  if (part.slowest.cpuMs > total.slowest.cpuMs) total.slowest = part.slowest;
}
