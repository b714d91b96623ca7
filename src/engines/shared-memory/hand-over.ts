import { BroadcastChannel, getEnvironmentData, isMainThread, receiveMessageOnPort, setEnvironmentData, type MessagePort } from 'node:worker_threads';

/**
 * How the threads of a process agree on the one shared arena that holds all memory stashes, and find it synchronously.
 * Importing hashstash makes no arena and opens no channel in the main thread; the rules:
 *
 * 1. The arena is made on the first open of a memory stash (the first time a thread needs it), by that thread, unless
 *    it already holds one or has heard of one (rule 4). Nothing else makes one.
 * 2. A thread that holds the arena keeps it in its worker environment data (`setEnvironmentData`), which Node clones
 *    into every worker the thread creates afterwards (stash.map's, piscina's, a user's `new Worker`) and on into their
 *    workers. A SharedArrayBuffer is shared, not copied, by that clone: those workers hold the arena from their first
 *    line of code, `stash.sync` included, with no message to wait for. The arena is one growable SharedArrayBuffer, and
 *    growth is seen by every thread holding it, so nothing needs handing over again.
 * 3. Threads that did not inherit it talk on a BroadcastChannel, opened lazily and unref'd (it never keeps a thread
 *    alive): a thread that holds the arena answers an `ask` with it, and announces it when it makes it. A thread that
 *    has no arena adopts the first arena it hears of (and so hands it to its later workers, rule 2). The channel opens
 *    - in a thread, on its first open of a memory stash;
 *    - in a thread holding no arena, when it starts a worker (process event 'worker'): that worker, or one of its own,
 *      may make the arena, and this thread must hear of it before it makes one itself;
 *    - in a worker that inherited no arena, when it imports hashstash (its parent started it before any arena existed):
 *      so it hears the arena whenever another thread makes it. It asks at once, in case one exists already.
 * 4. Before making an arena, a thread reads the messages already waiting on its channel (`receiveMessageOnPort`, which
 *    needs no event loop turn), so an announcement made before this open is adopted, never split from.
 * What no rule can cover, since threads share nothing before they share the arena: two threads making one at the same
 * moment, or a worker that imported hashstash after the arena was announced and opens a memory stash before the
 * answer to its ask arrives (on its next event loop turn, once the holder's own loop has run). Those threads hold
 * different arenas and share no memory stash; each thread that hears of an arena other than its own gets a process
 * warning (code HASHSTASH_MEMORY_ARENA_SPLIT). Opening a memory stash in the main thread before starting workers
 * avoids both.
 * The names carry the layout's version, so copies of hashstash with other layouts in one process keep apart.
 */
const ENV_KEY = 'hashstash:memory-arena:v3';
const CHANNEL_NAME = 'hashstash:memory-arena:v3';

/** The arena's byte-length limit: V8 caps a SharedArrayBuffer at 4 GB; a 64 KB margin keeps offsets in uint32 range. */
export const ARENA_MAX_BYTES = 2 ** 32 - 65_536;
/** Int32 index of two header words this module fills with a random identity (a handed-over buffer is a new object). */
export const IDENTITY_INDEX = 4;

type Message = { type: 'ask' } | { type: 'arena'; buffer: SharedArrayBuffer };

interface Growable {
  grow(bytes: number): void;
  readonly maxByteLength: number;
}

/** The arena this thread holds: inherited (rule 2) from the start, else adopted or made later. */
let arena: SharedArrayBuffer | undefined = inherited();
let channel: BroadcastChannel | undefined;
let warned = false;

function isArena(value: unknown): value is SharedArrayBuffer {
  return value instanceof SharedArrayBuffer && (value as unknown as Growable).maxByteLength === ARENA_MAX_BYTES;
}

function inherited(): SharedArrayBuffer | undefined {
  const value = getEnvironmentData(ENV_KEY);
  return isArena(value) ? value : undefined;
}

const identity = (buffer: SharedArrayBuffer): string => {
  const ints = new Int32Array(buffer, IDENTITY_INDEX * 4, 2);
  return `${Atomics.load(ints, 0)}:${Atomics.load(ints, 1)}`;
};

function adopt(buffer: SharedArrayBuffer): void {
  arena = buffer;
  setEnvironmentData(ENV_KEY, buffer);
}

function heard(message: Message | undefined): void {
  if (message?.type === 'ask') {
    if (arena) channel!.postMessage({ type: 'arena', buffer: arena } satisfies Message);
  } else if (message?.type === 'arena' && isArena(message.buffer)) {
    if (!arena) adopt(message.buffer);
    else if (identity(message.buffer) !== identity(arena)) warnSplit();
  }
}

function listen(): BroadcastChannel {
  if (channel) return channel;
  const opened = new BroadcastChannel(CHANNEL_NAME);
  opened.onmessage = (event: unknown) => heard((event as { data: Message }).data);
  opened.unref();
  channel = opened;
  if (!arena) opened.postMessage({ type: 'ask' } satisfies Message);
  return opened;
}

/** Handles what is already queued on the channel, now, without waiting for an event loop turn. */
function readWaiting(): void {
  if (!channel) return;
  // Node takes a BroadcastChannel here (since 15.12); @types/node 20 types only MessagePort.
  const port = channel as unknown as MessagePort;
  for (let received = receiveMessageOnPort(port); received; received = receiveMessageOnPort(port)) {
    heard(received.message as Message);
  }
}

function warnSplit(): void {
  if (warned) return;
  warned = true;
  process.emitWarning(
    'another thread of this process made its own memory arena: memory stashes are not shared between this thread and ' +
    'that one (two threads opened their first memory stash at the same moment, or a worker opened one before it heard ' +
    'of the arena; open a memory stash in the main thread before starting workers)',
    { code: 'HASHSTASH_MEMORY_ARENA_SPLIT' });
}

/** `initialBytes` of a new arena are zero and the rest grows on demand, up to ARENA_MAX_BYTES. */
export function createArenaBuffer(initialBytes: number): SharedArrayBuffer {
  const Shared = SharedArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => SharedArrayBuffer;
  return new Shared(initialBytes, { maxByteLength: ARENA_MAX_BYTES });
}

export function growBuffer(buffer: SharedArrayBuffer, bytes: number): void {
  (buffer as unknown as Growable).grow(bytes);
}

/**
 * The process's arena, for a thread opening a memory stash: the one it holds, inherited or heard of, or else a new one
 * of `initialBytes`, laid out by `layOut`, which it announces (rules 1 and 4).
 */
export function arenaBuffer(initialBytes: number, layOut: (buffer: SharedArrayBuffer) => void): SharedArrayBuffer {
  listen();
  readWaiting();
  if (arena) return arena;
  const buffer = createArenaBuffer(initialBytes);
  layOut(buffer);
  const ints = new Int32Array(buffer, IDENTITY_INDEX * 4, 2);
  ints[0] = (Math.random() * 2 ** 32) | 0;
  ints[1] = (Math.random() * 2 ** 32) | 0;
  adopt(buffer);
  channel!.postMessage({ type: 'arena', buffer } satisfies Message);
  return buffer;
}

// Rule 3, the two cases that cannot wait for a first open. Neither opens anything in a main thread that starts no worker.
process.on('worker', () => {
  if (!arena) listen();
});
if (!isMainThread && !arena) listen();
