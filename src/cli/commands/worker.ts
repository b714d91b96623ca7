import { ConfigError } from '../../errors.js';
import { serveStashQueue } from '../../lazy-exports.js';
import { UsageError } from '../usage-error.js';

interface WorkerOptions {
  readonly queue?: string;
  readonly name?: string;
  readonly concurrency: string;
  readonly trustCode?: boolean;
  readonly lockDuration?: string;
  readonly stalledInterval?: string;
  readonly maxStalled?: string;
  readonly stashUrl?: string[];
  readonly json?: boolean;
}

function count(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number))
    throw new UsageError(`${flag} takes a whole number, got '${value}'`);
  return number;
}

const say = (json: boolean | undefined, event: object, text: string) =>
  process.stderr.write(`${json ? JSON.stringify(event) : `hashstash worker: ${text}`}\n`);

/**
 * `hashstash worker`: serves a `stash.map` queue until SIGINT or SIGTERM, which let the jobs running finish (a second
 * one stops at once: their locks lapse and other workers run them again). One line on stderr once it takes jobs.
 */
export async function run(options: WorkerOptions): Promise<void> {
  if (!options.name)
    throw new UsageError("hashstash worker needs --name <queue>, the name the producers' queue option gives");
  const settings = {
    url: options.queue,
    name: options.name,
    concurrency: count('--concurrency', options.concurrency),
    trustCode: options.trustCode === true,
    lockDuration: count('--lock-duration', options.lockDuration),
    stalledInterval: count('--stalled-interval', options.stalledInterval),
    maxStalledCount: count('--max-stalled', options.maxStalled),
    stashUrls: options.stashUrl ?? [],
  };
  let worker;
  try {
    worker = await serveStashQueue(settings);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
  const { name, url } = worker;
  say(
    options.json,
    { event: 'ready', queue: name, url, pid: process.pid, concurrency: settings.concurrency ?? 1 },
    `serving queue '${name}' on ${url} (pid ${process.pid}); Ctrl-C to stop`,
  );
  let stopped = () => {};
  await new Promise<void>((resolve) => {
    let signals = 0;
    const stop = (signal: NodeJS.Signals) => {
      signals++;
      say(
        options.json,
        { event: 'stopping', signal, force: signals > 1 },
        signals > 1 ? 'stopping now' : 'stopping once the running jobs finish (again to stop now)',
      );
      void worker.close({ force: signals > 1 }).then(resolve, resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    stopped = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    };
  });
  stopped();
  const { computed, cached, failed } = worker.counts;
  say(
    options.json,
    { event: 'stopped', computed, cached, failed },
    `stopped: ${computed} computed, ${cached} already stored, ${failed} failed`,
  );
}
