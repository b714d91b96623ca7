/**
 * The Node options a stash.map worker starts with. A Worker given no `execArgv` takes the main thread's, and some of
 * those only make sense for the main program: after `node --input-type=module -e '…'` every worker fails to load its
 * entry file ("--input-type can only be used with string input"). So a worker gets the main thread's options less
 * two kinds:
 * - those that say what the main program is or how it runs: --eval/-e, --print/-p, --input-type, --check/-c,
 *   --interactive/-i, --test and --test-*, --watch and --watch-* (Node's own test runner and watch mode strip the
 *   same family from the processes they start);
 * - those Node refuses in a worker's execArgv (ERR_WORKER_INVALID_EXEC_ARGV): V8 options such as --expose-gc or
 *   --max-old-space-size and process-wide ones such as --title. They hold for every thread of the process already,
 *   so nothing is lost. Which options they are is Node's to say: a worker is started, and what Node names in that
 *   error is dropped before the next try.
 * Everything else passes, as Node would pass it: --import, --require and --loader (a worker needs a TypeScript loader
 * to load a `.ts` module), --conditions, --enable-source-maps, --experimental-*, --inspect. NODE_OPTIONS reaches
 * workers through the environment, untouched.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

const MAIN_ONLY =
  /^(?:-e|-p|-pe|-c|-i|--(?:no-)?(?:eval|print|input-type|check|interactive|test|test-.+|experimental-test-.+|watch|watch-.+))$/;

/**
 * `execArgv` without the options `drops` picks, each with its value when that is the next argument: an argument
 * that does not start with '-' is always the value of the option before it, since the script is not in execArgv
 * and Node takes no value that starts with '-' (`node -e -1` is refused).
 */
function without(execArgv: readonly string[], drops: (arg: string) => boolean): string[] {
  const kept: string[] = [];
  for (let index = 0; index < execArgv.length; index++) {
    const arg = execArgv[index];
    if (!drops(arg)) {
      kept.push(arg);
      continue;
    }
    const next = execArgv[index + 1];
    if (!arg.includes('=') && next !== undefined && !next.startsWith('-')) index++;
  }
  return kept;
}

/** `execArgv` without the options that concern the main program only, and their values. */
export function withoutMainOnly(execArgv: readonly string[]): string[] {
  return without(execArgv, (arg) => MAIN_ONLY.test(arg.split('=', 1)[0]));
}

/** `execArgv` without the options Node named in its ERR_WORKER_INVALID_EXEC_ARGV error ("…flags: --a, --b=1"); null for another error. */
function withoutRefused(error: unknown, execArgv: readonly string[]): string[] | null {
  if ((error as { code?: unknown })?.code !== 'ERR_WORKER_INVALID_EXEC_ARGV') return null;
  const message = String((error as Error).message);
  const named = `, ${message.slice(message.indexOf(': ') + 2)}, `;
  return without(execArgv, (arg) => named.includes(`, ${arg}, `));
}

/** Found when the first worker starts, then used for every worker: `undefined` means the main thread's, inherited. */
let settled: { readonly execArgv: string[] | undefined } | undefined;

/** `new Worker(url, options)` with the options this file describes. */
export function startWorker(url: URL, options: Omit<WorkerOptions, 'execArgv'>): Worker {
  if (settled) return new Worker(url, { ...options, execArgv: settled.execArgv });
  const own = withoutMainOnly(process.execArgv);
  // Nothing to take away: inherited, exactly as Node does by default.
  let execArgv = own.length === process.execArgv.length ? undefined : own;
  for (;;) {
    try {
      const worker = new Worker(url, { ...options, execArgv });
      settled = { execArgv };
      return worker;
    } catch (error) {
      const fewer = execArgv ? withoutRefused(error, execArgv) : null;
      // Nothing Node named was there to take away: trying again would fail the same way.
      if (!fewer || fewer.length === execArgv!.length) throw error;
      execArgv = fewer;
    }
  }
}

const INSPECTOR = /^--(?:inspect|inspect-brk|inspect-wait|inspect-port|debug-port)$/;

/**
 * The Node options of a stash.map child process (backend 'processes'): `execArgv` less the options about the main
 * program (as for a worker) and the inspector's (each child would take this process's port, and with --inspect-brk
 * wait for a debugger forever). V8 and process-wide options stay: a process takes them all. The heap limit, when
 * given, comes last, so it wins over one in `execArgv`.
 */
export function childExecArgv(execArgv: readonly string[], maxOldGenerationSizeMb: number | undefined): string[] {
  const kept = without(withoutMainOnly(execArgv), (arg) => INSPECTOR.test(arg.split('=', 1)[0]));
  if (maxOldGenerationSizeMb !== undefined) kept.push(`--max-old-space-size=${Math.ceil(maxOldGenerationSizeMb)}`);
  return kept;
}
