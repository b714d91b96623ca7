/** Types and helpers shared by the facade conformance suite's parts (src/test-suite/stash*.ts). */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { HashStash } from '../stash.js';
import type { HashStashOptions } from '../options.js';
import type { TestFunction } from './runner.js';

/** What `stashConformance` runs on. */
export interface StashConformanceOptions {
  /** Registers one test; see {@link TestFunction}. */
  readonly test: TestFunction;
  /** The `engine` option: a built-in engine's name, or one given to `registerEngine`; the engine's `name` must be it. */
  readonly engine: string;
  /** Put before each test's name; default the engine's name. */
  readonly name?: string | undefined;
  /**
   * Options every stash of one test starts from (a server URL, say), given the test's root, a fresh temporary folder;
   * called once per test.
   */
  readonly options?: ((root: string) => Partial<HashStashOptions> | Promise<Partial<HashStashOptions>>) | undefined;
  /** Run after each test has closed its stashes, with its root: to remove what a server keeps. */
  readonly cleanup?: ((root: string) => unknown) | undefined;
  /** Data outlives `close()`: a new stash over the same path, opened after every other one closed, sees it. */
  readonly persistent: boolean;
  /** The engine offers `stash.sync`; when false, `stash.sync` must throw UnsupportedError. */
  readonly sync: boolean;
  /** `stash.path` is a folder on disk, created by the first write. */
  readonly onDisk: boolean;
  /** Entries in the streaming test (100,000 unless told; fewer entries get longer values, ~100 MB in all). */
  readonly bigCount?: number | undefined;
  /** Largest heap + ArrayBuffer growth allowed while streaming them (30 MB unless told). */
  readonly heapGrowthLimit?: number | undefined;
}

/** A stash of the suite: keys and values of any kind, which each test narrows where it reads them. */
export type AnyStash = HashStash<unknown, unknown>;

/** What one test works with: a fresh root, and stashes over it that are closed when the test ends. */
export interface Harness {
  readonly root: string;
  /** A stash on the suite's engine in this test's root; `extra` overrides the base options. */
  open<K = unknown, V = unknown>(extra?: Partial<HashStashOptions>): HashStash<K, V>;
  /**
   * The same data seen by a new stash: on a persistent engine `previous` is closed first, so this proves the data
   * outlives it; on a non-persistent one it stays open (its entries live only as long as the process holds them).
   */
  reopen(previous: AnyStash, extra?: Partial<HashStashOptions>): Promise<AnyStash>;
}

/** One test of the suite: its name and its body, which gets a fresh harness. */
export type SuiteTest = (name: string, body: (h: Harness) => Promise<void>) => void;

/** The suite's options with its defaults filled in. */
export interface SuiteConfig extends StashConformanceOptions {
  readonly bigCount: number;
  readonly heapGrowthLimit: number;
}

export const MB = 1024 * 1024;
const BIG_VALUE_LENGTH = 1000;

/** `global.gc`, from --expose-gc when tap passes it, else switched on at run time (V8 allows it before first use). */
export function collector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Bytes of JS heap plus ArrayBuffer contents (Buffers live outside the heap, and raw blobs are Buffers). */
export function liveBytes(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/** Every item of an async iterable, in order. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** Keys of every kind the encoder must tell apart and give back; each is stored with its index as the value. */
export function roundTripKeys(): unknown[] {
  return [
    'plain',
    '',
    'ünïcødé ✓ 漢字 😀 \u0000 \n',
    0,
    42,
    -1.5,
    1,
    1n,
    '1',
    [1],
    2n ** 70n,
    -(2n ** 65n),
    true,
    false,
    null,
    [],
    {},
    [1, 'a', [2, [3, { b: null }]]],
    { a: 1, b: { c: [1, 2], d: 'x' } },
    new Date(1_700_000_000_123),
    new Set([3, 1, 2]),
    new Map<unknown, unknown>([
      ['x', 1],
      [2, 'y'],
      [{ o: 1 }, [null]],
    ]),
    { nested: new Map([['k', new Set(['v', 'w'])]]), when: new Date(0) },
  ];
}

/**
 * A deterministic value per index, cut from a random pool so compression cannot shrink what streaming holds.
 * Values are 1 KB, or longer when there are fewer than 100,000 of them, so that holding them all would take ~100 MB.
 */
export function bigValues(count: number): { length: number; valueOf: (index: number) => string } {
  const length = Math.max(BIG_VALUE_LENGTH, Math.ceil((100 * MB) / count));
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const chars: string[] = [];
  let seed = 0x9e3779b9;
  while (chars.length < Math.max(65_536, 4 * length)) {
    seed = (seed * 1_103_515_245 + 12_345) >>> 0;
    chars.push(alphabet[seed >>> 26]);
  }
  const pool = chars.join('');
  const span = pool.length - length;
  return {
    length,
    valueOf: (index) => {
      const start = (index * 7_919) % span;
      const prefix = `${index}:`;
      return prefix + pool.slice(start, start + length - prefix.length);
    },
  };
}
