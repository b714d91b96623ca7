/**
 * Sweeps on lmdb and redis (and a round trip on every other engine): only the selected points are computed, a partial
 * chunk gets only its missing points and is merged, an axis that grows keeps its stored points (also in a partly
 * filled last chunk), a stored superset serves a sub-grid (in this thread and on workers, found by `stash.sweeps`),
 * `stream` gives every point chunk by chunk, a failing point fails alone, an abort keeps what finished, a readonly
 * stash stores nothing, damaged chunks are DecodeErrors, and bad specs and selections are ConfigErrors naming what was
 * wrong.
 */
import t from 'tap';
import {
  ConfigError,
  DecodeError,
  HashStash,
  MapItemError,
  type EngineName,
  type HashStashOptions,
} from '../../src/index.js';
import { encodeKey } from '../../src/keys/encode.js';
import { mongoUrl, redisUrl, serverSkip } from '../helpers/servers.js';

const MAIN_ENGINES: { engine: EngineName; url: string | undefined; skip: string | false }[] = [
  { engine: 'lmdb', url: undefined, skip: false },
  { engine: 'redis', url: redisUrl(), skip: serverSkip('redis') },
];
const OTHER_ENGINES: { engine: EngineName; url: string | undefined; skip: string | false }[] = [
  { engine: 'sqlite', url: undefined, skip: false },
  { engine: 'pairtree', url: undefined, skip: false },
  { engine: 'memory', url: undefined, skip: false },
  { engine: 'mongo', url: mongoUrl(), skip: serverSkip('mongo') },
];

const AXES = { strategy: ['aaa', 'bb', 'c'], seed: [1, 2, 3, 4] };
const PARAMS = { model: 'small', lr: 0.01 };

/** A point function that counts its calls by point. */
function counted() {
  const calls: string[] = [];
  const fn = (point: { strategy: string; seed: number }, params: { model: string }) => {
    calls.push(`${point.strategy}/${point.seed}`);
    return { label: `${params.model}:${point.strategy}:${point.seed}`, at: new Date(point.seed * 1000) };
  };
  return { fn, calls };
}

const expected = (strategy: string, seed: number) => ({
  label: `small:${strategy}:${seed}`,
  at: new Date(seed * 1000),
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

for (const { engine, url, skip } of MAIN_ENGINES) {
  t.test(engine, { skip }, async (t) => {
    const options = (name: string): HashStashOptions => ({ root: t.testdir(), name, engine, ...(url ? { url } : {}) });

    t.test('only the selected points are computed; a rerun reads them all', async (t) => {
      await using stash = new HashStash(options('selected'));
      await using sweep = stash.sweep({ params: PARAMS, axes: AXES, chunk: { seed: 2 } });
      const { fn, calls } = counted();
      const first = await sweep.run(fn, { select: { strategy: ['bb'], seed: [1, 3] } });
      t.same(calls.sort(), ['bb/1', 'bb/3'], 'two points asked, two computed: never the rest of their chunks');
      t.same(
        first.output,
        [
          { point: { strategy: 'bb', seed: 1 }, value: expected('bb', 1) },
          { point: { strategy: 'bb', seed: 3 }, value: expected('bb', 3) },
        ],
        'values in grid order, Dates as Dates',
      );
      t.match(first.diagnostics, { points: 2, chunks: 2, pointsComputed: 2, chunksComputed: 2, pointsRead: 0 });
      const again = await sweep.run(fn, { select: { strategy: { indices: [1] }, seed: { indices: [0, 2] } } });
      t.equal(calls.length, 2, 'selected by indices: the same points, read');
      t.same(again.output, first.output);
      t.match(again.diagnostics, { pointsRead: 2, chunksRead: 2, pointsComputed: 0, chunksComputed: 0 });
      t.same(await sweep.status(), {
        chunks: { total: 6, complete: 0, partial: 2, missing: 4 },
        points: { total: 12, stored: 2, missing: 10 },
      });
    });

    t.test('a partial chunk gets only its missing points, merged with what it has', async (t) => {
      await using stash = new HashStash(options('partial'));
      await using sweep = stash.sweep({ params: PARAMS, axes: AXES, chunk: { strategy: 3, seed: 4 } });
      const { fn, calls } = counted();
      await sweep.run(fn, { select: { strategy: ['aaa'], seed: [2] } });
      t.same(await sweep.status(), {
        chunks: { total: 1, complete: 0, partial: 1, missing: 0 },
        points: { total: 12, stored: 1, missing: 11 },
      });
      calls.length = 0;
      const { output, diagnostics } = await sweep.run(fn);
      t.equal(calls.length, 11, 'the eleven missing points, not the stored one');
      t.notOk(calls.includes('aaa/2'));
      t.equal(output.length, 12);
      for (const { point, value } of output) t.same(value, expected(point.strategy, point.seed));
      t.match(diagnostics, { pointsRead: 1, pointsComputed: 11, partialChunksCompleted: 1, chunksComputed: 1 });
      t.same((await sweep.status()).chunks, { total: 1, complete: 1, partial: 0, missing: 0 });
    });

    t.test('extend: stored points are kept, also in a partly filled last chunk; new ones computed', async (t) => {
      await using stash = new HashStash(options('extend'));
      await using sweep = stash.sweep({
        params: PARAMS,
        axes: { strategy: ['aaa'], seed: [1, 2] },
        chunk: { seed: 2 },
      });
      const { fn, calls } = counted();
      await sweep.run(fn);
      await sweep.extend({ seed: [3, 2, 4, 5] });
      t.same(sweep.axes.seed, [1, 2, 3, 4, 5], 'values already there are left as they are');
      calls.length = 0;
      const { output, diagnostics } = await sweep.run(fn);
      t.same(calls.sort(), ['aaa/3', 'aaa/4', 'aaa/5'], 'only the new values');
      t.same(
        output.map(({ point }) => point.seed),
        [1, 2, 3, 4, 5],
      );
      t.match(diagnostics, { pointsRead: 2, pointsComputed: 3 });

      // A sweep opened later with more values extends the same stored sweep; a last chunk that grows keeps its point.
      await using wider = stash.sweep({
        params: PARAMS,
        axes: { strategy: ['aaa'], seed: [1, 2, 3, 4, 5, 6] },
        chunk: { seed: 2 },
      });
      t.equal(wider.id, sweep.id, 'the same sweep: identity is params, axis names and chunking');
      calls.length = 0;
      const widened = await wider.run(fn);
      t.same(calls, ['aaa/6'], 'seed 5 kept in the chunk that grew to hold 6');
      t.equal(widened.output.length, 6);
      await t.rejects(sweep.extend({ size: [1] } as never), ConfigError, 'an axis the sweep lacks');
    });

    t.test('a stored superset serves a sub-grid, here and on workers, and stash.sweeps finds it', async (t) => {
      await using stash = new HashStash(options('superset'));
      await using full = stash.sweep({ params: PARAMS, axes: AXES, chunk: { strategy: 1, seed: 4 } });
      const { fn, calls } = counted();
      await full.run(fn);
      calls.length = 0;
      await using subset = stash.sweep({
        params: PARAMS,
        axes: { strategy: ['c', 'aaa'], seed: [4, 2] },
        chunk: { strategy: 1, seed: 4 },
      });
      const { output, diagnostics } = await subset.run(fn);
      t.equal(calls.length, 0, 'nothing computed');
      t.same(
        output.map(({ point }) => `${point.strategy}/${point.seed}`),
        ['c/4', 'c/2', 'aaa/4', 'aaa/2'],
        'in the order asked for',
      );
      t.match(diagnostics, { pointsRead: 4, pointsComputed: 0 });
      const onWorkers = await subset.run(
        () => {
          throw new Error('not to be called');
        },
        { numProc: 2 },
      );
      t.same(onWorkers.output, output, 'the parallel runner reads the superset too');

      const exact = await stash.sweeps({ params: PARAMS, axes: { strategy: ['aaa'], seed: [1, 2] } });
      t.equal(exact.length, 0, 'no stored sweep has exactly these values');
      const found = await stash.sweeps({
        params: PARAMS,
        axes: { strategy: ['aaa'], seed: [1, 2] },
        allowSuperset: true,
      });
      t.equal(found.length, 1, 'the superset, with allowSuperset');
      const [sub] = found;
      t.same(sub.chunk, { strategy: 1, seed: 4 }, 'with its chunking');
      t.same(
        (await sub.run(fn)).output.map(({ value }) => value),
        [expected('aaa', 1), expected('aaa', 2)],
      );
      t.equal(calls.length, 0);
      await sub.close();
      const all = await stash.sweeps({ params: PARAMS });
      t.equal(all.length, 1, 'every sweep with these params');
      t.same(all[0].axes, AXES, 'over its whole stored grid');
      await all[0].close();
      t.equal((await stash.sweeps({ params: { model: 'large' } })).length, 0, 'other params: none');
    });

    t.test('stream: every point chunk by chunk, computed where missing', async (t) => {
      await using stash = new HashStash(options('stream'));
      const seeds = Array.from({ length: 600 }, (_, i) => i);
      await using sweep = stash.sweep({ axes: { strategy: ['aaa', 'bb'], seed: seeds }, chunk: { seed: 300 } });
      const calls: number[] = [];
      const fn = (point: { strategy: string; seed: number }) => {
        calls.push(point.seed);
        return point.seed * 2;
      };
      await sweep.run(fn, { select: { strategy: ['bb'] } });
      calls.length = 0;
      const streamed = await collect(sweep.stream(fn));
      t.equal(streamed.length, 1200);
      t.equal(calls.length, 600, 'only the missing half computed');
      t.ok(
        streamed.every(({ point, value }) => value === point.seed * 2),
        'every value belongs to its point',
      );
      t.same(
        streamed.slice(0, 3).map(({ point }) => point),
        [
          { strategy: 'aaa', seed: 0 },
          { strategy: 'aaa', seed: 1 },
          { strategy: 'aaa', seed: 2 },
        ],
      );
      t.same(
        streamed.slice(300, 301).map(({ point }) => point),
        [{ strategy: 'aaa', seed: 300 }],
        'chunk by chunk',
      );
    });

    t.test('a point that fails fails alone: the others are stored, a rerun computes only it', async (t) => {
      await using stash = new HashStash(options('failing'));
      await using sweep = stash.sweep({ params: PARAMS, axes: AXES, chunk: { seed: 4 } });
      const calls: string[] = [];
      const flaky = (point: { strategy: string; seed: number }) => {
        calls.push(`${point.strategy}/${point.seed}`);
        if (point.strategy === 'bb' && point.seed === 3) throw new RangeError('bad seed');
        return point.seed;
      };
      const error = await sweep.run(flaky).catch((caught: unknown) => caught);
      t.type(error, MapItemError);
      t.match((error as Error).message, /bad seed/);
      t.equal(calls.length, 12, 'every point was tried');
      t.same((await sweep.status()).points, { total: 12, stored: 11, missing: 1 });
      calls.length = 0;
      const { output } = await sweep.run((point: { seed: number }) => {
        calls.push('again');
        return point.seed;
      });
      t.same(calls, ['again'], 'only the failed point again');
      t.equal(output.length, 12);

      await using workers = stash.sweep({ params: { on: 'workers' }, axes: AXES });
      const onWorkers = await workers
        .run(
          (point: { seed: number }) => {
            if (point.seed === 2) throw new Error('two');
            return point.seed;
          },
          { numProc: 2 },
        )
        .catch((caught: unknown) => caught);
      t.type(onWorkers, MapItemError, 'on workers: the same error class');
      t.same((await workers.status()).points, { total: 12, stored: 9, missing: 3 });
    });

    t.test('an abort keeps what finished; the rerun computes the rest', async (t) => {
      await using stash = new HashStash(options('abort'));
      await using sweep = stash.sweep({ axes: { x: Array.from({ length: 40 }, (_, i) => i) }, chunk: { x: 5 } });
      const controller = new AbortController();
      let calls = 0;
      const error = await sweep
        .run(
          async (point: { x: number }) => {
            if (++calls === 12) controller.abort(new Error('enough'));
            await new Promise((resolve) => setTimeout(resolve, 1));
            return point.x;
          },
          { signal: controller.signal },
        )
        .catch((caught: unknown) => caught);
      t.match(error, { message: 'enough' });
      const { stored } = (await sweep.status()).points;
      t.ok(stored >= 11 && stored <= 12, `what finished is stored (${stored})`);
      let again = 0;
      const { output, diagnostics } = await sweep.run((point: { x: number }) => {
        again++;
        return point.x;
      });
      t.equal(again, 40 - stored, 'only the rest');
      t.same(
        output.map(({ value }) => value),
        Array.from({ length: 40 }, (_, i) => i),
      );
      t.equal(diagnostics.pointsRead, stored);
    });
  });
}

for (const { engine, url, skip } of OTHER_ENGINES) {
  t.test(`${engine}: a sweep stores, reads and extends`, { skip }, async (t) => {
    await using stash = new HashStash({ root: t.testdir(), name: 'other', engine, ...(url ? { url } : {}) });
    await using sweep = stash.sweep({ params: PARAMS, axes: AXES, chunk: { seed: 3 } });
    const { fn, calls } = counted();
    await sweep.run(fn, { select: { seed: [1] } });
    await sweep.extend({ seed: [5] });
    const { output, diagnostics } = await sweep.run(fn);
    t.equal(calls.length, 15, 'each point once');
    t.equal(output.length, 15);
    t.match(diagnostics, { pointsRead: 3, pointsComputed: 12 });
    for (const { point, value } of output) t.same(value, expected(point.strategy, point.seed));
  });
}

t.test('a readonly stash computes what is missing and stores nothing', async (t) => {
  const root = t.testdir();
  {
    await using stash = new HashStash({ root });
    await using sweep = stash.sweep({ axes: { x: [1, 2, 3] } });
    await sweep.run((point: { x: number }) => point.x, { select: { x: [1] } });
  }
  await using reader = new HashStash({ root, readonly: true });
  await using sweep = reader.sweep({ axes: { x: [1, 2, 3, 4] } });
  const { output, diagnostics } = await sweep.run((point: { x: number }) => point.x * 10);
  t.same(
    output.map(({ value }) => value),
    [1, 20, 30, 40],
  );
  t.match(diagnostics, { pointsRead: 1, pointsComputed: 3, chunksComputed: 0 });
  t.same((await sweep.status()).points, { total: 4, stored: 1, missing: 3 }, 'nothing stored');
});

t.test('a damaged chunk is a DecodeError naming it, never a wrong value', async (t) => {
  await using stash = new HashStash({ root: t.testdir() });
  await using sweep = stash.sweep({ axes: { x: [1, 2, 3, 4] }, chunk: { x: 4 } });
  await sweep.run((point: { x: number }) => point.x);
  await using raw = stash.sub('.hashstash-sweeps', { compress: 'raw', b64: false, appendMode: false });
  const key = encodeKey(['chunk', sweep.id, 0]);
  const blob = Buffer.from((await raw.engine.get(key))!);
  blob[blob.length - 1] ^= 0xff;
  await raw.engine.set(key, blob);
  await t.rejects(
    sweep.run((point: { x: number }) => point.x),
    DecodeError,
  );
  await t.rejects(
    sweep.run((point: { x: number }) => point.x),
    /chunk \[0\] of sweep .* the checksum of the point in slot 3 does not match/,
  );
  const { output } = await sweep.run((point: { x: number }) => point.x, { select: { x: [1, 2, 3] } });
  t.same(
    output.map(({ value }) => value),
    [1, 2, 3],
    'each point has a checksum of its own: the intact ones still read',
  );
  blob[12] ^= 0xff; // the first point's slot: it looks missing, and storing it again reads every stored point first
  await raw.engine.set(key, blob);
  await t.rejects(
    sweep.run((point: { x: number }) => point.x, { select: { x: [1] } }),
    { name: 'DecodeError', message: /checksum of the point in slot 255 does not match/ },
    'a damaged slot: the merge refuses the chunk rather than give its point a fresh checksum',
  );
  blob[4] ^= 0xff; // the count
  await raw.engine.set(key, blob);
  await t.rejects(sweep.status(), { name: 'DecodeError', message: /header checksum does not match/ });
  await raw.engine.set(key, Buffer.from('hostile bytes'));
  await t.rejects(sweep.status(), DecodeError);
});

t.test('bad specs and selections are ConfigErrors naming the axis or value', async (t) => {
  await using stash = new HashStash({ root: t.testdir() });
  const bad = (spec: unknown, pattern: RegExp, why: string) =>
    t.throws(() => stash.sweep(spec as never), { name: 'ConfigError', message: pattern }, why);
  bad({ axes: { seed: [] } }, /axis 'seed' has no values/, 'an empty axis');
  bad({ axes: { seed: [1, 2] }, chunk: { seed: 0 } }, /chunk size of axis 'seed'.*at least 1, got 0/, 'chunk 0');
  await using longChunk = stash.sweep({ axes: { seed: [1, 2] }, chunk: { seed: 3 } });
  await t.rejects(
    longChunk.run((point: { seed: number }) => point.seed),
    { name: 'ConfigError', message: /chunk size of axis 'seed' must be an integer from 1 to its length 2, got 3/ },
    'a chunk past its axis, at first use (a stored superset may have the values)',
  );
  t.equal((await stash.sweeps({})).length, 0, 'and nothing was stored for it');
  bad({ axes: { seed: [1, 2] }, chunk: { size: 1 } }, /chunk names the axis 'size'/, 'a chunk for no axis');
  bad({ axes: { seed: [1, 2, 1] } }, /axis 'seed' lists the value 1 twice/, 'a value twice');
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  bad({ params: cycle, axes: { seed: [1] } }, /params cannot be a key/, 'params with a cycle');
  bad({ axes: { seed: [1], oops: 'x' } }, /axis 'oops' must be an array/, 'an axis that is not an array');
  bad({ axes: { seed: [1, cycle] } }, /axis 'seed' has a value that cannot be a key/, 'an axis value with a cycle');
  bad({ axes: { seed: [1] }, extra: 1 }, /extra/, 'an unknown field');
  await using sweep = stash.sweep({ axes: { strategy: ['a', 'b'], seed: [1, 2] } });
  const fn = (point: { seed: number }) => point.seed;
  await t.rejects(sweep.run(fn, { select: { size: [1] } as never }), { name: 'ConfigError', message: /axis 'size'/ });
  await t.rejects(sweep.run(fn, { select: { seed: [3] } }), {
    name: 'ConfigError',
    message: /3 is not a value of the axis 'seed'/,
  });
  await t.rejects(sweep.run(fn, { select: { seed: { indices: [2] } } }), {
    name: 'ConfigError',
    message: /index 2 is not a position on the axis 'seed'/,
  });
  await t.rejects(sweep.run(fn, { select: { seed: { indices: [0, 0] } } }), {
    name: 'ConfigError',
    message: /select lists the value 1 of the axis 'seed' twice/,
  });
  await t.rejects(sweep.run(fn, { numProc: 0 }), { name: 'ConfigError', message: /numProc/ });
  await t.rejects(sweep.run(fn, { other: 1 } as never), ConfigError);
  let outside = 0;
  await t.rejects(
    sweep.run(() => outside++, { numProc: 1 }),
    { name: 'ClosureError' },
    'a function that cannot travel to a worker, before anything is claimed',
  );
  t.equal(outside, 0);
  await t.rejects(stash.sweeps({ params: {}, other: 1 } as never), ConfigError);
});

t.test('progress: a line on stderr with the counts, named by desc', async (t) => {
  await using stash = new HashStash({ root: t.testdir() });
  await using sweep = stash.sweep({ axes: { x: [1, 2, 3] } });
  const written: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  };
  try {
    await sweep.run((point: { x: number }) => point.x, { progress: true, desc: 'Grid' });
  } finally {
    process.stderr.write = write;
  }
  t.match(written.join(''), /Grid.*3\/3 \(done 3, cached 0, failed 0\)/);
});
