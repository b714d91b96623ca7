import type { CaseResult, FigureResult, MissingSubject, Note } from './recorder.js';

function significant(value: number, digits = 3): string {
  if (value === 0) return '0';
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const decimals = Math.max(0, digits - 1 - magnitude);
  return value.toFixed(decimals);
}

export function formatRate(perSecond: number): string {
  if (perSecond >= 1e6) return `${significant(perSecond / 1e6)} M`;
  if (perSecond >= 1e3) return `${significant(perSecond / 1e3)} k`;
  return significant(perSecond);
}

export function formatDuration(nanoseconds: number): string {
  if (nanoseconds >= 1e6) return `${significant(nanoseconds / 1e6)} ms`;
  if (nanoseconds >= 1e3) return `${significant(nanoseconds / 1e3)} µs`;
  return `${significant(nanoseconds)} ns`;
}

export function formatPercent(fraction: number): string {
  return `${significant(fraction * 100, 2)}%`;
}

function formatNote(note: Note | undefined): string {
  if (note === undefined || note === null) return '';
  if (typeof note === 'string') return note;
  return Number.isInteger(note) ? note.toLocaleString('en-US') : significant(note);
}

/** Columns padded to their widest cell; columns listed in `right` are right-aligned. */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  right: ReadonlySet<number>,
): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (right.has(column) ? cell.padStart(widths[column]) : cell.padEnd(widths[column])))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

/** One table per suite and group: a row per case, medians over the rounds with their spread. */
export function casesTables(cases: readonly CaseResult[]): string[] {
  const groups = new Map<string, CaseResult[]>();
  for (const result of cases) {
    const title = `${result.suite} / ${result.group}`;
    groups.set(title, [...(groups.get(title) ?? []), result]);
  }
  return [...groups].map(([title, unordered]) => {
    // A subject's rows together, subjects in the order they were first recorded.
    const subjects = [...new Set(unordered.map((row) => row.subject))];
    const rows = subjects.flatMap((subject) => unordered.filter((row) => row.subject === subject));
    const withMb = rows.some((row) => row.mbPerSec);
    // Numbers first, in the order they were noted; descriptions (text only) after them, at the right edge.
    const allNames = [...new Set(rows.flatMap((row) => Object.keys(row.notes)))];
    const isText = (name: string) =>
      rows.every((row) => row.notes[name] === undefined || typeof row.notes[name] === 'string');
    const noteNames = [...allNames.filter((name) => !isText(name)), ...allNames.filter(isText)];
    const headers = ['subject', 'op', 'ops/s', 'time/op', 'spread', ...(withMb ? ['MB/s'] : []), ...noteNames];
    const body = rows.map((row) => [
      row.yardstick ? `${row.subject} (yardstick)` : row.subject,
      row.op,
      row.opsPerSec ? formatRate(row.opsPerSec.median) : 'n/a',
      row.nsPerOp !== undefined ? formatDuration(row.nsPerOp) : '',
      row.opsPerSec ? formatPercent(row.opsPerSec.spread) : '',
      ...(withMb ? [row.mbPerSec ? significant(row.mbPerSec.median) : ''] : []),
      ...noteNames.map((name) => formatNote(row.notes[name])),
    ]);
    const right = new Set(headers.map((_, column) => column).filter((column) => column >= 2));
    return `${title}\n${renderTable(headers, body, right)}`;
  });
}

export function figuresTable(figures: readonly FigureResult[]): string {
  const rows = figures.map((figure) => [
    figure.name,
    figure.ratio
      ? figure.unit === 'ops/s'
        ? `${significant(figure.ratio.median)} ops/s`
        : `${significant(figure.ratio.median)}×`
      : 'n/a',
    figure.ratio ? formatPercent(figure.ratio.spread) : '',
    figure.target !== undefined ? `≥ ${figure.target}` : '',
    figure.substituted ? `${figure.verdict} (measured ${figure.numerator} / ${figure.denominator})` : figure.verdict,
  ]);
  return renderTable(
    ['headline ratio (median of per-round ratios)', 'ratio', 'spread', 'target', 'verdict'],
    rows,
    new Set([1, 2, 3]),
  );
}

export function missingLines(missing: readonly MissingSubject[]): string[] {
  return missing.map(({ suite, subject, reason }) => `  ${suite}/${subject}: ${reason}`);
}
