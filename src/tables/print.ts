import { inspect } from 'node:util';
import { checkInteger } from '../checks.js';

/** How much of a table `toString` shows. */
export interface PrintOptions {
  /** Rows shown: all of them up to this many, else the first half and the last half of it. Default 10. */
  maxRows?: number | undefined;
  /** Columns shown, by the same rule. Default 12. */
  maxColumns?: number | undefined;
  /** Longest cell, in characters; longer ones end in '…'. Default 24. */
  maxWidth?: number | undefined;
}

const DEFAULT_PRINT = { maxRows: 10, maxColumns: 12, maxWidth: 24 } as const;
const ELLIPSIS = '…';
// eslint-disable-next-line no-control-regex -- control characters are what this finds, to show them escaped
const CONTROL = /[\u0000-\u001f\u007f]/g;

function positiveInteger(name: string, value: unknown, fallback: number): number {
  checkInteger('print', name, value, 1);
  return (value as number | undefined) ?? fallback;
}

/** A cell as shown: strings bare (control characters escaped), missing cells empty, other values as inspect shows them. */
function cellText(value: unknown, maxWidth: number): string {
  let text: string;
  if (value === undefined) return '';
  if (typeof value === 'string') text = value.replace(CONTROL, (c) => JSON.stringify(c).slice(1, -1));
  else if (typeof value === 'number' || typeof value === 'boolean') text = String(value);
  else if (value instanceof Date) text = Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  else
    text = inspect(value, {
      breakLength: Infinity,
      compact: true,
      depth: 2,
      maxArrayLength: 6,
      maxStringLength: maxWidth,
    });
  return text.length > maxWidth ? text.slice(0, maxWidth - 1) + ELLIPSIS : text;
}

/** Which of `count` items to show: all, or the first and last halves of `max` with a gap (-1) between. */
function shown(count: number, max: number): number[] {
  if (count <= max) return Array.from({ length: count }, (_, i) => i);
  const head = Math.ceil(max / 2);
  const tail = max - head;
  return [
    ...Array.from({ length: head }, (_, i) => i),
    -1,
    ...Array.from({ length: tail }, (_, i) => count - tail + i),
  ];
}

/**
 * A data-frame-like printout: a header of column names, the row number before each row, the first and last rows
 * of a long table with '…' between, and the shape at the end: `[200,000 rows × 4 columns]`.
 */
export function formatTable(
  columns: readonly string[],
  column: (name: string) => readonly unknown[],
  numRows: number,
  options: PrintOptions = {},
): string {
  const maxRows = positiveInteger('maxRows', options.maxRows, DEFAULT_PRINT.maxRows);
  const maxColumns = positiveInteger('maxColumns', options.maxColumns, DEFAULT_PRINT.maxColumns);
  const maxWidth = Math.max(2, positiveInteger('maxWidth', options.maxWidth, DEFAULT_PRINT.maxWidth));
  const shape = `[${numRows.toLocaleString('en-US')} rows × ${columns.length.toLocaleString('en-US')} columns]`;
  if (columns.length === 0) return `Empty table\n${shape}`;

  const rows = shown(numRows, maxRows);
  const grid: string[][] = [['', ...rows.map((row) => (row < 0 ? ELLIPSIS : String(row)))]];
  const rightAligned: boolean[] = [false];
  for (const index of shown(columns.length, maxColumns)) {
    if (index < 0) {
      grid.push([ELLIPSIS, ...rows.map(() => ELLIPSIS)]);
      rightAligned.push(false);
      continue;
    }
    const name = columns[index];
    const cells = column(name);
    const values = rows.map((row) => (row < 0 ? undefined : cells[row]));
    // Numbers line up on the right, as in a spreadsheet; a column of anything else on the left.
    rightAligned.push(
      values.some((v) => v !== undefined) &&
        values.every((v) => v === undefined || typeof v === 'number' || typeof v === 'bigint'),
    );
    grid.push([cellText(name, maxWidth), ...values.map((v, i) => (rows[i] < 0 ? ELLIPSIS : cellText(v, maxWidth)))]);
  }
  const widths = grid.map((cells) => Math.max(...cells.map((cell) => cell.length)));
  const lines: string[] = [];
  for (let line = 0; line <= rows.length; line++) {
    lines.push(
      grid
        .map((cells, c) => (rightAligned[c] ? cells[line].padStart(widths[c]) : cells[line].padEnd(widths[c])))
        .join('  ')
        .trimEnd(),
    );
  }
  lines.push(shape);
  return lines.join('\n');
}
