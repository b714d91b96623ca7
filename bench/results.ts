import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MachineInfo } from './machine.js';
import type { CaseResult, FigureResult, MissingSubject } from './recorder.js';

/** bench/results/ in the source tree (this file runs from dist/bench/). */
export const RESULTS_DIR = fileURLToPath(new URL('../../bench/results/', import.meta.url));

export interface SuiteStatus {
  readonly name: string;
  readonly title: string;
  readonly status: 'ok' | 'failed' | 'skipped';
  readonly seconds: number;
  /** The failure's stack, when the suite threw: the cases it measured before that are kept. */
  readonly error?: string;
}

export interface BenchResults {
  readonly schema: 1;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly command: string;
  readonly settings: {
    readonly quick: boolean;
    readonly rounds: number;
    readonly minMs: number;
    readonly smallCount: number;
    readonly largeCount: number;
    readonly filter: readonly string[];
  };
  readonly machine: MachineInfo & { readonly gcExposed: boolean };
  readonly suites: readonly SuiteStatus[];
  readonly figures: readonly FigureResult[];
  readonly missing: readonly MissingSubject[];
  readonly cases: readonly CaseResult[];
}

/** Fractions keep four significant digits: more is noise on this machine and bloats the file. */
function rounded(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isInteger(value) ? Number(value.toPrecision(4)) : value;
}

function writeAtomically(file: string, text: string): void {
  const temp = `${file}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, file);
}

/** Indented, except that each case takes one line: the file stays small and diffs read case by case. */
function format(results: BenchResults): string {
  const { cases, ...head } = results;
  const headText = JSON.stringify(head, rounded, 2).replace(/\n}$/, '');
  const caseLines = cases.map((result) => `    ${JSON.stringify(result, rounded)}`).join(',\n');
  return `${headText},\n  "cases": [\n${caseLines}\n  ]\n}\n`;
}

/** Writes latest.json and a copy named after the start time; returns both paths. */
export function writeResults(results: BenchResults, dir = RESULTS_DIR): string[] {
  mkdirSync(dir, { recursive: true });
  const text = format(results);
  const stamp = results.startedAt.replace(/\.\d+Z$/, 'Z').replaceAll(':', '-');
  const files = [join(dir, 'latest.json'), join(dir, `${stamp}${results.settings.quick ? '-quick' : ''}.json`)];
  for (const file of files) writeAtomically(file, text);
  return files;
}
