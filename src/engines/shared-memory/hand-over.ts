import { BroadcastChannel, getEnvironmentData, isMainThread, setEnvironmentData } from 'node:worker_threads';

/**
 * How every thread of the process finds the one shared arena that holds all memory stashes, synchronously.
 *
 * - The main thread creates the arena when hashstash is imported and puts it in the worker environment data
 *   (`setEnvironmentData`), which Node clones into every worker created afterwards, by anyone (stash.map, piscina,
 *   a user's `new Worker`), and on into their nested workers. A SharedArrayBuffer is shared, not copied, by that
 *   clone, so those workers hold the arena from their first line of code, with no message to wait for.
 * - The arena is one growable SharedArrayBuffer: growing it is seen by every thread holding it, so new tables, index
 *   blocks and segments never need handing over again.
 * - A worker created before the main thread imported hashstash did not inherit it: when it imports hashstash it asks
 *   on a BroadcastChannel and any thread holding the arena answers. The answer arrives with the worker's next event
 *   loop turn (a BroadcastChannel cannot be read synchronously), so such a worker shares the arena from its first use
 *   after that turn (any `await` of I/O or a timer will do). Used before an answer came, it starts the arena itself
 *   and announces it to the threads that have none yet.
 */
const ENV_KEY = 'hashstash:memory-arena:v1';
const CHANNEL_NAME = 'hashstash:memory-arena:v1';

/** The arena's byte-length limit: V8 caps a SharedArrayBuffer at 4 GB; a 64 KB margin keeps offsets in uint32 range. */
export const ARENA_MAX_BYTES = 2 ** 32 - 65_536;

type Message = { type: 'ask' } | { type: 'arena'; buffer: SharedArrayBuffer };

interface Growable {
  grow(bytes: number): void;
  readonly maxByteLength: number;
}

let arena: SharedArrayBuffer | undefined;

function adopt(buffer: SharedArrayBuffer): void {
  arena = buffer;
  setEnvironmentData(ENV_KEY, buffer);
}

function isArena(value: unknown): value is SharedArrayBuffer {
  return value instanceof SharedArrayBuffer && (value as unknown as Growable).maxByteLength === ARENA_MAX_BYTES;
}

const channel = new BroadcastChannel(CHANNEL_NAME);
channel.onmessage = (event: unknown) => {
  const data = (event as { data: Message }).data;
  if (data?.type === 'ask' && arena) channel.postMessage({ type: 'arena', buffer: arena } satisfies Message);
  else if (data?.type === 'arena' && !arena && isArena(data.buffer)) adopt(data.buffer);
};
// The channel must never keep a thread alive: it only serves while the thread runs anyway.
channel.unref();

/** `initialBytes` of a new arena are zero and the rest grows on demand, up to ARENA_MAX_BYTES. */
export function createArenaBuffer(initialBytes: number): SharedArrayBuffer {
  const Shared = SharedArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => SharedArrayBuffer;
  return new Shared(initialBytes, { maxByteLength: ARENA_MAX_BYTES });
}

export function growBuffer(buffer: SharedArrayBuffer, bytes: number): void {
  (buffer as unknown as Growable).grow(bytes);
}

let initialBytes = 0;
let initialize: (buffer: SharedArrayBuffer) => void = () => {};

/** Called once by the arena module: how to size and lay out a new arena. */
export function configureArena(bytes: number, layout: (buffer: SharedArrayBuffer) => void): void {
  initialBytes = bytes;
  initialize = layout;
  const inherited = getEnvironmentData(ENV_KEY);
  if (isArena(inherited)) arena = inherited;
  else if (isMainThread) start();
  else channel.postMessage({ type: 'ask' } satisfies Message);
}

function start(): SharedArrayBuffer {
  const buffer = createArenaBuffer(initialBytes);
  initialize(buffer);
  adopt(buffer);
  channel.postMessage({ type: 'arena', buffer } satisfies Message);
  return buffer;
}

/** The process's arena, started here when no thread has handed one over yet. */
export function arenaBuffer(): SharedArrayBuffer {
  return arena ?? start();
}
