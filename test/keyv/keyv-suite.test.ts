/**
 * keyv's published storage-adapter suite (@keyv/test-suite 2.1: API, values, namespaces and iterator tests) against
 * KeyvHashStash on every engine. The suite is written for vitest, so this starts vitest on keyv-suite.spec.ts (compiled)
 * and reports its results per engine here.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serverSkip } from '../helpers/servers.js';

const projectRoot = fileURLToPath(new URL('../../..', import.meta.url));
const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
const ENGINES = ['lmdb', 'sqlite', 'pairtree', 'memory', 'redis', 'mongo'] as const;

interface VitestReport {
  testResults: {
    assertionResults: { ancestorTitles: string[]; title: string; status: string; failureMessages: string[] }[];
  }[];
}

const skipped = new Map(
  ENGINES.map((engine) => [engine, engine === 'redis' || engine === 'mongo' ? serverSkip(engine) : false] as const),
);
const engines = ENGINES.filter((engine) => !skipped.get(engine));
for (const [engine, reason] of skipped)
  if (reason) t.test(`${engine}: keyv's adapter suite`, { skip: reason }, () => {});

t.test("keyv's adapter suite on every engine", async (t) => {
  const output = join(t.testdir(), 'vitest.json');
  const run = spawnSync(
    process.execPath,
    [
      vitest,
      'run',
      '--config',
      'test/keyv/vitest.config.mjs',
      '--root',
      projectRoot,
      '--reporter=json',
      `--outputFile=${output}`,
    ],
    {
      cwd: projectRoot,
      env: { ...process.env, KEYV_SUITE_ENGINES: engines.join(','), CI: 'true' },
      encoding: 'utf8',
      timeout: 600_000,
    },
  );
  let report: VitestReport;
  try {
    report = JSON.parse(readFileSync(output, 'utf8')) as VitestReport;
  } catch {
    t.fail(`vitest wrote no report (exit ${run.status}): ${run.stderr.slice(-2_000)}`);
    return;
  }
  const results = report.testResults.flatMap((file) => file.assertionResults);
  for (const engine of engines) {
    const mine = results.filter((result) => result.ancestorTitles[0] === engine);
    const failed = mine.filter((result) => result.status !== 'passed');
    t.ok(mine.length >= 40, `${engine}: the suite ran (${mine.length} tests)`);
    t.strictSame(
      failed.map((result) => `${result.title}: ${result.failureMessages.join(' ').slice(0, 300)}`),
      [],
      `${engine}: every keyv suite test passes`,
    );
  }
  t.equal(run.status, 0, 'vitest exits 0');
});
