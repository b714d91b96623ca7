/**
 * Runs one writer's load (see load.ts) in a worker thread or a child process, over its own `HashStash` on the
 * compiled library.
 *
 * Worker thread: `new Worker(url, { workerData: job })`; child process: `node load-writer.js '<job as JSON>'`.
 * Protocol, both ways: the writer says `ready` once the library is loaded and the stash opened, waits for `go` (so
 * all writers start together), writes, closes the stash and says `done`. Any failure is reported as `error` with its
 * stack (worker) or on stderr with exit code 1 (child).
 */
import { createInterface } from 'node:readline';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { HashStash } from '../../src/index.js';
import { SHARED_KEY, writeLoad, type WriterJob } from './load.js';

type Message = { ready: true } | { done: true; writer: number } | { error: string };

interface Channel {
  send(message: Message): void;
  go: Promise<void>;
}

function workerChannel(): Channel {
  const port = parentPort!;
  return {
    send: (message) => port.postMessage(message),
    go: new Promise((resolve) => port.once('message', () => resolve())),
  };
}

function processChannel(): Channel {
  const lines = createInterface({ input: process.stdin });
  return {
    send: (message) => process.stdout.write(`${JSON.stringify(message)}\n`),
    go: new Promise((resolve) =>
      lines.once('line', () => {
        lines.close();
        resolve();
      }),
    ),
  };
}

async function main(job: WriterJob, channel: Channel): Promise<void> {
  const stash = new HashStash({ root: job.root, engine: job.engine });
  try {
    await stash.has(SHARED_KEY);
    channel.send({ ready: true });
    await channel.go;
    await writeLoad(stash, job.writer);
  } finally {
    await stash.close();
  }
  channel.send({ done: true, writer: job.writer });
}

if (isMainThread) {
  main(JSON.parse(process.argv[2]) as WriterJob, processChannel()).catch((error) => {
    process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  });
} else {
  const channel = workerChannel();
  main(workerData as WriterJob, channel).catch((error) =>
    channel.send({ error: (error as Error)?.stack ?? String(error) }),
  );
}
