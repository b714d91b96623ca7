import type { Redis } from 'ioredis';
import type { HashStashError } from '../../errors.js';

/**
 * The redis engine's per-tick batching: what one tick issues is queued (connection.ts) and cut here into runs, each
 * sent as one command: consecutive gets (or sets) of one hash become one HMGET (or HSET); has and delete go one
 * command each. These functions cut runs and settle their operations from a reply; connection.ts sends them.
 */

/** A run of queued gets or sets becomes one HMGET or HSET of up to this many keys or bytes. */
const RUN_KEYS = 1_000;
const RUN_BYTES = 4 * 1024 * 1024;

/** What the queue carries: single-key operations, and whole commands (size, clear, getMany…) that keep their place. */
export const Op = { Get: 0, Set: 1, Has: 2, Delete: 3, Command: 4 } as const;
export type Op = (typeof Op)[keyof typeof Op];
export type KeyOp = typeof Op.Get | typeof Op.Set | typeof Op.Has | typeof Op.Delete;
export const DOING = ['read from', 'write to', 'read from', 'delete from'] as const;

/** Turns a failure into the typed error the caller sees, naming the stash. */
export type Failure = (error: unknown, doing: string) => HashStashError;
/** A get's reply as its caller sees it: undefined when absent, or (on a stash that hides them) expired. */
export type Live = (reply: Buffer | null) => Buffer | undefined;
/** A whole command, sent on the ready client. */
export type Command<T> = (client: Redis) => Promise<T>;

/** One queued operation and how to settle its caller's promise. */
export interface Queued {
  op: Op;
  hash: Buffer;
  field: Buffer;
  value: Buffer | undefined;
  /** For single-key operations; a command's caller turns its failures into typed errors itself. */
  fail: Failure | undefined;
  /** For gets: the reply as the caller sees it (undefined for an absent or expired blob). */
  live: Live | undefined;
  command: Command<unknown> | undefined;
  resolve(result: unknown): void;
  reject(error: unknown): void;
}

/** Where the run of operations starting at `start` ends. */
export function runEnd(queue: Queued[], start: number): number {
  const first = queue[start];
  if (first.op !== Op.Get && first.op !== Op.Set) return start + 1;
  let bytes = first.field.byteLength + (first.value?.byteLength ?? 0);
  let end = start + 1;
  for (; end < queue.length && end - start < RUN_KEYS && bytes < RUN_BYTES; end++) {
    const next = queue[end];
    if (next.op !== first.op || next.hash !== first.hash) break;
    bytes += next.field.byteLength + (next.value?.byteLength ?? 0);
  }
  return end;
}

/** Settles the operations of one run from the run's reply (or its error). */
export function settle(queue: Queued[], start: number, end: number, error: unknown, reply: unknown): void {
  if (error) {
    for (let i = start; i < end; i++) rejectQueued(queue[i], error);
    return;
  }
  const op = queue[start].op;
  if (op === Op.Get) {
    if (end - start === 1) resolveGet(queue[start], reply as Buffer | null);
    else for (let i = start; i < end; i++) resolveGet(queue[i], (reply as (Buffer | null)[])[i - start] ?? null);
  } else if (op === Op.Set) {
    for (let i = start; i < end; i++) queue[i].resolve(undefined);
  } else {
    queue[start].resolve(reply === 1);
  }
}

function resolveGet(queued: Queued, reply: Buffer | null): void {
  queued.resolve(queued.live ? queued.live(reply) : (reply ?? undefined));
}

/** Rejects one queued operation, with the typed error of its stash where it has one. */
export function rejectQueued(queued: Queued, error: unknown): void {
  queued.reject(queued.fail ? queued.fail(error, DOING[queued.op as KeyOp]) : error);
}

/** The fields of a run, for one HMGET. */
export function fieldsOf(queue: Queued[], start: number, end: number): Buffer[] {
  const fields = new Array<Buffer>(end - start);
  for (let i = start; i < end; i++) fields[i - start] = queue[i].field;
  return fields;
}

/** The fields and values of a run, interleaved, for one HSET. */
export function pairsOf(queue: Queued[], start: number, end: number): Buffer[] {
  const pairs = new Array<Buffer>(2 * (end - start));
  for (let i = start; i < end; i++) {
    pairs[2 * (i - start)] = queue[i].field;
    pairs[2 * (i - start) + 1] = queue[i].value!;
  }
  return pairs;
}
