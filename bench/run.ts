import { relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { machineInfo } from './machine.js';
import { gcExposed } from './measure.js';
import { Recorder, type CaseResult, type FigureResult, type MissingSubject } from './recorder.js';
import { writeResults, type SuiteStatus } from './results.js';
import { selectSubjects, type BenchConfig } from './suite.js';
import { SUITES } from './suites/index.js';
import { casesTables, figuresTable, missingLines } from './table.js';
import { removeAllTempRoots } from './temp-roots.js';
import { largeWorkload, smallWorkload, type LargeRecord, type SmallRecord, type Workload } from './workloads.js';

const USAGE = `Usage: npm run bench -- [options]
  --quick            3 rounds, ~60 ms timed loops, 5,000 small and 100 large records (under two minutes)
  --filter <terms>   comma-separated suites, subjects or suite/subject: stash, pairtree, codecs/lz4+b64
  --rounds <n>       interleaved rounds (default 5, quick 3)
  --min-ms <ms>      shortest timed loop (default 200, quick 60)
  --small <n>        small records (default 20000, quick 5000)
  --large <n>        100 KB records (default 500, quick 100)
  --no-save          print only; do not write bench/results/
  --help`;

const DEFAULTS = {
  full: { rounds: 5, minMs: 200, small: 20_000, large: 500 },
  quick: { rounds: 3, minMs: 60, small: 5_000, large: 100 },
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
      help: { type: 'boolean', default: false },
    },
  });
  const defaults = values.quick ? DEFAULTS.quick : DEFAULTS.full;
  return {
    help: values.help,
    quick: values.quick,
    save: !values['no-save'],
    filter: (values.filter ?? []).flatMap((terms) => terms.split(',')).map((term) => term.trim()).filter(Boolean),
    rounds: positiveInteger('rounds', values.rounds, defaults.rounds),
    minMs: positiveInteger('min-ms', values['min-ms'], defaults.minMs),
    smallCount: positiveInteger('small', values.small, defaults.small),
    largeCount: positiveInteger('large', values.large, defaults.large),
  };
}

function commandLine(): string {
  const script = relative(process.cwd(), process.argv[1]!);
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

  const startedAt = new Date();
  const machine = { ...machineInfo(), gcExposed: gcExposed() };
  const command = commandLine();
  console.log(`hashstash benchmarks, ${startedAt.toISOString()}`);
  console.log(`command: ${command}`);
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.ramGiB} GiB RAM, ${machine.platform}, load ${machine.loadAverage.join(' ')}`);
  console.log(`node ${machine.node} (V8 ${machine.v8}), gc between cases: ${machine.gcExposed ? 'yes' : 'NO (run node with --expose-gc)'}`);
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
    small: memo<Workload<SmallRecord>>(() => smallWorkload(settings.smallCount)),
    large: memo<Workload<LargeRecord>>(() => largeWorkload(settings.largeCount)),
    log: (line) => console.log(line),
  };

  const statuses: SuiteStatus[] = [];
  const cases: CaseResult[] = [];
  const missing: MissingSubject[] = [];
  const figures: FigureResult[] = [];
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
    statuses.push({ name: suite.name, title: suite.title, status: error ? 'failed' : 'ok', seconds, ...(error ? { error } : {}) });
    const suiteCases = recorder.results();
    cases.push(...suiteCases);
    missing.push(...recorder.missingList());
    figures.push(...suite.figures.map((spec) => recorder.figure(spec)));
    for (const table of casesTables(suiteCases)) console.log(`\n${table}`);
    console.log(`\n(${suite.name}: ${seconds} s)\n`);
  }

  if (missing.length) console.log(`Not measured:\n${missingLines(missing).join('\n')}\n`);
  if (figures.length) console.log(`${figuresTable(figures)}\n`);

  const finishedAt = new Date();
  if (settings.save) {
    const files = writeResults({
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
    });
    console.log(`results: ${files.map((file) => relative(process.cwd(), file)).join(', ')}`);
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
