import t from 'tap';
import { ConfigError, HashStash, stashMapped } from '../../src/index.js';
import { defaultNumProc, resolveMapOptions } from '../../src/parallel/options.js';
import { availableParallelism } from 'node:os';

const twice = (x: number) => 2 * x;

t.test('defaults', async (t) => {
  const resolved = resolveMapOptions(undefined, 3);
  t.match(resolved, {
    args: [],
    options: undefined,
    ordered: true,
    precompute: true,
    stashRuns: true,
    stashMap: false,
    force: false,
  });
  t.equal(resolved.numProc, Math.max(1, availableParallelism() - 1));
  t.equal(defaultNumProc(), resolved.numProc);
  t.ok(resolved.numProc >= 1);
  t.equal(resolved.progress, process.stderr.isTTY === true, 'a bar by default only on a terminal');
});

t.test('every option is checked, and the error names it', async (t) => {
  const stash = new HashStash({ root: t.testdir(), engine: 'memory' });
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ numProc: 0 }, /'numProc' must be an integer of at least 1, got number 0/],
    [{ numProc: 1.5 }, /'numProc'/],
    [{ numProc: '2' }, /'numProc'.*got '2'/],
    [{ args: 'x' }, /'args' must be an array/],
    [{ options: {} }, /'options' must be an array with one entry per item \(2\)/],
    [{ options: [1] }, /'options' must have one entry per item: 2 items, 1 options/],
    [{ ordered: 'yes' }, /'ordered' must be a boolean/],
    [{ progress: 1 }, /'progress' must be a boolean/],
    [{ precompute: null }, /'precompute' must be a boolean, got null/],
    [{ stashRuns: 0 }, /'stashRuns' must be a boolean/],
    [{ stashMap: 'no' }, /'stashMap' must be a boolean/],
    [{ force: 1 }, /'force' must be a boolean/],
    [{ desc: 5 }, /'desc' must be a string/],
    [{ signal: {} }, /'signal' must be an AbortSignal/],
    [{ resourceLimits: 64 }, /'resourceLimits' must be an object/],
    [
      { resourceLimits: { maxOldGenerationSizeMb: -1 } },
      /'resourceLimits.maxOldGenerationSizeMb' must be a positive number/,
    ],
    [{ resourceLimits: { heap: 1 } }, /unknown field 'heap'/],
    [{ numproc: 2 }, /unknown stash.map option 'numproc'; valid options are numProc, args/],
  ];
  for (const [options, message] of bad) {
    t.throws(() => stash.map(twice, [1, 2], options), { name: 'ConfigError', message }, JSON.stringify(options));
  }
  t.throws(() => stash.map(twice, [1], [] as never), { name: 'ConfigError', message: /options must be an object/ });
});

t.test('items and the function are checked too', async (t) => {
  const stash = new HashStash({ root: t.testdir(), engine: 'memory' });
  t.throws(() => stash.map(twice, 'abc' as never), {
    name: 'ConfigError',
    message: /items must be an iterable.*not a string/,
  });
  t.throws(() => stash.map(twice, 5 as never), { name: 'ConfigError', message: /items must be an iterable/ });
  t.throws(() => stash.map(42 as never, [1]), {
    name: 'ConfigError',
    message: /takes a function or \{ module, export \}/,
  });
  t.throws(() => stash.map({ module: './relative.js', export: 'f' }, [1]), {
    name: 'ConfigError',
    message: /'module' must be a URL, a file: URL string or an absolute path/,
  });
  t.throws(() => stash.map({ module: '/abs/work.js', export: '' }, [1]), {
    name: 'ConfigError',
    message: /'export' must name/,
  });
  t.throws(() => stash.map({ module: '/abs/work.js', export: 'f', extra: 1 } as never, [1]), {
    name: 'ConfigError',
    message: /unknown field 'extra'/,
  });
  const error = (() => {
    try {
      stash.map(twice, [1], { numProc: -1 });
    } catch (e) {
      return e;
    }
  })();
  t.ok(error instanceof ConfigError);
});

t.test('stashMapped checks its map options when it is made', async (t) => {
  t.throws(() => stashMapped({ root: t.testdir(), engine: 'memory' }, { ordered: 'no' } as never), {
    name: 'ConfigError',
    message: /'ordered'/,
  });
});
