import type { Engine, EngineStats } from './engines/engine.js';
import type { BlobFormat } from './format/blob.js';

/** Reads through one stash object (its async API and its sync view) that found a value, and that did not. */
export interface ReadCounts {
  hits: number;
  misses: number;
}

/** The value of the blob a read found, or `fallback` when it found none; counted as a hit or a miss. */
export function countedRead(
  reads: ReadCounts,
  format: BlobFormat,
  blob: Uint8Array | undefined,
  fallback: unknown,
): unknown {
  if (blob === undefined) {
    reads.misses++;
    return fallback;
  }
  reads.hits++;
  return format.unpack(blob);
}

/** What `stash.stats()` gives: always hits, misses and entries; the rest where the engine counts it cheaply. */
export type StashStats = Pick<EngineStats, 'hits' | 'misses' | 'entries'> & Partial<EngineStats>;

/**
 * The stash's own read counts merged with the engine's counters. Hits and misses are counted by the stash object,
 * not the engine, so they cost a read nothing shared; an engine without `stats` gives its entries through `size()`.
 */
export async function stashStats(engine: Engine, reads: ReadCounts): Promise<StashStats> {
  const counted = (await engine.stats?.()) ?? {};
  const entries = counted.entries ?? (await engine.size());
  return { ...counted, entries, hits: reads.hits, misses: reads.misses };
}
