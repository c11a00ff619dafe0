// Malformed import files, made from valid ones. Shared by the importers' fuzz tests.
//
// An arbitrary here never produces a file directly: it produces a *plan* (layout and damage, positions as
// fractions), and the test applies it to a valid table it builds fresh for each run (fresh usernames,
// times…). Shrinking then works on the plan, and a failing case reads as "this damage on a file like this".
import fc from 'fast-check';

export interface Table {
  header: string[];
  rows: string[][];
}

export interface Layout {
  eol: '\n' | '\r\n';
  bom: boolean;
  /** Every field in quotes (Excel, pandas QUOTE_ALL), not only those that need it. */
  quoteAll: boolean;
  trailingEol: boolean;
  /** Blank (or blank-looking) lines inserted after these rows (fractions of the row count). */
  blankLinesAfter: number[];
}

/**
 * What a test expects of a file whose bad rows it knows: the line and field of each bad row (none for a line
 * that is not valid CSV or has the wrong number of fields).
 */
export interface KnownBad {
  line: number;
  field: string | undefined;
}

const quote = (value: string, all: boolean) =>
  all || /[",\r\n]/.test(value) || value !== value.trim() ? `"${value.replaceAll('"', '""')}"` : value;

/** The file's text, and the line each row starts on (the header is line 1). */
export function renderCsv(table: Table, layout: Layout): { text: string; lines: number[] } {
  const out: string[] = [table.header.map((h) => quote(h, layout.quoteAll)).join(',')];
  const lines: number[] = [];
  const blanksAfter = new Map<number, number>();
  for (const f of layout.blankLinesAfter) {
    const at = Math.floor(f * table.rows.length);
    blanksAfter.set(at, (blanksAfter.get(at) ?? 0) + 1);
  }
  table.rows.forEach((row, i) => {
    for (let b = 0; b < (blanksAfter.get(i) ?? 0); b++) out.push('');
    lines.push(out.length + 1);
    out.push(row.map((v) => quote(v, layout.quoteAll)).join(','));
  });
  const text = out.join(layout.eol) + (layout.trailingEol ? layout.eol : '');
  return { text: (layout.bom ? '\uFEFF' : '') + text, lines };
}

/** A position, as a fraction of a length: uniform (fc.double favours the ends). */
const fraction = fc.integer({ min: 0, max: 999 }).map((n) => n / 1000);

export const layoutArb: fc.Arbitrary<Layout> = fc.record({
  eol: fc.constantFrom('\n' as const, '\r\n' as const),
  bom: fc.boolean(),
  quoteAll: fc.boolean(),
  trailingEol: fc.boolean(),
  blankLinesAfter: fc.array(fraction, { maxLength: 3 }),
});

/** Damage done to a whole file: after it the file may be refused or (now and then) still be valid. */
export type Damage =
  | { kind: 'truncate'; at: number }
  | { kind: 'drop header column'; column: number }
  | { kind: 'drop row field'; row: number; column: number }
  | { kind: 'extra row field'; row: number }
  | { kind: 'duplicate column'; column: number }
  | { kind: 'shuffle columns'; seed: number }
  | { kind: 'shuffle header only'; seed: number }
  | { kind: 'rename column'; column: number; name: string }
  | { kind: 'no header' }
  | { kind: 'only header' }
  | { kind: 'empty file'; text: string }
  | { kind: 'double bom' }
  | { kind: 'utf-16'; bom: boolean }
  | { kind: 'latin-1 field'; row: number; column: number }
  | { kind: 'nul byte'; at: number }
  | { kind: 'unbalanced quote'; row: number; column: number }
  | { kind: 'stray quote'; row: number; column: number }
  | { kind: 'long field'; row: number; column: number; length: number }
  | { kind: 'mixed line endings'; row: number }
  | { kind: 'bare carriage returns' }
  | { kind: 'duplicate row'; row: number }
  | { kind: 'bad value'; row: number; column: number; pick: number }
  | { kind: 'binary garbage'; bytes: number[] };

export const damageArb: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fraction }),
  fc.record({ kind: fc.constant('drop header column' as const), column: fraction }),
  fc.record({ kind: fc.constant('drop row field' as const), row: fraction, column: fraction }),
  fc.record({ kind: fc.constant('extra row field' as const), row: fraction }),
  fc.record({ kind: fc.constant('duplicate column' as const), column: fraction }),
  fc.record({ kind: fc.constant('shuffle columns' as const), seed: fc.integer() }),
  fc.record({ kind: fc.constant('shuffle header only' as const), seed: fc.integer() }),
  fc.record({
    kind: fc.constant('rename column' as const),
    column: fraction,
    name: fc.constantFrom('', 'Views ', 'usr', 'id', '"', 'ähm', 'a b', '\u0000'),
  }),
  fc.record({ kind: fc.constant('no header' as const) }),
  fc.record({ kind: fc.constant('only header' as const) }),
  fc.record({
    kind: fc.constant('empty file' as const),
    text: fc.constantFrom('', '\n', '\r\n\r\n', '   ', '\uFEFF', ',,,\n'),
  }),
  fc.record({ kind: fc.constant('double bom' as const) }),
  fc.record({ kind: fc.constant('utf-16' as const), bom: fc.boolean() }),
  fc.record({ kind: fc.constant('latin-1 field' as const), row: fraction, column: fraction }),
  fc.record({ kind: fc.constant('nul byte' as const), at: fraction }),
  fc.record({ kind: fc.constant('unbalanced quote' as const), row: fraction, column: fraction }),
  fc.record({ kind: fc.constant('stray quote' as const), row: fraction, column: fraction }),
  fc.record({
    kind: fc.constant('long field' as const),
    row: fraction,
    column: fraction,
    length: fc.constantFrom(5_000, 70_000, 1_100_000),
  }),
  fc.record({ kind: fc.constant('mixed line endings' as const), row: fraction }),
  fc.record({ kind: fc.constant('bare carriage returns' as const) }),
  fc.record({ kind: fc.constant('duplicate row' as const), row: fraction }),
  fc.record({ kind: fc.constant('bad value' as const), row: fraction, column: fraction, pick: fc.nat() }),
  fc.record({
    kind: fc.constant('binary garbage' as const),
    bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 64 }),
  }),
);

const at = (f: number, n: number) => Math.min(n - 1, Math.floor(f * n));

function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1_103_515_245 + 12_345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** What `fs.readFile(file, 'utf8')` gives for these bytes: what the CLI sees. */
export const asReadByCli = (bytes: Buffer): string => bytes.toString('utf8');

/**
 * The damaged file, as bytes (what goes on disk) and as the text the CLI would read. `badValues` are the
 * importer's invalid values by column, for the 'bad value' damage.
 */
export function damage(
  table: Table,
  layout: Layout,
  d: Damage,
  badValues: Record<string, readonly string[]>,
): Buffer {
  const t: Table = { header: [...table.header], rows: table.rows.map((r) => [...r]) };
  const rowCount = t.rows.length;
  const render = () => Buffer.from(renderCsv(t, layout).text, 'utf8');
  switch (d.kind) {
    case 'truncate': {
      const text = render();
      return text.subarray(0, Math.floor(d.at * text.length));
    }
    case 'drop header column':
      t.header.splice(at(d.column, t.header.length), 1);
      return render();
    case 'drop row field':
      if (rowCount) t.rows[at(d.row, rowCount)]!.splice(at(d.column, t.header.length), 1);
      return render();
    case 'extra row field':
      if (rowCount) t.rows[at(d.row, rowCount)]!.push('surplus');
      return render();
    case 'duplicate column': {
      const c = at(d.column, t.header.length);
      t.header.push(t.header[c]!);
      for (const r of t.rows) r.push(r[c]!);
      return render();
    }
    case 'shuffle columns': {
      const order = shuffled(
        t.header.map((_, i) => i),
        d.seed,
      );
      return Buffer.from(
        renderCsv(
          { header: order.map((i) => t.header[i]!), rows: t.rows.map((r) => order.map((i) => r[i]!)) },
          layout,
        ).text,
      );
    }
    case 'shuffle header only':
      t.header = shuffled(t.header, d.seed);
      return render();
    case 'rename column':
      t.header[at(d.column, t.header.length)] = d.name;
      return render();
    case 'no header':
      if (rowCount) t.header = t.rows[0]!;
      return render();
    case 'only header':
      t.rows = [];
      return render();
    case 'empty file':
      return Buffer.from(d.text);
    case 'double bom':
      return Buffer.concat([
        Buffer.from('\uFEFF\uFEFF'),
        Buffer.from(renderCsv(t, { ...layout, bom: false }).text),
      ]);
    case 'utf-16': {
      const text = renderCsv(t, { ...layout, bom: false }).text;
      return Buffer.concat([Buffer.from(d.bom ? [0xff, 0xfe] : []), Buffer.from(text, 'utf16le')]);
    }
    case 'latin-1 field': {
      if (!rowCount) return render();
      const r = at(d.row, rowCount);
      const c = at(d.column, t.header.length);
      const marker = `__latin1_${r}_${c}__`;
      t.rows[r]![c] = `${t.rows[r]![c]}${marker}`;
      const text = renderCsv(t, layout).text;
      const [before, after] = text.split(marker) as [string, string];
      return Buffer.concat([Buffer.from(before), Buffer.from('caf\xe9', 'latin1'), Buffer.from(after)]);
    }
    case 'nul byte': {
      const text = render();
      const i = Math.floor(d.at * text.length);
      return Buffer.concat([text.subarray(0, i), Buffer.from([0]), text.subarray(i)]);
    }
    case 'unbalanced quote':
    case 'stray quote': {
      if (!rowCount) return render();
      const r = at(d.row, rowCount);
      const c = at(d.column, t.header.length);
      // Raw text, not through quote(): the point is a quote the CSV reader has to choke on.
      const marker = `__quote_${r}_${c}__`;
      t.rows[r]![c] = marker;
      const raw = d.kind === 'unbalanced quote' ? `"${table.rows[r]![c]}` : `ab"c${table.rows[r]![c]}`;
      return Buffer.from(renderCsv(t, { ...layout, quoteAll: false }).text.replace(marker, raw));
    }
    case 'long field':
      if (rowCount) t.rows[at(d.row, rowCount)]![at(d.column, t.header.length)] = 'x'.repeat(d.length);
      return render();
    case 'mixed line endings': {
      const { text, lines } = renderCsv(t, { ...layout, eol: '\n' });
      if (!rowCount) return Buffer.from(text);
      // One line ends CRLF among LF lines.
      const line = lines[at(d.row, rowCount)]! - 1;
      const parts = text.split('\n');
      parts[line - 1] = `${parts[line - 1]}\r`;
      return Buffer.from(parts.join('\n'));
    }
    case 'bare carriage returns':
      return Buffer.from(renderCsv(t, { ...layout, eol: '\n' }).text.replaceAll('\n', '\r'));
    case 'duplicate row':
      if (rowCount) t.rows.push([...t.rows[at(d.row, rowCount)]!]);
      return render();
    case 'bad value': {
      if (!rowCount) return render();
      const c = at(d.column, t.header.length);
      const values = badValues[t.header[c]!] ?? [];
      if (values.length) t.rows[at(d.row, rowCount)]![c] = values[d.pick % values.length]!;
      return render();
    }
    case 'binary garbage':
      return Buffer.concat([render(), Buffer.from(d.bytes)]);
  }
}

/**
 * A file with known bad rows among good ones: `bad` picks rows (fractions) and, for each, a column and one of
 * its bad values; `broken` picks rows whose line a CSV reader cannot take as a row: a stray quote inside an
 * unquoted field, or an extra field. The expectation lists the line and field of every bad row, so a broken
 * line must hide none of the others.
 */
export const mixedPlanArb = fc.record({
  layout: layoutArb,
  rows: fc.integer({ min: 1, max: 12 }),
  bad: fc.array(fc.record({ row: fraction, column: fraction, pick: fc.nat() }), { maxLength: 4 }),
  broken: fc.array(
    fc.record({
      row: fraction,
      column: fraction,
      kind: fc.constantFrom('stray quote' as const, 'extra field' as const),
    }),
    { maxLength: 2 },
  ),
});
export type MixedPlan = typeof mixedPlanArb extends fc.Arbitrary<infer T> ? T : never;

export function mixedFile(
  table: Table,
  plan: MixedPlan,
  badValues: Record<string, readonly string[]>,
): { text: string; bad: KnownBad[]; goodRows: number } {
  const t: Table = { header: table.header, rows: table.rows.map((r) => [...r]) };
  const badRows = new Map<number, string | undefined>();
  // Broken lines first. One stray quote at most: two could pair up across the lines between them, which a
  // reader then takes as one quoted field.
  const strays = new Map<string, string>();
  for (const b of plan.broken) {
    const r = at(b.row, t.rows.length);
    if (badRows.has(r) || (b.kind === 'stray quote' && strays.size > 0)) continue;
    if (b.kind === 'extra field') t.rows[r]!.push('surplus');
    else {
      const c = at(b.column, t.header.length);
      const marker = `__stray_${r}_${c}__`;
      strays.set(marker, 'ab"c');
      t.rows[r]![c] = marker;
    }
    badRows.set(r, undefined);
  }
  const columns = t.header.filter((h) => (badValues[h] ?? []).length > 0);
  for (const b of plan.bad) {
    const r = at(b.row, t.rows.length);
    if (badRows.has(r) || columns.length === 0) continue; // One bad field per row: one expected issue.
    const column = columns[at(b.column, columns.length)]!;
    const values = badValues[column]!;
    t.rows[r]![t.header.indexOf(column)] = values[b.pick % values.length]!;
    badRows.set(r, column);
  }
  const rendered = renderCsv(t, plan.layout);
  const { lines } = rendered;
  // Raw, not through quote(): the point is a quote the CSV reader has to choke on.
  let text = rendered.text;
  for (const [marker, raw] of strays) text = text.replace(quote(marker, plan.layout.quoteAll), raw);
  return {
    text,
    bad: [...badRows].map(([r, field]) => ({ line: lines[r]!, field })).sort((a, b) => a.line - b.line),
    goodRows: t.rows.length - badRows.size,
  };
}

/** How many physical lines a text has, however its lines end. */
export const physicalLines = (text: string): number => text.split(/\r\n|\r|\n/).length;
