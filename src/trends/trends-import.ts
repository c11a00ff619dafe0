// Importing trending topics from sources without an API: a CSV file with a header, or a JSON array of
// objects with the same keys. Every row is checked first and every bad row reported with its line number;
// then all rows are scored and merged like pulled items, in one transaction, or none is.
import { nicheIdsBySlug } from '../niches/niches-service.ts';
import {
  checkHeader,
  decimal,
  fieldsByName,
  importRefused,
  readCsv,
  unstorableText,
  type ImportIssue,
} from '../csv-import.ts';
import type { Db } from '../db/pool.ts';
import { SoviError, type OneOf } from '../errors.ts';
import { recordEvent } from '../events/events-service.ts';
import { recordImport } from '../audit/audit-service.ts';
import { TOPIC_MAX, TOPIC_MIN, cleanTopic, topicKey } from './trend-model.ts';
import { ingest, type IngestItem, type IngestResult } from './trends-service.ts';
import type { TrendsSettings } from '../settings/trends-settings.ts';

export const importColumns = [
  'topic',
  'niche',
  'source',
  'source_url',
  'source_group',
  'engagement',
  'overperformance_ratio',
  'published_at',
] as const;
type Column = OneOf<typeof importColumns>;
const required = ['topic', 'niche', 'source'] as const;

const SOURCE = /^[a-z][a-z0-9_]{0,39}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
/** Clocks differ: a row "published" this far ahead of ours is still accepted. */
const CLOCK_SKEW_MS = 5 * 60_000;

export type ImportFormat = 'csv' | 'json';

export interface TrendsImportProgress {
  (phase: 'check' | 'write', done: number, total: number): void;
}

export interface TrendsImportDeps {
  db: Db;
  settings: TrendsSettings;
  actor: string;
}

export interface TrendsImportResult extends IngestResult {
  rows: number;
}

/** One row as text by column, whatever the file format. */
interface RawRow {
  line: number;
  value: (column: Column) => string | undefined;
}

export function formatOf(file: string): ImportFormat {
  const lower = file.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.json')) return 'json';
  throw new SoviError('invalid_input', `file: expected a .csv or .json file, got ${file}`, { field: 'file' });
}

export async function importTrends(
  deps: TrendsImportDeps,
  text: string,
  options: { source: string; format: ImportFormat; now?: Date; onProgress?: TrendsImportProgress },
): Promise<TrendsImportResult> {
  const { source, onProgress } = options;
  const now = options.now ?? new Date();
  const issues: ImportIssue[] = [];
  const raw = options.format === 'csv' ? csvRows(text, source, issues) : jsonRows(text, source, issues);

  const checked: { line: number; niche: string; item: Omit<IngestItem, 'nicheId'> }[] = [];
  raw.forEach((row, i) => {
    const item = checkRow(row, deps.settings, now, issues);
    if (item) checked.push({ line: row.line, ...item });
    if (i % 5_000 === 0) onProgress?.('check', i, raw.length);
  });
  const niches = await nicheIdsBySlug(deps.db, [...new Set(checked.map((c) => c.niche))]);
  for (const c of checked) {
    if (!niches.has(c.niche))
      issues.push({ line: c.line, field: 'niche', message: `niche: no niche "${c.niche}"` });
  }
  onProgress?.('check', raw.length, raw.length);
  if (issues.length > 0) throw importRefused(source, issues);
  if (checked.length === 0) {
    // The line where the first row was expected: after a CSV header, or inside an empty JSON array.
    throw new SoviError(
      'invalid_input',
      `${source} line ${options.format === 'csv' ? 2 : 1}: no rows: nothing was imported`,
      {
        field: 'file',
        issues: [{ line: options.format === 'csv' ? 2 : 1, message: 'no rows' }],
      },
    );
  }

  const result = await ingest(
    deps.db,
    checked.map((c) => ({ ...c.item, nicheId: niches.get(c.niche)! })),
    { settings: deps.settings, now, onProgress: (done, total) => onProgress?.('write', done, total) },
    async (trx, ingested) => {
      await recordEvent(trx, {
        category: 'trends',
        severity: 'info',
        eventType: 'trends_imported',
        message: `${deps.actor} imported ${checked.length} trending topic rows from ${source} (${ingested.created} new, ${ingested.merged} merged)`,
        context: { actor: deps.actor, source, rows: checked.length, ...ingested },
      });
      await recordImport(
        trx,
        { actor: deps.actor, action: 'trend.import', targetType: 'trend', source },
        { rows: checked.length, created: ingested.created, merged: ingested.merged },
      );
    },
  );
  return { rows: checked.length, ...result };
}

function csvRows(text: string, source: string, issues: ImportIssue[]): RawRow[] {
  const { header, records, issues: unreadable } = readCsv(text, source);
  checkHeader(header, source, importColumns, required);
  issues.push(...unreadable);
  const rows: RawRow[] = [];
  for (const { line, fields } of records) {
    if (fields.length !== header.length) {
      issues.push({ line, message: `expected ${header.length} fields, got ${fields.length}` });
      continue;
    }
    rows.push({ line, value: fieldsByName(header, fields) });
  }
  return rows;
}

function jsonRows(text: string, source: string, issues: ImportIssue[]): RawRow[] {
  const body = text.replace(/^\uFEFF/, '');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    const message = (err as Error).message;
    // V8 gives a position for some errors only ("Unexpected token" has none): find it then.
    const position = /position (\d+)/.exec(message)?.[1];
    const line = lineAt(body, position === undefined ? jsonErrorOffset(body) : Number(position));
    throw new SoviError(
      'invalid_input',
      `${source} line ${line}: not valid JSON (${message}); nothing was imported`,
      { field: 'file', issues: [{ line, message }] },
    );
  }
  if (!Array.isArray(parsed)) {
    throw new SoviError(
      'invalid_input',
      `${source} line 1: expected a JSON array of topic objects (keys: ${importColumns.join(', ')})`,
      { field: 'file', issues: [{ line: 1, message: 'expected a JSON array' }] },
    );
  }
  const lines = arrayElementLines(body);
  const rows: RawRow[] = [];
  parsed.forEach((element: unknown, i) => {
    const line = lines[i] ?? 1;
    if (element === null || typeof element !== 'object' || Array.isArray(element)) {
      issues.push({ line, message: 'expected an object with topic, niche and source' });
      return;
    }
    const values = new Map<string, string>();
    let ok = true;
    for (const [key, v] of Object.entries(element)) {
      if (!(importColumns as readonly string[]).includes(key)) {
        issues.push({
          line,
          field: key,
          message: `unknown key "${key}" (keys: ${importColumns.join(', ')})`,
        });
        ok = false;
      } else if (typeof v === 'string' || typeof v === 'number') {
        const s = String(v).trim();
        const problem = unstorableText(s);
        if (problem) {
          issues.push({ line, field: key, message: `${key}: ${problem}` });
          ok = false;
        } else if (s !== '') values.set(key, s);
      } else if (v !== null) {
        issues.push({ line, field: key, message: `${key}: expected text or a number` });
        ok = false;
      }
    }
    if (ok) rows.push({ line, value: (column) => values.get(column) });
  });
  return rows;
}

function checkRow(
  row: RawRow,
  settings: TrendsSettings,
  now: Date,
  issues: ImportIssue[],
): { niche: string; item: Omit<IngestItem, 'nicheId'> } | undefined {
  const { line, value } = row;
  const before = issues.length;
  const bad = (field: Column, message: string) =>
    issues.push({ line, field, message: `${field}: ${message}` });

  const rawTopic = value('topic') ?? '';
  const topic = cleanTopic(rawTopic);
  if (topic.length < TOPIC_MIN || rawTopic.length > TOPIC_MAX)
    bad('topic', `expected ${TOPIC_MIN}–${TOPIC_MAX} characters, got ${rawTopic.length}`);
  else if (topicKey(topic) === '') bad('topic', 'expected some letters or digits');
  const niche = value('niche');
  if (niche === undefined) bad('niche', 'required: the niche slug, e.g. personal_finance');
  const source = value('source') ?? '';
  if (!SOURCE.test(source)) bad('source', `expected a lower snake_case name like tiktok, got "${source}"`);

  const url = value('source_url');
  if (url !== undefined && !isHttpUrl(url)) bad('source_url', `expected an http(s) URL, got "${url}"`);
  const group = value('source_group');
  if (group !== undefined && group.length > 100) bad('source_group', 'expected at most 100 characters');
  const engagement = number(value('engagement'));
  if (engagement === 'bad') bad('engagement', `expected a number ≥ 0, got "${value('engagement')}"`);
  const ratio = number(value('overperformance_ratio'));
  if (ratio === 'bad')
    bad('overperformance_ratio', `expected a number ≥ 0, got "${value('overperformance_ratio')}"`);

  const published = value('published_at');
  let publishedAt: Date | null = null;
  if (published !== undefined) {
    const date = new Date(published);
    if (!ISO_TIME.test(published) || Number.isNaN(date.getTime())) {
      bad('published_at', `expected an ISO-8601 time like 2026-03-01T12:00:00Z, got "${published}"`);
    } else if (date.getTime() > now.getTime() + CLOCK_SKEW_MS) {
      bad('published_at', `${published} is in the future`);
    } else if (now.getTime() - date.getTime() > settings.inactiveAfterHours * 3_600_000) {
      bad(
        'published_at',
        `${published} is more than ${settings.inactiveAfterHours} h ago: the topic would be inactive at once`,
      );
    } else publishedAt = date;
  }
  if (issues.length > before || niche === undefined) return undefined;
  const e = engagement === 'bad' ? undefined : engagement;
  return {
    niche,
    item: {
      source,
      group: group ?? `${source}/${niche}`,
      // An item without a URL is known by its text: importing it again updates its history.
      itemId: url ?? `topic:${topicKey(topic)}`,
      topic,
      url: url ?? null,
      engagement: e ?? null,
      publishedAt,
      ratio: ratio === 'bad' ? null : (ratio ?? null),
    },
  };
}

function number(text: string | undefined): number | undefined | 'bad' {
  if (text === undefined) return undefined;
  const n = decimal(text);
  return Number.isFinite(n) && n >= 0 ? n : 'bad';
}

function isHttpUrl(text: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol) && text.length <= 2_000;
  } catch {
    return false;
  }
}

class StopAt extends Error {
  readonly offset: number;
  constructor(offset: number) {
    super(`not valid JSON at ${offset}`);
    this.offset = offset;
  }
}

/** Where JSON.parse stopped reading: the offset of the first character that is not valid JSON there. */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const fail = (): never => {
    throw new StopAt(i);
  };
  const expect = (c: string) => (text[i] === c ? i++ : fail());
  const value = (): void => {
    space();
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      space();
      if (text[i] === close) return void i++;
      for (;;) {
        if (close === '}') {
          space();
          string();
          space();
          expect(':');
        }
        value();
        space();
        if (text[i] === ',') i++;
        else return void expect(close);
      }
    }
    if (c === '"') return string();
    const literal = /^(true|false|null|-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?)/.exec(text.slice(i, i + 400));
    if (!literal) fail();
    i += literal![0].length;
  };
  const string = () => {
    expect('"');
    for (;;) {
      if (i >= text.length || text.charCodeAt(i) < 0x20) fail();
      const c = text[i++];
      if (c === '"') return;
      if (c === '\\') {
        if (text[i] === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) i += 5;
        else if ('"\\/bfnrt'.includes(text[i] ?? 'x')) i++;
        else fail();
      }
    }
  };
  try {
    value();
    space();
    if (i < text.length) fail();
  } catch (err) {
    if (err instanceof StopAt) return err.offset;
    throw err;
  }
  return text.length;
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** The line each element of a top-level JSON array starts on (for valid JSON). */
export function arrayElementLines(text: string): number[] {
  const lines: number[] = [];
  let line = 1;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let expecting = false;
  for (const c of text) {
    if (c === '\n') line++;
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (depth === 1 && expecting && !/\s/.test(c) && c !== ']') {
      lines.push(line);
      expecting = false;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      depth++;
      if (depth === 1) expecting = true;
    } else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 1) expecting = true;
  }
  return lines;
}
