// Type tests: stash.sweep. Points are typed by the axes, params by the spec, outputs by the function's return; select
// and chunk name only axes the sweep has. Compiled, never run: see README.md here.
import { expectTypeOf } from 'expect-type';
import type { HashStash, MapSettled, StashMap, Sweep, SweepDiagnostics, SweepResult, SweepStatus } from 'hashstash';

declare const stash: HashStash;

const sweep = stash.sweep({
  params: { model: 'small', lr: 0.01 },
  axes: { strategy: ['aaa', 'bb'], seed: [1, 2, 3, 4] },
  chunk: { seed: 2 },
});
expectTypeOf(sweep).toEqualTypeOf<Sweep<{ strategy: string[]; seed: number[] }, { model: string; lr: number }>>();
expectTypeOf(sweep.chunk).toEqualTypeOf<{ readonly strategy: number; readonly seed: number }>();

// ---- the function gets a typed point and the params; the output is typed by its return ----
const { output, diagnostics } = await sweep.run((point, params) => {
  expectTypeOf(point).toEqualTypeOf<{ strategy: string; seed: number }>();
  expectTypeOf(params).toEqualTypeOf<{ model: string; lr: number }>();
  return { score: point.seed * params.lr };
});
expectTypeOf(output).toEqualTypeOf<SweepResult<{ strategy: string; seed: number }, { score: number }>[]>();
expectTypeOf(diagnostics).toEqualTypeOf<SweepDiagnostics>();
const asyncRun = await sweep.run(async (point) => point.strategy.length);
expectTypeOf(asyncRun.output[0].value).toEqualTypeOf<number>();
expectTypeOf(await sweep.status()).toEqualTypeOf<SweepStatus>();
for await (const { point, value } of sweep.stream((p) => p.seed > 2)) {
  expectTypeOf(point.seed).toEqualTypeOf<number>();
  expectTypeOf(value).toEqualTypeOf<boolean>();
}

// ---- select and extend by the axes' own values ----
await sweep.run((point) => point.seed, { select: { seed: [1, 3] } });
await sweep.run((point) => point.seed, { select: { seed: { indices: [0, 2] }, strategy: ['bb'] } });
// @ts-expect-error a value of the wrong type for the axis
await sweep.run((point) => point.seed, { select: { seed: ['one'] } });
// @ts-expect-error an axis the sweep does not have
await sweep.run((point) => point.seed, { select: { size: [1] } });
await sweep.extend({ seed: [5, 6] });
// @ts-expect-error extend with a value of the wrong type
await sweep.extend({ seed: ['five'] });
await sweep.run((point) => {
  // @ts-expect-error a point field the axes do not have
  const size: unknown = point.size;
  return size;
});
// @ts-expect-error an unknown run option
await sweep.run((point) => point.seed, { workers: 2 });

// @ts-expect-error a chunk for an axis the sweep does not have
stash.sweep({ axes: { seed: [1, 2] }, chunk: { size: 1 } });
// @ts-expect-error an axis that is not an array
stash.sweep({ axes: { seed: 1 } });

// ---- found sweeps, and the map results a runner reads as they settle ----
const found = await stash.sweeps({ params: { model: 'small' }, axes: { seed: [1, 2] }, allowSuperset: true });
expectTypeOf(found).toEqualTypeOf<Sweep<{ seed: number[] }, { model: string }>[]>();
declare const results: StashMap<string, number>;
for await (const settled of results.settled()) {
  expectTypeOf(settled).toEqualTypeOf<MapSettled<string, number>>();
  if (settled.status === 'fulfilled') expectTypeOf(settled.value).toEqualTypeOf<number>();
  else expectTypeOf(settled.reason).toEqualTypeOf<unknown>();
}
