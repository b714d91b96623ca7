/**
 * `hashstash worker` as a real binary: serves a map's queue, prints a ready line, refuses source functions unless
 * started with --trust-code, stops on SIGTERM with exit 0 and a summary; usage errors exit 2.
 */
import { spawn } from 'node:child_process';
import t, { type Test } from 'tap';
import { HashStash, UntrustedCodeError } from '../../src/index.js';
import { runCli, CLI_BIN } from '../helpers/cli.js';
import { requireServer } from '../helpers/servers.js';
import { queueName, WORK } from './helpers.js';

t.setTimeout(120_000);

t.test('usage errors exit 2 and name what is wrong', async (t) => {
  const noName = await runCli(['worker', '--queue', 'redis://127.0.0.1:1']);
  t.equal(noName.code, 2);
  t.match(noName.stderr, /--name/);
  const badCount = await runCli(['worker', '--name', 'q', '--concurrency', 'two']);
  t.equal(badCount.code, 2);
  t.match(badCount.stderr, /--concurrency takes a whole number, got 'two'/);
  const badName = await runCli(['worker', '--name', 'a:b', '--queue', 'redis://127.0.0.1:1']);
  t.equal(badName.code, 2);
  t.match(badName.stderr, /name/);
});

const url = requireServer(t, 'redis');
if (url) {
  /** Starts `hashstash worker …`; resolves with the process once its ready line is out. */
  async function worker(t: Test, args: string[]) {
    const child = spawn(process.execPath, [CLI_BIN, 'worker', '--queue', url!, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('"ready"') || stderr.includes('serving queue')) resolve();
      });
      void exited.then((code) => reject(new Error(`hashstash worker exited with ${code}: ${stderr}`)));
    });
    t.teardown(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    return { child, exited, stderr: () => stderr };
  }

  t.test('serves a queue; SIGTERM stops it with exit 0 and a summary', async (t) => {
    const name = queueName('cli');
    const served = await worker(t, ['--name', name, '--concurrency', '2', '--json']);
    const ready = JSON.parse(served.stderr().split('\n')[0]) as { event: string; queue: string; pid: number };
    t.same([ready.event, ready.queue, ready.pid], ['ready', name, served.child.pid]);
    await using stash = new HashStash({ engine: 'redis', url, root: queueName('cli-root') });
    const results = await stash
      .map({ module: WORK, export: 'work' }, [{ n: 1 }, { n: 2 }], { queue: { url, name } })
      .all();
    t.same(
      results.map((result) => (result as { n: number }).n),
      [1, 2],
    );
    await t.rejects(stash.map((n: number) => n, [1], { queue: { url, name } }).all(), UntrustedCodeError);
    served.child.kill('SIGTERM');
    t.equal(await served.exited, 0);
    const lines = served
      .stderr()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    t.match(lines.at(-1), { event: 'stopped', computed: 2, failed: 1 });
  });

  t.test('--trust-code runs functions shipped as source', async (t) => {
    const name = queueName('cli-trust');
    const served = await worker(t, ['--name', name, '--trust-code']);
    t.match(served.stderr(), /serving queue/);
    await using stash = new HashStash({ engine: 'redis', url, root: queueName('cli-trust-root') });
    t.same(await stash.map((n: number) => n * 3, [1, 2], { queue: { url, name } }).all(), [3, 6]);
    served.child.kill('SIGINT');
    t.equal(await served.exited, 0);
  });
}
