import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runJsonProcess } from '../json-process.js';
import type { Recorder } from '../recorder.js';
import type { BenchConfig, FigureSpec, Subject, Suite } from '../suite.js';
import { makeTempRoot } from '../temp-roots.js';

/**
 * The `hashstash` command line (issue 21), run as a real binary (`node dist/src/cli/main.js`):
 * - `start`: `hashstash --help` (written from the command table, commander not loaded) and, beside it, `node -e ''`
 *   (the yardstick: Node's own start on this machine), each run HELP_RUNS times per round, interleaved; the median
 *   in ms. Target: `--help` in ≤ 150 ms.
 * - `export`: `hashstash export <stash> --format jsonl -o <file>` over 200,000 small entries (quick: 50,000:
 *   `key-<i>` → `{ id, name, score, tags }`, about 60 bytes as JSON) in an lmdb stash with the default settings.
 *   `jsonl` is entries/s of the export command's module in a process of its own (bench/suites/cli-export.ts: the
 *   command run once on a small stash first, so code and lmdb are loaded), with its peak RSS growth over a baseline
 *   taken after a full GC (`rss-growth-mib`; its anonymous part, not the stash file's mapped pages, as a note).
 *   `jsonl-binary` is entries/s of the whole binary, Node's start and the stash's opening included.
 *   Targets: ≥ 100,000 entries/s; RSS growth ≤ 60 MB.
 */
const CLI = { name: 'hashstash', yardstick: false } as const;
const NODE = { name: 'node', yardstick: true, peers: [CLI.name] } as const;
const SUBJECTS: readonly Subject[] = [CLI, NODE];

const HELP_RUNS = 21;
const HELP_BUDGET_MS = 150;
const RSS_BUDGET_MIB = 60 / 1.048576; // 60 MB
const ENTRIES = { full: 200_000, quick: 50_000 } as const;

const BIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const EXPORT_SCRIPT = fileURLToPath(new URL('./cli-export.js', import.meta.url));

const id = (group: string, subject: string, op: string) => `${group}/${subject}/${op}`;
const FIGURES: readonly FigureSpec[] = [
  {
    name: `hashstash --help: ${HELP_BUDGET_MS} ms / its median time over ${HELP_RUNS} runs (≥ 1: within ${HELP_BUDGET_MS} ms)`,
    numerator: [id('start', CLI.name, 'help-budget-ms')],
    denominator: [id('start', CLI.name, 'help-ms')],
    target: 1,
  },
  {
    name: `node -e '' / hashstash --help, medians of ${HELP_RUNS} interleaved runs (for information: the share of --help that is Node's own start)`,
    numerator: [id('start', NODE.name, 'bare-ms')],
    denominator: [id('start', CLI.name, 'help-ms')],
  },
  {
    name: 'hashstash export --format jsonl of 200,000 small entries (quick: 50,000) from lmdb, entries/s of the command',
    numerator: [id('export', CLI.name, 'jsonl')],
    denominator: [],
    target: 100_000,
  },
  {
    name: 'hashstash export --format jsonl: 60 MB / peak RSS growth over the export (≥ 1: within 60 MB)',
    numerator: [id('export', CLI.name, 'rss-budget-mib')],
    denominator: [id('export', CLI.name, 'rss-growth-mib')],
    target: 1,
  },
];

/** Milliseconds `node args…` takes, start to exit; throws when it fails. */
function timedRun(args: readonly string[]): number {
  const started = process.hrtime.bigint();
  const done = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (done.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${done.status}: ${String(done.stderr)}`);
  return ms;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** `count` entries like a small record stash holds, written in batches. */
async function fill(root: string, count: number): Promise<string> {
  const { HashStash } = await import('../../src/index.js');
  await using stash = new HashStash<string, unknown>({ root, name: 'main' });
  const tags = ['alpha', 'beta', 'gamma', 'delta'];
  for (let from = 0; from < count; from += 10_000) {
    const batch: [string, unknown][] = [];
    for (let i = from; i < Math.min(count, from + 10_000); i++)
      batch.push([`key-${i}`, { id: i, name: `item ${i}`, score: (i * 7919) % 1000, tags: [tags[i % 4]] }]);
    await stash.setMany(batch);
  }
  return stash.path;
}

export const cliSuite: Suite = {
  name: 'cli',
  title: 'The hashstash command line: --help, export',
  subjects: SUBJECTS,
  figures: FIGURES,

  async run(config: BenchConfig, recorder: Recorder, selected: ReadonlySet<string>) {
    if (!selected.has(CLI.name)) return;
    const entries = config.quick ? ENTRIES.quick : ENTRIES.full;
    const root = makeTempRoot();
    const stash = await fill(join(root, 'big'), entries);
    const warm = await fill(join(root, 'warm'), 1_000);
    const out = join(root, 'export.jsonl');
    config.log(`  cli: ${entries} entries written`);

    for (let round = 0; round < config.rounds; round++) {
      const help: number[] = [];
      const bare: number[] = [];
      for (let i = 0; i < HELP_RUNS; i++) {
        bare.push(timedRun(['-e', '']));
        help.push(timedRun([BIN, '--help']));
      }
      const helpMs = median(help);
      const bareMs = median(bare);
      recorder.sample({ group: 'start', subject: CLI.name, op: 'help-ms' }, round, { ops: helpMs, seconds: 1 });
      recorder.sample({ group: 'start', subject: CLI.name, op: 'help-budget-ms' }, round, {
        ops: HELP_BUDGET_MS,
        seconds: 1,
      });
      recorder.sample({ group: 'start', subject: NODE.name, op: 'bare-ms', yardstick: true }, round, {
        ops: bareMs,
        seconds: 1,
      });

      const measured = await runJsonProcess<{ seconds: number; growthMiB: number; anonMiB: number | null }>(
        process.execPath,
        ['--expose-gc', EXPORT_SCRIPT, JSON.stringify({ stash, warm, out })],
      );
      const exportKey = { group: 'export', subject: CLI.name, op: 'jsonl' };
      recorder.sample(exportKey, round, { ops: entries, seconds: measured.seconds });
      const growthKey = { group: 'export', subject: CLI.name, op: 'rss-growth-mib' };
      recorder.sample(growthKey, round, { ops: Math.max(measured.growthMiB, 0.1), seconds: 1 });
      recorder.sample({ group: 'export', subject: CLI.name, op: 'rss-budget-mib' }, round, {
        ops: RSS_BUDGET_MIB,
        seconds: 1,
      });
      recorder.note(growthKey, `round ${round + 1}: anonymous MiB`, measured.anonMiB ?? 'n/a');
      const binaryMs = timedRun([BIN, 'export', stash, '--format', 'jsonl', '-o', out]);
      recorder.sample({ group: 'export', subject: CLI.name, op: 'jsonl-binary' }, round, {
        ops: entries,
        seconds: binaryMs / 1000,
      });
      recorder.note(exportKey, 'entries', entries);
      config.log(
        `  cli: round ${round + 1}/${config.rounds}: --help ${helpMs.toFixed(0)} ms (node -e '' ${bareMs.toFixed(0)} ms), ` +
          `export ${Math.round(entries / measured.seconds)} entries/s, RSS +${measured.growthMiB.toFixed(1)} MiB`,
      );
    }
  },
};
