import { loadDriver } from '../drivers.js';

/**
 * The part of an arquero `ColumnTable` that our types name. It is ours, not arquero's, so that hashstash's published
 * types compile without arquero installed (it is optional). arquero's `ColumnTable` has these methods; cast to it for
 * the rest: `await table.toArquero() as ColumnTable`.
 */
export interface ArqueroTable {
  numRows(): number;
  numCols(): number;
  columnNames(): string[];
  array(name: string): ArrayLike<unknown>;
  objects(): object[];
  toCSV(): string;
}

/**
 * An arquero table of the same columns, in the same order. arquero is an optional peer dependency, loaded on first
 * use (an ES module without top-level await, which `require` loads); a missing install is a DriverMissingError.
 */
export async function toArqueroTable(columns: readonly string[], column: (name: string) => readonly unknown[]): Promise<ArqueroTable> {
  const arquero = loadDriver<typeof import('arquero')>('arquero');
  const data = new Map(columns.map((name) => [name, column(name).slice()]));
  return arquero.table(data, [...columns]);
}
