/**
 * What a command prints on stdout: a table on a terminal, one JSON document
 * when piped, and `--output json|table` to choose.
 */
export type OutputFormat = 'json' | 'table';

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
}

/** The rows a command shows on a terminal and how to show them (JSON output carries the whole document instead). */
export interface Table<T> {
  rows: readonly T[];
  columns: readonly Column<T>[];
}

/** `--output` if given, else a table on a TTY and JSON when piped. */
export function resolveFormat(flag?: string, stream: { isTTY?: boolean } = process.stdout): OutputFormat {
  if (flag === 'json' || flag === 'table') return flag;
  return stream.isTTY ? 'table' : 'json';
}

function cell(v: unknown): string {
  if (v === undefined || v === null || v === '') return '-';
  if (Array.isArray(v)) return v.length ? v.map(cell).join(',') : '-';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** A plain aligned table: header row, then one line per row. */
export function formatTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => cell(c.value(r))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return `${[line(columns.map((c) => c.header)), ...cells.map(line)].join('\n')}\n`;
}

/** KEY and VALUE columns, for a record shown as `Object.entries(record)`. */
export const keyValueColumns: Column<readonly [string, unknown]>[] = [
  { header: 'KEY', value: ([k]) => k },
  { header: 'VALUE', value: ([, v]) => v },
];

/**
 * Print data: the table built from `table` when the format (the `--output`
 * flag, resolved as resolveFormat does) is a table, else JSON (pretty, one
 * document). Without a table, always JSON.
 */
export function emit<T>(data: unknown, format: string | undefined, table?: Table<T>): void {
  if (resolveFormat(format) === 'table' && table) {
    process.stdout.write(table.rows.length ? formatTable(table.rows, table.columns) : '(none)\n');
  } else {
    process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
  }
}
