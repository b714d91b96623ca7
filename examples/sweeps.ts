// stash.sweep: a function evaluated over a grid of parameters, stored in chunks of the grid. A run computes only the
// points it asks for that are not stored yet; an axis that grows keeps what is stored; a sub-grid reads one point of
// a chunk without decoding the rest.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HashStash } from 'hashstash';

const root = mkdtempSync(join(tmpdir(), 'hashstash-sweeps-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

await using stash = new HashStash({ root });

// One point of the grid, with the sweep's fixed params. In this thread any function will do (closures too); with
// { numProc } it runs on worker threads through stash.map, so it must be self-contained, as this one is. The
// function is not part of the sweep's identity (params, axis names and chunking are): when it changes, change a
// version in params.
function evaluate(point: { strategy: string; seed: number }, params: { model: string }) {
  return { score: point.strategy.length * 10 + point.seed, model: params.model };
}

await using sweep = stash.sweep({
  params: { model: 'small' },
  axes: { strategy: ['greedy', 'beam'], seed: [1, 2, 3, 4] },
  chunk: { seed: 2 }, // two seeds per chunk, one strategy
});

const some = await sweep.run(evaluate, { select: { seed: [1, 3] } });
console.log(`seeds 1 and 3: ${some.output.length} points, computed ${some.diagnostics.pointsComputed}`);

const all = await sweep.run(evaluate);
const { pointsRead, pointsComputed, partialChunksCompleted } = all.diagnostics;
console.log(
  `the whole grid: read ${pointsRead}, computed ${pointsComputed}, partial chunks completed ${partialChunksCompleted}`,
);
console.log(`  ${JSON.stringify(all.output[0])}`);

await sweep.extend({ seed: [5, 6] });
const grown = await sweep.run(evaluate);
console.log(`seeds 5 and 6 added: read ${grown.diagnostics.pointsRead}, computed ${grown.diagnostics.pointsComputed}`);

const status = await sweep.status();
console.log(
  `status: ${status.chunks.complete} of ${status.chunks.total} chunks complete, ${status.points.stored} points`,
);

// The same sweep run on two worker threads: everything is stored, so no worker is needed.
const parallel = await sweep.run(evaluate, { numProc: 2 });
console.log(`on workers: computed ${parallel.diagnostics.pointsComputed}`);

// Stored sweeps with these params whose grid covers a sub-grid (a superset serves it).
const [found] = await stash.sweeps({
  params: { model: 'small' },
  axes: { strategy: ['beam'], seed: [2] },
  allowSuperset: true,
});
const one = await found.run(evaluate);
console.log(`found a superset: ${JSON.stringify(one.output)}, computed ${one.diagnostics.pointsComputed}`);
await found.close();

let streamed = 0;
for await (const { value } of sweep.stream(evaluate)) streamed += value.score;
console.log(`streamed score total: ${streamed}`);
