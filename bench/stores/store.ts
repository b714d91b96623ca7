import type { ServerKind } from '../servers.js';
import type { Workload } from '../workloads.js';

type WorkloadName = Workload<unknown>['name'];

/**
 * A key-value store as the stash suite drives it: the library through its facade, or a yardstick written
 * with plain Node or a storage library used directly. Every store takes and returns JS values, so both sides
 * do the same work (a raw store encodes and decodes inside its timed operations).
 */
export interface BenchStore {
  /** The subject name in tables and case ids. */
  readonly name: string;
  readonly yardstick: boolean;
  /** For a yardstick: the library subjects it is compared with (it comes along with them). Unset: all of them. */
  readonly peers?: readonly string[];
  /**
   * How a case first writes the workload. `sequential`: one write per entry, awaited (or synchronous), measured
   * as `set` (or `set-sync`). `bulk`: all entries in one `setMany` call, measured as `set-many`; then each single
   * write the store offers is measured on new keys in a timed loop, so stores whose every commit is an fsync are
   * not held to one write per entry of the workload.
   */
  readonly fill: 'sequential' | 'bulk';
  /** The server the store talks to: started before the suite's cases (see bench/servers.ts), its URL from `serverUrl`. */
  readonly server?: ServerKind;
  /** Writes only this many entries of a workload (a server whose reads slow down with the table size); all by default. */
  readonly entries?: number;
  /** The workloads it runs on; all of them by default. */
  readonly workloads?: readonly WorkloadName[];
  /** What each operation runs, by op name: a note in the tables and the results, so a reader knows what was timed. */
  readonly via?: Readonly<Partial<Record<StoreOp, string>>>;
  /** Opens an empty store under `root`, an absolute temp folder of its own. Throws when the store is unavailable. */
  open(root: string): Promise<OpenStore>;
}

export type StoreOp =
  'set' | 'set-sync' | 'set-concurrent' | 'set-many' | 'get' | 'get-sync' | 'get-concurrent' | 'get-many' | 'iterate';

export type Pairs = readonly (readonly [key: string, value: unknown])[];

/** Each operation is optional: the suite measures the ones a store offers. */
export interface OpenStore {
  /** One write, awaited before the next starts. */
  readonly set?: (key: string, value: unknown) => Promise<unknown>;
  /** One synchronous write. */
  readonly setSync?: (key: string, value: unknown) => void;
  /** One write per pair, all started together, then awaited together. */
  readonly setConcurrent?: (pairs: Pairs) => Promise<unknown>;
  /** Every pair in one call: the store's bulk path (one transaction, or its own batches). */
  readonly setMany?: (pairs: Pairs) => Promise<unknown> | void;
  readonly get?: (key: string) => Promise<unknown>;
  readonly getSync?: (key: string) => unknown;
  /** One read per key, all started together, then awaited together (or one pipeline of them); values in the order asked. */
  readonly getConcurrent?: (keys: readonly string[]) => Promise<readonly unknown[]>;
  /** Values for many keys in one call, in the order asked. */
  readonly getMany?: (keys: readonly string[]) => Promise<readonly unknown[]>;
  /** Reads every entry back as JS values, handing each to `visit`; resolves to how many there were. */
  readonly iterate?: (visit: (entry: unknown) => void) => Promise<number>;
  /** The folder holding the data, for persistent stores: bytes on disk are measured there. */
  readonly path: string | undefined;
  /** Releases the store; the suite removes the temp root afterwards. */
  close(): Promise<void>;
}
