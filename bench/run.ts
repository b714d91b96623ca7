import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { machineInfo } from './machine.js';
import { gcExposed } from './measure.js';
import { drawFigures } from './figures.js';
import { ratioFigure, Recorder, type CaseResult, type FigureResult, type MissingSubject } from './recorder.js';
import { RESULTS_DIR, writeResults, type SuiteStatus } from './results.js';
import { selectSubjects, type BenchConfig, type FigureSpec } from './suite.js';
import { SUITES } from './suites/index.js';
import { casesTables, figuresTable, missingLines } from './table.js';
import { removeAllTempRoots } from './temp-roots.js';
import { largeWorkload, smallWorkload, type LargeRecord, type SmallRecord, type Workload } from './workloads.js';

const USAGE = `Usage: npm run bench -- [options]
  --quick            2 rounds, ~25 ms timed loops, 2,000 small and 50 large records (under two minutes)
  --filter <terms>   comma-separated suites, subjects or suite/subject: stash, pairtree, codecs/lz4+b64
  --rounds <n>       interleaved rounds (default 5, quick 2)
  --min-ms <ms>      shortest timed loop (default 200, quick 25)
  --small <n>        small records (default 20000, quick 2000)
  --large <n>        100 KB records (default 500, quick 50)
  --no-save          print only; do not write bench/results/
  --figures          draw figures/ after a quick or filtered run too (a full run always draws them)
  --no-figures       do not draw figures/
  --figures-only     draw figures/ from a saved results file (--results, default bench/results/latest.json); no run
  --results <file>   the results file --figures-only reads
  --results-dir <d>  write latest.json and the dated copy there instead of bench/results/
  --help`;

const DEFAULTS = {
  full: { rounds: 5, minMs: 200, small: 20_000, large: 500 },
  quick: { rounds: 2, minMs: 25, small: 2_000, large: 50 },
} as const;

function positiveInteger(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new TypeError(`--${name} takes a positive integer, got '${text}'`);
  return value;
}

function parseCommandLine(args: string[]) {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      quick: { type: 'boolean', default: false },
      filter: { type: 'string', multiple: true },
      rounds: { type: 'string' },
      'min-ms': { type: 'string' },
      small: { type: 'string' },
      large: { type: 'string' },
      'no-save': { type: 'boolean', default: false },
      figures: { type: 'boolean' },
      'no-figures': { type: 'boolean', default: false },
      'figures-only': { type: 'boolean', default: false },
      results: { type: 'string' },
      'results-dir': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  const defaults = values.quick ? DEFAULTS.quick : DEFAULTS.full;
  return {
    help: values.help,
    quick: values.quick,
    save: !values['no-save'],
    figures: !values['no-figures'] && (values.figures ?? (!values.quick && !values.filter?.length)),
    figuresOnly: values['figures-only'],
    resultsFile: values.results ?? join(RESULTS_DIR, 'latest.json'),
    resultsDir: values['results-dir'] ?? RESULTS_DIR,
    filter: (values.filter ?? [])
      .flatMap((terms) => terms.split(','))
      .map((term) => term.trim())
      .filter(Boolean),
    rounds: positiveInteger('rounds', values.rounds, defaults.rounds),
    minMs: positiveInteger('min-ms', values['min-ms'], defaults.minMs),
    smallCount: positiveInteger('small', values.small, defaults.small),
    largeCount: positiveInteger('large', values.large, defaults.large),
  };
}

function commandLine(): string {
  const script = relative(process.cwd(), process.argv[1]);
  const command = ['node', ...process.execArgv, script, ...process.argv.slice(2)].join(' ');
  return process.env.npm_lifecycle_event ? `${command}  (via npm run ${process.env.npm_lifecycle_event})` : command;
}

function memo<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}

async function main(): Promise<number> {
  let settings: ReturnType<typeof parseCommandLine>;
  try {
    settings = parseCommandLine(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (settings.help) {
    console.log(USAGE);
    return 0;
  }
  if (settings.figuresOnly) {
    const written = await drawFigures(settings.resultsFile);
    console.log(
      `figures from ${relative(process.cwd(), settings.resultsFile)}: ${written.map((file) => relative(process.cwd(), file)).join(', ')}`,
    );
    return 0;
  }

  const startedAt = new Date();
  const machine = { ...machineInfo(), gcExposed: gcExposed() };
  const command = commandLine();
  console.log(`hashstash benchmarks, ${startedAt.toISOString()}`);
  console.log(`command: ${command}`);
  console.log(
    `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.ramGiB} GiB RAM, ${machine.platform}, load ${machine.loadAverage.join(' ')}`,
  );
  console.log(
    `node ${machine.node} (V8 ${machine.v8}), gc between cases: ${machine.gcExposed ? 'yes' : 'NO (run node with --expose-gc)'}`,
  );
  console.log(`temp folders: ${machine.tmpdir} (${machine.tmpFileSystem ?? 'file system unknown'})`);
  console.log(
    `${settings.quick ? 'quick: ' : ''}${settings.rounds} interleaved rounds, timed loops ≥ ${settings.minMs} ms, ` +
      `small ${settings.smallCount.toLocaleString('en-US')} records, large ${settings.largeCount} × 100 KB` +
      (settings.filter.length ? `, filter ${settings.filter.join(',')}` : ''),
  );
  console.log('Figures are medians over the rounds; spread = (max - min) / median.\n');

  const config: BenchConfig = {
    rounds: settings.rounds,
    minMs: settings.minMs,
    quick: settings.quick,
    small: memo<Workload<SmallRecord>>(() => smallWorkload(settings.smallCount)),
    large: memo<Workload<LargeRecord>>(() => largeWorkload(settings.largeCount)),
    log: (line) => console.log(line),
  };

  const statuses: SuiteStatus[] = [];
  const cases: CaseResult[] = [];
  const missing: MissingSubject[] = [];
  const figures: FigureResult[] = [];
  const acrossSuites: { suite: string; spec: FigureSpec }[] = [];
  for (const suite of SUITES) {
    const selected = selectSubjects(suite, settings.filter);
    if (selected.size === 0) {
      statuses.push({ name: suite.name, title: suite.title, status: 'skipped', seconds: 0 });
      continue;
    }
    console.log(`== ${suite.name}: ${suite.title}`);
    const recorder = new Recorder(suite.name, settings.rounds);
    const start = performance.now();
    let error: string | undefined;
    try {
      await suite.run(config, recorder, selected);
    } catch (thrown) {
      error = (thrown as Error)?.stack ?? String(thrown);
      console.log(`  FAILED: ${error}`);
    }
    const seconds = Math.round((performance.now() - start) / 100) / 10;
    statuses.push({
      name: suite.name,
      title: suite.title,
      status: error ? 'failed' : 'ok',
      seconds,
      ...(error ? { error } : {}),
    });
    const suiteCases = recorder.results();
    cases.push(...suiteCases);
    missing.push(...recorder.missingList());
    figures.push(...suite.figures.filter((spec) => !spec.across).map((spec) => recorder.figure(spec)));
    acrossSuites.push(...suite.figures.filter((spec) => spec.across).map((spec) => ({ suite: suite.name, spec })));
    for (const table of casesTables(suiteCases)) console.log(`\n${table}`);
    console.log(`\n(${suite.name}: ${seconds} s)\n`);
  }

  // Figures that compare cases of different suites: round r of one suite against round r of the other.
  const samplesById = new Map(cases.map((result) => [result.id, result.opsPerSec?.samples]));
  figures.push(
    ...acrossSuites.map(({ suite, spec }) =>
      ratioFigure(
        spec,
        suite,
        (id) => samplesById.get(id),
        (id) => id,
      ),
    ),
  );

  if (missing.length) console.log(`Not measured:\n${missingLines(missing).join('\n')}\n`);
  if (figures.length) console.log(`${figuresTable(figures)}\n`);

  const finishedAt = new Date();
  if (settings.save) {
    const files = writeResults(
      {
        schema: 1,
        startedAt: startedAt.toISOString(),
        finishedAt: finishedAt.toISOString(),
        command,
        settings: {
          quick: settings.quick,
          rounds: settings.rounds,
          minMs: settings.minMs,
          smallCount: settings.smallCount,
          largeCount: settings.largeCount,
          filter: settings.filter,
        },
        machine,
        suites: statuses,
        figures,
        missing,
        cases,
      },
      settings.resultsDir,
    );
    console.log(`results: ${files.map((file) => relative(process.cwd(), file)).join(', ')}`);
    if (settings.figures) {
      try {
        const written = await drawFigures(files[0]);
        console.log(`figures: ${written.map((file) => relative(process.cwd(), file)).join(', ')}`);
      } catch (error) {
        console.log(`figures FAILED: ${(error as Error)?.stack ?? String(error)}`);
      }
    } else {
      console.log('figures: not drawn for a quick or filtered run (add --figures, or run with --figures-only later)');
    }
  }
  console.log(`total ${Math.round((finishedAt.getTime() - startedAt.getTime()) / 1000)} s`);
  return statuses.some((status) => status.status === 'failed') ? 1 : 0;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    removeAllTempRoots();
    process.exit(130);
  });
}

// Exit explicitly: a server engine's socket left open by a failed case must not keep the process alive.
main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    removeAllTempRoots();
    process.exit(1);
  },
);
