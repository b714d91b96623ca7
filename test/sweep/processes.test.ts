/**
 * Sweeps across processes, on lmdb and redis: two processes running one grid at once compute each point once (the
 * chunk leases) and both return every value; a process killed (SIGKILL) mid-run loses only the points it had not
 * stored (a finished chunk, and what an unfinished one had a second ago), and the run that resumes computes only
 * those, once the dead process's lease on its chunk has lapsed (30 s).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { HashStash, type EngineName } from '../../src/index.js';
import { redisUrl, serverSkip } from '../helpers/servers.js';

t.setTimeout(240_000);

const CHILD = fileURLToPath(new URL('./sweep-child.js', import.meta.url));
const ENGINES: { engine: EngineName; url: string | undefined; skip: string | false }[] = [
  { engine: 'lmdb', url: undefined, skip: false },
  { engine: 'redis', url: redisUrl(), skip: serverSkip('redis') },
];

function start(job: object) {
  const child = spawn(process.execPath, [CHILD, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, exit };
}

const calls = (log: string) =>
  existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).map(Number) : [];

for (const { engine, url, skip } of ENGINES) {
  t.test(`${engine}: two processes on one fresh grid compute each point once`, { skip }, async (t) => {
    const root = t.testdir();
    const log = join(root, 'calls.log');
    // Claimed about 256 points at a time (src/sweep/options.ts): three claims each, so both get some.
    const job = { root, engine, url, points: 800, chunk: 8, workMs: 5, log };
    const runs = await Promise.all([start(job).exit, start(job).exit]);
    for (const run of runs) t.equal(run.code, 0, `a process finished with every value right ${run.stderr}`);
    const seen = calls(log);
    t.equal(seen.length, 800, 'one call per point in all');
    t.same(
      [...new Set(seen)].sort((a, b) => a - b),
      Array.from({ length: 800 }, (_, i) => i),
      'each point once',
    );
    const [first, second] = runs.map((run) => JSON.parse(run.stdout) as { pointsComputed: number; pointsRead: number });
    t.equal(first.pointsComputed + second.pointsComputed, 800, 'the work was split, not repeated');
    t.equal(first.pointsRead + first.pointsComputed, 800);
    t.equal(second.pointsRead + second.pointsComputed, 800);
    t.ok(
      first.pointsComputed > 0 && second.pointsComputed > 0,
      `both computed (${first.pointsComputed}, ${second.pointsComputed})`,
    );
  });

  t.test(`${engine}: a process killed mid-run loses only the points it had not stored`, { skip }, async (t) => {
    const root = t.testdir();
    const log = join(root, 'calls.log');
    const job = { root, engine, url, points: 400, chunk: 200, workMs: 10, log };
    const { child, exit } = start(job);
    // 1.4 s into the second chunk, past its first periodic store (a second after it started): killed mid-chunk.
    const deadline = Date.now() + 60_000;
    while (calls(log).length < 340 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill('SIGKILL');
    const killed = await exit;
    t.equal(killed.signal, 'SIGKILL');
    const before = calls(log).length;
    t.ok(before >= 340 && before < 400, `killed after ${before} calls`);

    await using stash = new HashStash({ root, name: 'shared', engine, ...(url ? { url } : {}) });
    await using sweep = stash.sweep({ axes: { x: Array.from({ length: 400 }, (_, i) => i) }, chunk: { x: 200 } });
    const { stored } = (await sweep.status()).points;
    t.ok(stored > 200, `the finished chunk and what the unfinished one had at its periodic store are kept (${stored})`);
    t.ok(stored <= before, 'nothing stored that was not computed');
    const recomputed: number[] = [];
    const { output, diagnostics } = await sweep.run((point: { x: number }) => {
      recomputed.push(point.x);
      return { x: point.x, square: point.x * point.x };
    });
    t.equal(diagnostics.pointsRead, stored, 'every stored point read');
    t.equal(recomputed.length, 400 - stored, 'only the points not stored computed');
    t.ok(
      output.every(({ point, value }) => value.x === point.x && value.square === point.x * point.x),
      'every value right',
    );
  });
}
