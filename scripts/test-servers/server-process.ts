import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { executable } from './executables.js';

export interface ServerProcessSpec {
  /** Short name for messages: "redis", "ferretdb". */
  name: string;
  binary: string;
  /** The command line after the binary, given the server's own temp dir. */
  args(dir: string): string[];
  /** One readiness probe: true once the server answers. */
  ready(): Promise<boolean>;
  /** How long start() waits for `ready` before giving up. */
  readyTimeoutMs: number;
}

const POLL_MS = 50;
const STOP_GRACE_MS = 5000;

/** Every server process of this Node process still running, and every temp dir not yet removed: cleaned up on exit. */
const live = new Set<ChildProcess>();
const dirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  removeOrphanedDirs();
}

/** Temp dirs are named `hashstash-<server>-<owner pid>-…`. */
const DIR_PATTERN = /^hashstash-(?:redis|ferretdb)-(\d+)-/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Temp dirs left by a process killed by a signal (no exit hook ran): removed once their owner is gone. */
function removeOrphanedDirs(): void {
  for (const name of readdirSync(tmpdir())) {
    const owner = DIR_PATTERN.exec(name)?.[1];
    if (owner && !alive(Number(owner))) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}

/**
 * Linux's parent-death signal, through util-linux `setpriv`, so a server dies with the process that started it even
 * when that process is killed outright (SIGKILL runs no exit handler). Where `setpriv` is missing, the exit hook is
 * the only guard.
 */
const SETPRIV =
  process.platform === 'linux' ? (executable('/usr/bin/setpriv') ?? executable('/bin/setpriv')) : undefined;

/**
 * One server process in its own temp dir (data, log): started, stopped and started again on the same port and dir,
 * and removed, process and dir, by `dispose()` or when this Node process exits.
 */
export class ServerProcess {
  readonly dir: string;
  readonly logFile: string;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  constructor(readonly spec: ServerProcessSpec) {
    installExitHook();
    this.dir = mkdtempSync(join(tmpdir(), `hashstash-${spec.name}-${process.pid}-`));
    dirs.add(this.dir);
    this.logFile = join(this.dir, `${spec.name}.log`);
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  /** Starts the server and resolves once it answers; rejects with the log's last lines if it exits or stays silent. */
  async start(): Promise<void> {
    if (this.#child) return;
    const logFd = openSync(this.logFile, 'a');
    const args = this.spec.args(this.dir);
    const child = SETPRIV
      ? spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', this.spec.binary, ...args], {
          stdio: ['ignore', logFd, logFd],
          cwd: this.dir,
        })
      : spawn(this.spec.binary, args, { stdio: ['ignore', logFd, logFd], cwd: this.dir });
    closeSync(logFd);
    // A server must not keep its owner alive: the exit hook (or the parent-death signal) ends it with its owner.
    child.unref();
    this.#child = child;
    live.add(child);
    let exitCode: number | string | null | undefined;
    this.#exited = new Promise((resolve) => {
      const done = (code: number | string | null) => {
        exitCode ??= code;
        live.delete(child);
        if (this.#child === child) this.#child = undefined;
        resolve();
      };
      child.once('exit', (code, signal) => done(code ?? signal));
      child.once('error', (error) => done(error.message));
    });

    const deadline = performance.now() + this.spec.readyTimeoutMs;
    while (performance.now() < deadline) {
      if (exitCode !== undefined)
        throw new Error(`${this.spec.name} exited (${exitCode}) before answering${this.#logTail()}`);
      if (await this.spec.ready()) return;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    await this.stop();
    throw new Error(`${this.spec.name} did not answer within ${this.spec.readyTimeoutMs / 1000} s${this.#logTail()}`);
  }

  /** SIGTERM, then SIGKILL if it has not exited after a grace period; resolves once the process is gone. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await this.#exited;
    clearTimeout(timer);
  }

  /** Stops the server for good and removes its temp dir. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
    dirs.delete(this.dir);
  }

  #logTail(): string {
    try {
      const lines = readFileSync(this.logFile, 'utf8').trim().split('\n').slice(-8);
      return lines.length && lines[0] ? `; its log ends:\n  ${lines.join('\n  ')}` : '';
    } catch {
      return '';
    }
  }
}
