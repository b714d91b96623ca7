/**
 * A process killed with SIGKILL never disposes of its temporary stash; the next process that opens a stash of the
 * same root removes it (files, sub-stashes and server keys), and leaves alone those of processes still running.
 */
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { HashStash, type HashStashOptions } from '../../src/index.js';
import { sweepAbandoned, sweepsSettled } from '../../src/tmp/sweep.js';
import { killAndWait } from '../concurrency/child.js';
import { ENGINE_CASES, engineOptions } from '../tables/engines.js';
import { serverSkip } from '../helpers/servers.js';

t.setTimeout(300_000);

const childScript = fileURLToPath(new URL('./crash-child.js', import.meta.url));

interface ChildReport {
  id: string;
  path: string;
  subPath: string;
  size: number;
}

/** Starts the child and resolves with what it printed once its temporary stash holds data. */
function startChild(t: Test, options: HashStashOptions) {
  const child = spawn(process.execPath, [childScript, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => killAndWait(child));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const report = new Promise<ChildReport>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => resolve(JSON.parse(line) as ChildReport));
    child.once('exit', (code) => reject(new Error(`the child exited (${code}) before it was ready: ${stderr}`)));
  });
  return { child, report };
}

async function sizeAt(options: HashStashOptions): Promise<number> {
  const stash = new HashStash(options);
  try {
    return await stash.size();
  } finally {
    await stash.close();
  }
}

for (const engine of ENGINE_CASES.filter((e) => e.engine !== 'memory')) {
  t.test(
    `a SIGKILLed process's temporary stash is removed by the next open of its root (${engine.engine})`,
    { skip: engine.server ? serverSkip(engine.server) : false },
    async (t) => {
      const options = engineOptions(t, engine);
      const { child, report } = startChild(t, options);
      const { id, path, subPath, size } = await report;
      const root = options.root!;
      const tmpOptions = { ...options, name: `tmp/${id}` };
      const subOptions = { ...options, name: `tmp/${id}/inner` };
      t.ok(existsSync(join(root, '.tmp-registry', `${id}.json`)), 'registered');
      t.equal(size, 100, 'the child wrote its entries');
      // No stash of this root is opened here before the kill: the first one opened after it runs the sweep.

      t.equal(
        await sweepAbandoned({ root, engine: engine.engine, url: options.url }, (options) => new HashStash(options)),
        0,
        'a sweep while the child runs removes nothing',
      );
      t.ok(existsSync(join(root, '.tmp-registry', `${id}.json`)), 'the live child keeps its registry file');
      if (engine.onDisk) t.ok(existsSync(path) && existsSync(subPath), 'and its files');

      await killAndWait(child);
      const next = new HashStash(options);
      t.teardown(() => next.close());
      // Its first use of storage starts the sweep (the constructor touches nothing).
      await next.has('anything');
      await sweepsSettled();
      t.notOk(existsSync(join(root, 'tmp', id)), 'the folder is removed');
      t.notOk(existsSync(join(root, '.tmp-registry', `${id}.json`)), 'the registry file is removed');
      if (!engine.onDisk) {
        t.equal(await sizeAt(tmpOptions), 0, 'the server keys are cleared');
        t.equal(await sizeAt(subOptions), 0, 'so are those of its sub-stash');
      }
    },
  );
}
