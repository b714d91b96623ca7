/**
 * CSV as RFC 4180 writes it: comma-separated, CRLF line ends, a header row, and a field quoted (its quotes doubled)
 * when it holds a comma, a quote, a CR or an LF. Cells become text as follows: undefined and null are empty; strings as
 * they are; numbers, bigints and booleans as `String()` gives them; Dates in ISO 8601 (an invalid Date is empty);
 * arrays and plain objects as JSON (bigints inside as strings); anything else (Maps, Sets, class instances, bytes)
 * as `util.inspect` prints it on one line.
 */
import { inspect } from 'node:util';
import { isPlainObject } from './flatten.js';

export const CSV_NEWLINE = '\r\n';

const NEEDS_QUOTES = /[",\r\n]/;

function quote(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

function oneLine(value: unknown): string {
  return inspect(value, {
    breakLength: Infinity,
    compact: true,
    depth: 4,
    maxArrayLength: 1000,
    maxStringLength: 10_000,
  });
}

/** The text of one cell, before quoting. */
export function csvText(value: unknown): string {
  switch (typeof value) {
    case 'undefined':
      return '';
    case 'string':
      return value;
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(value);
    case 'object': {
      if (value === null) return '';
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : value.toISOString();
      if (Array.isArray(value) || isPlainObject(value)) {
        try {
          return JSON.stringify(value, jsonReplacer);
        } catch {
          return oneLine(value); // a cycle
        }
      }
      return oneLine(value);
    }
    default:
      return oneLine(value);
  }
}

/** One CSV line, without its line end. */
export function csvLine(cells: readonly unknown[]): string {
  let line = '';
  for (let i = 0; i < cells.length; i++) {
    if (i > 0) line += ',';
    line += quote(csvText(cells[i]));
  }
  return line;
}

/** A header line: column names are quoted by the same rule. */
export function csvHeader(columns: readonly string[]): string {
  return columns.map(quote).join(',');
}
