// Every file in examples/ runs as a user runs it, in a process of its own, and prints the facts it shows (that a
// memoized call did not recompute, that a map computed only what was missing, ...): an example cannot rot unseen.
import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));

interface Example {
  /** For each run, in one cache home: patterns that lines of its output must match, in this order. */
  readonly runs: readonly (readonly RegExp[])[];
  /** Writes under the cache home on purpose (a relative root, as a user would); the others leave it empty. */
  readonly keepsCacheHome?: boolean;
  /** Facts the patterns cannot say, checked on the output's lines. */
  readonly check?: (t: Test, lines: string[]) => void;
}

const EXAMPLES: Record<string, Example> = {
  'quick-start.mjs': {
    keepsCacheHome: true,
    runs: [1, 0].map((computations) => [
      /^\{ goodness: 'good', born: 2020-01-01T00:00:00\.000Z \}$/,
      new RegExp(`^square\\(12\\) twice: 144 144 \\| computations: ${computations}$`),
      /^stored in LmdbHashStash\(.*\/quick_start\/main\/lmdb\.hashstash\.lz4\)$/,
    ]),
  },
  'demo.ts': {
    keepsCacheHome: true,
    runs: [
      [
        /^opened LmdbHashStash\(.*\/demo_stash\/main\/lmdb\.hashstash\.lz4\)$/,
        /^get\(\{ size: "big", animal: "dog" \}\) = loyal$/,
        /^get\(new Set\(\["okapi", "zebra"\]\)\) = 42n$/,
        /^size = 4$/,
        /^first call square\(12\) = 144 in [\d.]+ ms \(computations: 1\)$/,
        /^second call square\(12\) = 144 in [\d.]+ ms \(computations: 1\)$/,
      ],
    ],
  },
  'dictionary.ts': {
    runs: [
      [
        /^get\(\{ size, animal \}\) -> loyal \(field order does not matter\)$/,
        /^get\(Set \{ okapi, zebra \}\) -> \{ stripes: true, seen: 2024-05-01T00:00:00\.000Z \}$/,
        /^getMany\(\[1, 1n, "1", \[1\]\]\) -> \[ 'number', 'bigint', 'string', 'object' \] \(four different keys\)$/,
        /^a Date key is its instant: noon in Paris$/,
        /^has\(\[1\]\): true \| get\("absent", "fallback"\): fallback$/,
        /^pop\(1n\): bigint \| has\(1n\) after pop: false$/,
        /^setDefault\("k", "first"\): first \| again with "second": first$/,
        /^sync\.get\(\[1\]\): object$/,
        /^ {2}entry \{ animal: 'dog', size: 'big' \} -> 'loyal'$/,
        /^size: 7$/,
      ],
    ],
  },
  'decorators.ts': {
    runs: [
      [
        /^temperature\(1\) in Paris for me: 20 \(bodies run: 1\)$/,
        /^temperature\(1\) in Paris for you: 20 \(bodies run: 1\)$/,
        /^temperature\(1\) in Oslo: 13 \(bodies run: 2\)$/,
        /^two concurrent calls for day 2: 13 and 13 \(bodies run: 3\)$/,
        /^describe\(19\): warm, again: warm \(bodies run: 4\)$/,
        /^temperature's stash holds 3 results; Oslo day 1 is 13$/,
      ],
    ],
  },
  'parallel-map.ts': {
    runs: [
      [
        /^first map: \[ 111, 118, 178 \] \(3 items: computed 3, read from the stash 0\)$/,
        /^ {2}collatzSteps\(27\) = 111$/,
        /^ {2}collatzSteps\(871\) = 178$/,
        /^ {2}collatzSteps\(6171\) = 261$/,
        /^ {2}collatzSteps\(77031\) = 350$/,
        /^second map: 5 items: computed 2, read from the stash 3$/,
        /^collatzSteps's memo holds 5 results; the stored one for 77031 is 350$/,
      ],
    ],
  },
  'sweeps.ts': {
    runs: [
      [
        /^seeds 1 and 3: 4 points, computed 4$/,
        /^the whole grid: read 4, computed 4, partial chunks completed 4$/,
        /^ {2}\{"point":\{"strategy":"greedy","seed":1\},"value":\{"score":61,"model":"small"\}\}$/,
        /^seeds 5 and 6 added: read 8, computed 4$/,
        /^status: 6 of 6 chunks complete, 12 points$/,
        /^on workers: computed 0$/,
        /^found a superset: \[\{"point":\{"strategy":"beam","seed":2\},"value":\{"score":42,"model":"small"\}\}\], computed 0$/,
        /^streamed score total: 642$/,
      ],
    ],
  },
  'tiers.ts': {
    runs: [
      [
        /^prefetched 3 keys$/,
        /^memory tier: 39 hits, 1 misses; lmdb: 1 hits$/,
        /^after a write elsewhere: renamed$/,
        /^chain: memory > sqlite > lmdb; offloaded some, reloaded some; every budget kept: true$/,
      ],
    ],
  },
  'temporary-stashes.ts': {
    runs: [
      [
        /^inside the block: 3 entries, on disk: true$/,
        /^after the block: on disk: false$/,
        /^withTmp rejected with "the computation failed half-way"; its stash on disk: false$/,
        /^withTmp returned 338350; the parent still holds only 1 entry: in the parent$/,
      ],
    ],
  },
  'append-mode.ts': {
    runs: [
      [
        /^get\(sensor\), the latest: \{ celsius: 22\.5 \}$/,
        /^getAll\(sensor\), oldest first: \[ \{ celsius: 19\.5 \}, \{ celsius: 21 \}, \{ celsius: 22\.5 \} \]$/,
        /^ {2}version 1 at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z: \{"celsius":19\.5\}$/,
        /^ {2}version 2 at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z: \{"celsius":21\}$/,
        /^ {2}version 3 at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z: \{"celsius":22\.5\}$/,
        /^size\(\) counts keys: 2$/,
        /^opened without append mode, get\(sensor\): \{ celsius: 22\.5 \}$/,
        /^after delete\(sensor\), getAll\(sensor\): \[\]$/,
      ],
    ],
  },
  'tables.ts': {
    runs: [
      [
        /^one record: \{ _key: 'bob', age: 27, 'address\.city': 'Porto' \}$/,
        /^ +_key +age +address\.city +address\.zip +tags$/,
        /^\[3 rows × 5 columns\]$/,
        /^columns: \[ '_key', 'age', 'address\.city', 'address\.zip', 'tags' \]$/,
        /^ages, sorted by key: ann 34, bob 27, cy 45$/,
        /^CSV header: _key,age,address\.city,address\.zip,tags$/,
      ],
    ],
  },
  'engines.ts': {
    runs: [
      [
        ...['lmdb', 'sqlite', 'pairtree', 'memory'].map(
          (engine) =>
            new RegExp(
              `^${engine} +rivers Rhône, Saône; population 522250; data in <root>/cities/${engine}\\.hashstash\\.lz4$`,
            ),
        ),
        /^lmdb with lz4 holds 1 entry, lmdb with zlib 0: it lives in <root>\/cities\/lmdb\.hashstash\.zlib$/,
      ],
    ],
  },
  'keyv.ts': {
    runs: [
      [
        /^get: ann, since a Date, roles a Set$/,
        /^after its ttl: undefined; purged from storage: 1$/,
        /^iterator: session:1 -> ann$/,
        /^the 'web' namespace as a HashStash holds 1 entry$/,
        /^cacheable over sqlite: <h1>home<\/h1>$/,
      ],
    ],
  },
  'custom-engine.ts': {
    runs: [
      [
        /^Json-fileHashStash\(.*\/main\/json-file\.hashstash\.lz4\) holds 2 entries$/,
        /^after reopening: rivers Rhône, Saône; \['any', 'key'\] -> 42$/,
        /^the snapshot: 2 entries$/,
      ],
    ],
  },
  'serializers-and-codecs.ts': {
    runs: [
      [
        /^hashstash where: a Point, norm 5; when: 2024-05-01T00:00:00\.000Z; big: 1180591620717411303424n; seen: a Map$/,
        /^devalue +where: a Point, norm 5; when: 2024-05-01T00:00:00\.000Z; big: 1180591620717411303424n; seen: a Map$/,
        /^v8 +where: a plain \{"x":3,"y":4\}; when: 2024-05-01T00:00:00\.000Z; big: 1180591620717411303424n; seen: a Map$/,
        ...[
          'lz4',
          'lz4\\+b64',
          'zlib',
          'zlib\\+b64',
          'gzip',
          'gzip\\+b64',
          'brotli',
          'brotli\\+b64',
          'raw',
          'raw\\+b64',
        ].map((codec) => new RegExp(`^${codec} +stores 103500 characters in \\d+ bytes$`)),
      ],
    ],
    check: (t, lines) => {
      const stored = new Map(
        lines
          .map((line) => /^(\S+) +stores \d+ characters in (\d+) bytes$/.exec(line))
          .filter((match) => match !== null)
          .map((match) => [match[1], Number(match[2])]),
      );
      t.ok(stored.get('raw')! >= 103_500, 'raw stores the text as it is');
      t.ok(Math.abs(stored.get('raw+b64')! / stored.get('raw')! - 4 / 3) < 0.01, 'base64 adds a third');
      for (const codec of ['lz4', 'zlib', 'gzip', 'brotli']) {
        t.ok(stored.get(codec)! < stored.get('raw')! / 20, `${codec} compresses repetitive text to under 5%`);
      }
    },
  },
};

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(file: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [file], { cwd, env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

t.test('every example in examples/ has its expectations here, and every expectation its example', async (t) => {
  const files = (await readdir(join(repo, 'examples'))).filter((name) => /\.(ts|mjs)$/.test(name)).sort();
  t.same(files, Object.keys(EXAMPLES).sort());
});

for (const [name, example] of Object.entries(EXAMPLES)) {
  t.test(`examples/${name} runs and prints what it shows`, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'hashstash-example-test-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    const [cwd, home, temp] = ['cwd', 'home', 'tmp'].map((sub) => join(dir, sub)) as [string, string, string];
    for (const folder of [cwd, home, temp]) await mkdir(folder);
    // A user runs the compiled JavaScript; a plain JavaScript example runs as it is, finding 'hashstash' by the
    // package's own name (package.json exports), as it would in node_modules.
    const file = name.endsWith('.ts')
      ? join(repo, 'dist', 'examples', name.replace(/\.ts$/, '.js'))
      : join(repo, 'examples', name);
    const env = { ...process.env, HASHSTASH_HOME: home, TMPDIR: temp, FORCE_COLOR: '0', NO_COLOR: '1' };

    for (const [index, patterns] of example.runs.entries()) {
      const { code, stdout, stderr } = await run(file, cwd, env);
      const label = example.runs.length > 1 ? ` (run ${index + 1})` : '';
      t.equal(code, 0, `exits 0${label}`, { stderr });
      t.equal(stderr, '', `prints nothing on stderr${label}`);
      const lines = stdout.split('\n');
      let from = 0;
      for (const pattern of patterns) {
        const at = lines.findIndex((line, i) => i >= from && pattern.test(line));
        t.ok(at >= 0, `prints ${pattern}${label}`, at >= 0 ? {} : { stdout });
        if (at >= 0) from = at + 1;
      }
      example.check?.(t, lines);
    }
    t.same(await readdir(temp), [], 'removes what it made in the temp folder');
    if (!example.keepsCacheHome) t.same(await readdir(home), [], 'writes nothing in the cache home');
  });
}
