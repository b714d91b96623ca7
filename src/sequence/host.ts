import type { Engine } from '../engines/engine.js';
import type { Lease } from '../lease/lease.js';
import type { LeaseOptions } from '../lease/options.js';

/**
 * What a sequence uses of its own sub-stash: the engine (raw bytes under raw keys, compare-and-set, the change feed,
 * the sync store), the settings items are encoded with, leases (one generator per shard), and close.
 */
export interface SequenceStash {
  readonly engine: Engine;
  readonly options: { readonly serializer: string; readonly trustCode: boolean; readonly readonly: boolean };
  lease(name: string, options: LeaseOptions): Promise<Lease | null>;
  close(): Promise<void>;
}

/** What a sequence uses of the stash it is opened on: a sub-stash, written uncompressed (shards are read in place). */
export interface SequenceParent {
  sub(
    name: string,
    overrides: { readonly compress: 'raw'; readonly b64: false; readonly appendMode: false },
  ): SequenceStash;
}
