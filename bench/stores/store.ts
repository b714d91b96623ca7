/**
 * A key-value store as the stash suite drives it: the library through its facade, or a yardstick written
 * with plain Node. Every store takes and returns JS values, so both sides do the same work.
 */
export interface BenchStore {
  /** The subject name in tables and case ids. */
  readonly name: string;
  readonly yardstick: boolean;
  /** Opens an empty store under `root`, an absolute temp folder of its own. Throws when the store is unavailable. */
  open(root: string): Promise<OpenStore>;
}

export interface OpenStore {
  /** An awaited write; stores that only write synchronously leave it out and offer `setSync`. */
  readonly set: ((key: string, value: unknown) => Promise<unknown>) | undefined;
  readonly setSync: ((key: string, value: unknown) => void) | undefined;
  readonly get: ((key: string) => Promise<unknown>) | undefined;
  readonly getSync: ((key: string) => unknown) | undefined;
  /** Reads every entry back as JS values, handing each to `visit`; resolves to how many there were. */
  iterate(visit: (entry: unknown) => void): Promise<number>;
  /** The folder holding the data, for persistent stores: bytes on disk are measured there. */
  readonly path: string | undefined;
  /** Releases the store; the suite removes the temp root afterwards. */
  close(): Promise<void>;
}
