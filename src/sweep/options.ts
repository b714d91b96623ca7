import { checkOptionsObject, checkType, failOption } from '../checks.js';
import { ConfigError } from '../errors.js';
import { keyText } from '../keys/encode.js';
import { previewKey } from '../keys/preview.js';

/** A sweep's axes: each axis name with its values (any values a key can be: numbers, strings, objects, Dates…). */
export type SweepAxes = Readonly<Record<string, readonly unknown[]>>;

/** One point of a sweep's grid: a value of each axis. */
export type SweepPoint<A extends SweepAxes> = { -readonly [K in keyof A]: A[K][number] };

/** What `stash.sweep(spec)` takes. */
export interface SweepSpec<A extends SweepAxes = SweepAxes, P = unknown> {
  /** Fixed parameters, part of the sweep's identity (with the axis names and the chunking); default `{}`. */
  readonly params?: P;
  /** The axes and their values. Values are compared as keys (structurally); an axis lists each value once. */
  readonly axes: A;
  /** Points per chunk along each axis; an axis left out gets 1. Part of the sweep's identity. */
  readonly chunk?: { readonly [K in keyof A]?: number };
}

/** A sub-grid: per axis, some of its values, or their positions on the axis; an axis left out is taken whole. */
export type SweepSelect<A extends SweepAxes = SweepAxes> = {
  readonly [K in keyof A]?:
    | readonly A[K][number][]
    | {
        /** Positions on the axis (as this sweep lists it), from 0. */
        readonly indices: readonly number[];
      };
};

/** Options of `sweep.run` and `sweep.stream`. */
export interface SweepRunOptions<A extends SweepAxes = SweepAxes> {
  /** The points to return (and compute where missing); default: the sweep's whole grid. */
  readonly select?: SweepSelect<A> | undefined;
  /**
   * Worker threads, through `stash.map`: the function must then be self-contained (it is shipped by its source) or a
   * `{ module, export }` reference. Unset: each call runs in this thread, one at a time, and any function will do.
   */
  readonly numProc?: number | undefined;
  /** Aborting stops the calls at once; what finished is stored, and the call rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
  /** A bar on stderr (a line every few seconds when stderr is not a terminal). Default: when stderr is a terminal. */
  readonly progress?: boolean | undefined;
  /** The bar's label. Default `Sweep <function name>`. */
  readonly desc?: string | undefined;
  /**
   * Store each chunk as soon as its points are in, and what a long chunk has so far every second (default true), so a
   * crash loses only the points being computed; false: store everything once the last point is in.
   */
  readonly flushOnChunk?: boolean | undefined;
}

export interface ResolvedSweepSpec {
  readonly params: unknown;
  /** Axis names in the order the spec gives them: the order of points in outputs. */
  readonly names: readonly string[];
  readonly values: ReadonlyMap<string, readonly unknown[]>;
  readonly chunk: ReadonlyMap<string, number>;
}

export interface ResolvedRunOptions {
  readonly select: SweepSelect | undefined;
  readonly numProc: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly progress: boolean;
  readonly desc: string | undefined;
  readonly flushOnChunk: boolean;
}

/** Defaults and fixed sizes, in one place. */
export const SWEEP_DEFAULTS = {
  flushOnChunk: true,
  /** With flushOnChunk: the points of unfinished chunks are stored at least this often. */
  flushIntervalMs: 1_000,
  /** Chunks read per engine call. */
  readBatch: 256,
  /** `stream` computes this many points at a time, or one chunk when chunks are larger. */
  streamWindowPoints: 1_024,
  /**
   * Computing in this thread, chunks are claimed (their leases taken) about this many points at a time, so another
   * process can take the rest; on workers, all at once (one map keeps the workers busy).
   */
  claimPoints: 256,
  /** A chunk's compute lease: renewed by the lease itself while held; a dead holder's is taken over after it. */
  leaseTtlMs: 30_000,
} as const;

const SPEC_FIELDS = ['params', 'axes', 'chunk'];
const RUN_FIELDS = ['select', 'numProc', 'signal', 'progress', 'desc', 'flushOnChunk'];

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The values of one axis, each checked to be keyable and listed once. */
export function checkAxisValues(axis: string, values: unknown, allowEmpty: boolean): unknown[] {
  if (!Array.isArray(values)) throw new ConfigError(`stash.sweep axis '${axis}' must be an array of values`);
  if (values.length === 0 && !allowEmpty) throw new ConfigError(`stash.sweep axis '${axis}' has no values`);
  const seen = new Set<string>();
  for (const value of values as unknown[]) {
    let text: string;
    try {
      text = keyText(value);
    } catch (error) {
      throw new ConfigError(
        `stash.sweep axis '${axis}' has a value that cannot be a key: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    if (seen.has(text)) throw new ConfigError(`stash.sweep axis '${axis}' lists the value ${previewKey(value)} twice`);
    seen.add(text);
  }
  return values as unknown[];
}

/**
 * Checks a sweep's spec: axes with values, each listed once and keyable; chunk sizes that are positive integers, for
 * axes that exist; params a key can carry. (That a chunk is no longer than its axis is checked against the stored
 * axis, which may hold more values than this spec asks for, when the sweep is first used: {@link checkChunkLengths}.)
 */
export function resolveSweepSpec(spec: unknown): ResolvedSweepSpec {
  if (!isPlainObject(spec)) throw new ConfigError('stash.sweep takes a spec object: { params, axes, chunk }');
  checkOptionsObject('stash.sweep', spec, SPEC_FIELDS);
  const params = spec.params === undefined ? {} : spec.params;
  try {
    keyText(params);
  } catch (error) {
    throw new ConfigError(`stash.sweep params cannot be a key: ${(error as Error).message}`, { cause: error });
  }
  const axes = spec.axes;
  if (!isPlainObject(axes)) throw new ConfigError('stash.sweep axes must be an object of arrays: { axis: [values] }');
  const names = Object.keys(axes);
  const values = new Map<string, unknown[]>();
  for (const name of names) values.set(name, checkAxisValues(name, axes[name], false));
  const chunkSpec = spec.chunk ?? {};
  if (!isPlainObject(chunkSpec))
    throw new ConfigError('stash.sweep chunk must be an object: { axis: points per chunk }');
  const chunk = new Map<string, number>(names.map((name) => [name, 1]));
  for (const [name, size] of Object.entries(chunkSpec)) {
    const axis = values.get(name);
    if (axis === undefined)
      throw new ConfigError(`stash.sweep chunk names the axis '${name}', which is not one of ${names.join(', ')}`);
    if (size === undefined) continue;
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 1)
      throw new ConfigError(
        `stash.sweep chunk size of axis '${name}' must be an integer of at least 1, got ${typeof size === 'number' ? size : typeof size}`,
      );
    chunk.set(name, size);
  }
  return { params, names, values, chunk };
}

export function resolveRunOptions(given: SweepRunOptions | undefined, method: string): ResolvedRunOptions {
  if (given === undefined) given = {};
  checkOptionsObject(method, given, RUN_FIELDS);
  const { numProc, signal, select } = given;
  if (numProc !== undefined && (!Number.isInteger(numProc) || numProc < 1))
    failOption(method, 'numProc', 'an integer of at least 1 (leave it out to run in this thread)', numProc);
  if (signal !== undefined && !(signal instanceof AbortSignal)) failOption(method, 'signal', 'an AbortSignal', signal);
  if (select !== undefined && !isPlainObject(select))
    failOption(method, 'select', 'an object: { axis: [values] or { indices } }', select);
  checkType(method, 'progress', given.progress, 'boolean');
  checkType(method, 'flushOnChunk', given.flushOnChunk, 'boolean');
  checkType(method, 'desc', given.desc, 'string');
  return {
    select,
    numProc,
    signal,
    progress: given.progress ?? process.stderr.isTTY === true,
    desc: given.desc,
    flushOnChunk: given.flushOnChunk ?? SWEEP_DEFAULTS.flushOnChunk,
  };
}

/**
 * @throws {@link ConfigError} for a chunk longer than its axis (`lengths`: the stored axis lengths with this spec's
 *   values included).
 */
export function checkChunkLengths(chunk: ReadonlyMap<string, number>, lengths: ReadonlyMap<string, number>): void {
  for (const [name, size] of chunk) {
    const length = lengths.get(name) ?? 0;
    if (size > length)
      throw new ConfigError(
        `stash.sweep chunk size of axis '${name}' must be an integer from 1 to its length ${length}, got ${size}`,
      );
  }
}
