import { fork } from 'node:child_process';
import { constants } from 'node:os';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { childExecArgv } from './exec-argv.js';
import { rebuildError, type ChildMessage, type ParentMessage } from './messages.js';
import { TaskPool, WorkerDeath, type MemberEvents, type PoolMember, type PoolOptions } from './pool.js';

/** The compiled child entry beside this file (dist/src/parallel/child.js). */
const CHILD_PATH = fileURLToPath(new URL('./child.js', import.meta.url));

/** How long an idle child may take to exit once its channel is closed, before it is killed. */
const EXIT_GRACE_MS = 5_000;

/** The line V8 writes on stderr before it aborts a process out of heap ("FATAL ERROR: … JavaScript heap out of memory"). */
const OUT_OF_MEMORY = /^[^\n]*(?:FATAL ERROR|Fatal)[^\n]*out of memory[^\n]*$/m;

/** An error made here about a child: this process's stack would say nothing about it, so it has none. */
function childError(message: string): Error {
  const error = new Error(message);
  error.stack = `Error: ${message}`;
  return error;
}

/**
 * Passes a child's stderr on to this process's, and watches it for V8's out-of-memory line, the only sign a process
 * gives of that death (it then aborts: SIGABRT). Returns what found it, once the stream has ended.
 */
function watchStderr(stderr: Readable): () => string | undefined {
  let found: string | undefined;
  let partial = '';
  const scan = (text: string) => (found ??= OUT_OF_MEMORY.exec(text)?.[0]);
  stderr.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    if (found) return;
    const text = partial + chunk.toString('latin1');
    const end = text.lastIndexOf('\n') + 1;
    scan(text.slice(0, end));
    partial = text.slice(end).slice(-4096);
  });
  return () => found ?? scan(partial);
}

/** How a child's end reads to the map: the signal, V8's out-of-memory line or its uncaught error, when there is one. */
function death(
  code: number | null,
  signal: NodeJS.Signals | null,
  crash: Error | undefined,
  outOfMemory: string | undefined,
): WorkerDeath {
  // A shell's convention for a process killed by a signal: 137 for SIGKILL.
  const exitCode = code ?? 128 + (signal ? constants.signals[signal] : 0);
  const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  if (outOfMemory)
    return new WorkerDeath('out-of-memory', exitCode, childError(`the child process ${how}: ${outOfMemory}`));
  if (crash) return new WorkerDeath('uncaught-error', exitCode, crash);
  if (signal) return new WorkerDeath('exit', exitCode, childError(`the child process ${how}`));
  return new WorkerDeath('exit', exitCode, undefined);
}

/**
 * The pool of child processes (backend 'processes'): the scheduling of TaskPool, with `child_process.fork` of the
 * child entry for workers. Values cross the IPC channel as the stash serializer's bytes ('advanced' serialization
 * carries a Uint8Array as it is). `resourceLimits.maxOldGenerationSizeMb` becomes the child's --max-old-space-size.
 * Stopping kills a busy child at once (SIGKILL) and tells an idle one to exit, so it ends as a process should (exit
 * handlers, coverage); one that takes longer than EXIT_GRACE_MS is killed.
 */
export class ProcessPool extends TaskPool {
  readonly #execArgv: string[];

  constructor(options: PoolOptions) {
    super(options);
    this.#execArgv = childExecArgv(process.execArgv, options.resourceLimits?.maxOldGenerationSizeMb);
  }

  protected start(events: MemberEvents): PoolMember {
    const child = fork(CHILD_PATH, [], {
      execArgv: this.#execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    const outOfMemory = watchStderr(child.stderr!);
    /** The uncaught error the child reported before it exited, or the error spawning it. */
    let crash: Error | undefined;
    let exited = false;
    let grace: NodeJS.Timeout | undefined;
    const closed = new Promise<void>((resolve) => {
      const exit = (code: number | null, signal: NodeJS.Signals | null) => {
        if (exited) return;
        exited = true;
        clearTimeout(grace);
        events.exit(death(code, signal, crash, outOfMemory()));
        resolve();
      };
      // 'close', not 'exit': it comes once the channel and stderr are drained, so every message and line is in.
      child.on('close', exit);
      child.on('error', (error) => {
        // Spawning failed, and no 'close' may follow. (A kill or a send that failed met a child on its way out: the
        // 'close' that follows says how it went.)
        if (child.pid !== undefined) return;
        crash ??= error;
        exit(null, null);
      });
    });
    child.on('message', (message: ChildMessage) => {
      if (message.type !== 'crash') return events.message(message);
      crash = rebuildError(message.error);
      events.dying();
    });
    const send = (message: ParentMessage) => child.send(message);
    send({ setup: this.options.setup });
    return {
      send,
      stop: (busy) => {
        if (exited) return closed;
        if (busy) child.kill('SIGKILL');
        else if (grace === undefined) {
          // Not disconnect(): a channel closed from this side gets no 'close' event (Node 20).
          if (child.connected) send({ stop: true });
          grace = setTimeout(() => child.kill('SIGKILL'), EXIT_GRACE_MS);
        }
        return closed;
      },
    };
  }
}
