import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Engine } from '../engines/engine.js';
import type { BlobFormat } from '../format/blob.js';
import { encodeKey } from '../keys/encode.js';
import { noCompareAndSet } from '../set-if-absent.js';
import type { ResolvedOptions } from '../options.js';
import { blobFormat } from '../stash-format.js';

/**
 * Where a stash keeps its leases: the sub-stash `<name>/.hashstash-leases` of the stash (`stash.sub(LEASE_STASH)`),
 * so lease names never meet the stash's own keys. The name is reserved: a sub-stash of your own must not use it.
 * It is written with the `hashstash` serializer, uncompressed and without base64, whatever the stash's settings (so
 * stashes that differ only in those share their leases), and on the memory engine
 * never evicts (an evicted lease would be free to take while its holder works).
 */
export const LEASE_STASH = '.hashstash-leases';

/** The options a stash's lease sub-stash is opened with, beside the stash's own. */
export const LEASE_STASH_OPTIONS = {
  serializer: 'hashstash',
  compress: 'raw',
  b64: false,
  evict: 'none',
  appendMode: false,
} as const;

/** What one lease record holds: a random token naming this holding, and, for people, who holds it. */
export interface LeaseRecord {
  readonly owner: string;
  readonly pid: number;
  readonly host: string;
}

/** What leases use of their sub-stash: its engine, the options its blobs are written with, and close. */
export interface LeaseStash {
  readonly engine: Engine;
  readonly options: Pick<ResolvedOptions, 'serializer' | 'compress' | 'b64' | 'trustCode'>;
  close(): Promise<void>;
}

/** What leases use of the stash they serve: a sub-stash opened with options of their own. */
export interface LeaseParent {
  sub(name: string, options: typeof LEASE_STASH_OPTIONS): LeaseStash;
}

/** The lease sub-stash of one stash object, with the clock of that stash. */
export class LeaseStore {
  readonly stash: LeaseStash;
  readonly now: () => number;
  readonly #format: BlobFormat;
  #closings = 0;

  constructor(stash: LeaseStash, now: () => number) {
    this.stash = stash;
    this.now = now;
    this.#format = blobFormat(stash.options);
  }

  get engine(): Engine {
    return this.stash.engine;
  }

  /** The stored key of lease `name`. */
  key(name: string): Uint8Array {
    return encodeKey(name);
  }

  /** A new random owner token. */
  static token(): string {
    return randomBytes(16).toString('base64url');
  }

  /** The blob of a lease held by `owner` until `expiresAt` (ms since the epoch, by this stash's clock). */
  record(owner: string, expiresAt: number): Uint8Array {
    const record: LeaseRecord = { owner, pid: process.pid, host: hostname() };
    return this.#format.pack(record, expiresAt);
  }

  /** The engine's compare-and-set; UnsupportedError naming an engine without one. */
  compareAndSet(key: Uint8Array, expected: Uint8Array | undefined, next: Uint8Array | undefined): Promise<boolean> {
    const { engine } = this;
    if (typeof engine.compareAndSet !== 'function') return Promise.reject(noCompareAndSet(engine, 'lease'));
    return engine.compareAndSet(key, expected, next);
  }

  /** The blob stored now under `key`, expired or not (where the engine still returns it). */
  read(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.engine.get(key);
  }

  /** How many times the store was closed: leases taken before a close renew themselves no more (see Lease). */
  get closings(): number {
    return this.#closings;
  }

  /** Closes the sub-stash; the next lease opens it again. */
  close(): Promise<void> {
    this.#closings++;
    return this.stash.close();
  }
}
