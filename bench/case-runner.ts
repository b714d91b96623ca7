import { isDeepStrictEqual } from 'node:util';
import { performance } from 'node:perf_hooks';
import { diskUsage, type DiskUsage } from './disk-usage.js';
import { collectGarbage, timeLoop, timeLoopAsync, timeOnce, type Timing } from './measure.js';
import { RssSampler } from './rss.js';
import type { BenchStore, OpenStore, Pairs, StoreOp } from './stores/store.js';
import type { Workload } from './workloads.js';

/** Every this many operations a loop samples the resident memory. */
const RSS_EVERY = 256;

/** A store that neither opens nor fails within this long is reported missing. */
const OPEN_TIMEOUT_MS = 15_000;

export interface CaseSettings {
  readonly store: BenchStore;
  /** An empty temp folder of the case's own. */
  readonly root: string;
  readonly workload: Workload<unknown>;
  /** Timed loops run at least this long; single-write loops `singleWriteFactor` times as long. */
  readonly minMs: number;
  /** Sequential fills stop after this long (the entries written are what the reads use); unset: write them all. */
  readonly fillMs?: number;
  /** The reads and writes to time beside the fill; the fill is always timed. */
  readonly ops: ReadonlySet<StoreOp>;
  /** For stores filled in bulk: `set`/`set-sync` loops of single writes to new keys run this many times `minMs`. */
  readonly singleWriteFactor: number;
  /** Measure disk use after closing (persistent stores). */
  readonly measureDisk: boolean;
}

export interface CaseOutcome {
  readonly timings: Map<StoreOp, Timing>;
  /** The op the fill was timed as: `set-many`, `set` or `set-sync`. */
  readonly fillOp: StoreOp;
  /** Entries the fill wrote; reads go over these. */
  readonly entries: number;
  /** Entries in the store when it closed (the fill plus single-write loops). */
  readonly stored: number;
  readonly rss: { peakMiB: number; growthMiB: number };
  readonly disk: DiskUsage | undefined;
}

/** Opens a store, or fails after OPEN_TIMEOUT_MS: a server engine that neither connects nor fails is reported missing. */
export async function openWithTimeout(store: BenchStore, root: string): Promise<OpenStore> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not open within ${OPEN_TIMEOUT_MS / 1000} s`)), OPEN_TIMEOUT_MS);
  });
  try {
    return await Promise.race([store.open(root), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Writes in key order: all at once for bulk stores, else one by one until all are written or `fillMs` has passed. */
async function fill(settings: CaseSettings, opened: OpenStore, rss: RssSampler): Promise<{ op: StoreOp; timing: Timing }> {
  const { store, workload, fillMs = Infinity } = settings;
  const { keys, values } = workload;
  const count = Math.min(store.entries ?? Infinity, keys.length);
  collectGarbage();
  if (store.fill === 'bulk' && opened.setMany) {
    const setMany = opened.setMany;
    const pairs: Pairs = keys.slice(0, count).map((key, i) => [key, values[i]]);
    return { op: 'set-many', timing: await timeOnce(async () => { await setMany(pairs); return count; }) };
  }
  const start = performance.now();
  const within = (i: number) => i < count && (i === 0 || performance.now() - start < fillMs);
  if (opened.set) {
    const set = opened.set;
    return { op: 'set', timing: await timeOnce(async () => {
      let i = 0;
      for (; within(i); i++) {
        if (i % RSS_EVERY === 0) rss.sample();
        await set(keys[i]!, values[i]);
      }
      return i;
    }) };
  }
  const setSync = opened.setSync;
  if (!setSync) throw new Error('the store offers no way to write');
  return { op: 'set-sync', timing: await timeOnce(() => {
    let i = 0;
    for (; within(i); i++) {
      if (i % RSS_EVERY === 0) rss.sample();
      setSync(keys[i]!, values[i]);
    }
    return i;
  }) };
}

async function measureReads(settings: CaseSettings, opened: OpenStore, entries: number, rss: RssSampler, timings: Map<StoreOp, Timing>) {
  const { workload, minMs, ops } = settings;
  const { keys, values } = workload;
  const order = entries === keys.length ? workload.readOrder : workload.readOrder.filter((index) => index < entries);
  const probe = order[0]!;
  const readBack = opened.getSync ? opened.getSync(keys[probe]!) : await opened.get?.(keys[probe]!);
  if (!isDeepStrictEqual(readBack, values[probe])) throw new Error(`reading ${keys[probe]} gave back a different value`);
  const keyAt = (i: number) => keys[order[i % order.length]!]!;

  if (ops.has('get') && opened.get) {
    const get = opened.get;
    collectGarbage();
    timings.set('get', await timeLoopAsync((i) => {
      if (i % RSS_EVERY === 0) rss.sample();
      return get(keyAt(i));
    }, minMs));
  }
  if (ops.has('get-sync') && opened.getSync) {
    const getSync = opened.getSync;
    collectGarbage();
    timings.set('get-sync', timeLoop((i) => {
      if (i % RSS_EVERY === 0) rss.sample();
      return getSync(keyAt(i));
    }, minMs));
  }
  if (ops.has('iterate') && opened.iterate) {
    const iterate = opened.iterate;
    collectGarbage();
    let passes = 0;
    let seen = 0;
    const iteration = await timeLoopAsync(async () => {
      const count = await iterate(() => {
        if (++seen % RSS_EVERY === 0) rss.sample();
      });
      if (count !== entries) throw new Error(`iteration gave ${count} entries, ${entries} were written`);
      passes++;
    }, minMs);
    timings.set('iterate', { ops: passes * entries, seconds: iteration.seconds });
  }
}

/** Single writes of new keys, for stores filled in bulk; returns how many were written. */
async function measureSingleWrites(settings: CaseSettings, opened: OpenStore, timings: Map<StoreOp, Timing>): Promise<number> {
  const { workload, minMs, ops, singleWriteFactor } = settings;
  const valueAt = (i: number) => workload.values[i % workload.values.length];
  let written = 0;
  if (ops.has('set') && opened.set) {
    const set = opened.set;
    collectGarbage();
    const timing = await timeLoopAsync((i) => set(`set-${i}`, valueAt(i)), minMs * singleWriteFactor);
    timings.set('set', timing);
    written += timing.ops;
  }
  if (ops.has('set-sync') && opened.setSync) {
    const setSync = opened.setSync;
    collectGarbage();
    const timing = timeLoop((i) => setSync(`set-sync-${i}`, valueAt(i)), minMs * singleWriteFactor);
    timings.set('set-sync', timing);
    written += timing.ops;
  }
  return written;
}

/**
 * One store on one workload in its own temp root: fill, read (awaited, synchronous, iteration: what `ops` asks and
 * the store offers), then, for bulk stores, single writes; close, and measure the disk. The resident memory is
 * sampled throughout. Timings measured before a failure are lost with it: the case is reported missing instead.
 */
export async function runCase(settings: CaseSettings): Promise<CaseOutcome> {
  const rss = new RssSampler();
  const timings = new Map<StoreOp, Timing>();
  let opened: OpenStore | undefined;
  try {
    opened = await openWithTimeout(settings.store, settings.root);
    const filled = await fill(settings, opened, rss);
    timings.set(filled.op, filled.timing);
    const entries = filled.timing.ops;
    await measureReads(settings, opened, entries, rss, timings);
    const extra = settings.store.fill === 'bulk' ? await measureSingleWrites(settings, opened, timings) : 0;
    const toClose = opened;
    opened = undefined;
    await toClose.close();
    const disk = settings.measureDisk && toClose.path ? diskUsage(toClose.path) : undefined;
    return { timings, fillOp: filled.op, entries, stored: entries + extra, rss: rss.stop(), disk };
  } finally {
    rss.stop();
    await opened?.close().catch(() => {});
  }
}
