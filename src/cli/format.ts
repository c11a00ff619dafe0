// Plain-text output for people: aligned tables and short times. Commands print JSON with --json instead.

export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = rows.map((row) => row.map((c) => (c === null || c === undefined ? '' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]?.length ?? 0)));
  const line = (row: string[]) =>
    row
      .map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}

/** 2026-11-25 04:03:00Z: sortable, unambiguous, and short enough for a table. */
export function shortTime(date: Date | null | undefined): string {
  return date ? `${date.toISOString().slice(0, 19).replace('T', ' ')}Z` : '';
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/**
 * Under a page that more follow: the command that prints the next one, with the same filters, on stderr (so
 * that --json output stays one document).
 */
export function printMore(
  command: string,
  filters: Record<string, string | number | boolean | undefined>,
  nextCursor: string | null,
): void {
  if (nextCursor === null) return;
  const quote = (v: string) => (/^[\w.:@/-]+$/.test(v) ? v : JSON.stringify(v));
  const flags = Object.entries(filters).flatMap(([name, value]) =>
    value === undefined || value === false
      ? []
      : value === true
        ? [`--${name}`]
        : [`--${name}`, quote(String(value))],
  );
  process.stderr.write(`more: ${[command, ...flags, '--after', nextCursor].join(' ')}\n`);
}

/** 1.5 GB: a size for people, in powers of 1024. */
export function bytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/**
 * A record for people: one `label  value` line each, the values lined up after the longest label. A plain
 * string is a line of its own (a heading, a note, a nested table). A pair is `[label, value]` (typed loosely:
 * pairs inside conditional spreads widen to arrays).
 */
type Cell = string | number | null | undefined;

export function fields(lines: readonly (string | readonly Cell[])[]): string {
  const label = (l: readonly Cell[]) => String(l[0]);
  const width = Math.max(0, ...lines.map((l) => (typeof l === 'string' ? 0 : label(l).length))) + 2;
  return lines
    .map((l) => (typeof l === 'string' ? l : `${label(l).padEnd(width)}${String(l[1] ?? '')}`.trimEnd()))
    .join('\n');
}
