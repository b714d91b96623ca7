import type { Engine } from '../engines/engine.js';
import type { Lease } from '../lease/lease.js';
import type { LeaseOptions } from '../lease/options.js';
import type { MapFunction } from '../parallel/function-ref.js';
import type { MapSettled } from '../parallel/map.js';
import type { MapOptions } from '../parallel/options.js';

/** What a sweep uses of the sweeps' sub-stash: the engine (raw keys and values, compare-and-set), settings, leases. */
export interface SweepStash {
  readonly engine: Engine;
  readonly options: { readonly serializer: string; readonly trustCode: boolean; readonly readonly: boolean };
  lease(name: string, options: LeaseOptions): Promise<Lease | null>;
  close(): Promise<void>;
}

/** What a sweep uses of the stash it is opened on: its sub-stash (uncompressed: chunks are read in place) and `map`. */
export interface SweepParent {
  sub(
    name: string,
    overrides: { readonly compress: 'raw'; readonly b64: false; readonly appendMode: false },
  ): SweepStash;
  map<T, R>(
    fn: MapFunction<T, R>,
    items: Iterable<T> & object,
    options?: MapOptions,
  ): { settled(): AsyncIterableIterator<MapSettled<T, Awaited<R>>> };
}

/** The sub-stash every sweep of a stash lives in (a reserved name). */
export const SWEEP_STASH = '.hashstash-sweeps';
