// What a database holds beyond a known set of rows: the rows people create (devices, accounts, content,
// hooks, trends, API tokens), each kind counted with a few names to show. `sovi up --demo` asks it before it
// writes anything, so a database with real data in it is refused rather than mixed with fake rows. Every
// other table (sessions, posts, metrics, events) hangs off these, so they are enough to tell.
//
// It must answer before migrations run (the demo writes nothing, migrations included, to a database it
// refuses): a table that does not exist yet holds nothing.
import { sql } from 'kysely';
import type { Executor } from '../db/executor.ts';

/** The rows to leave out of the count: what the caller made itself. */
export interface KnownRows {
  deviceUdids: readonly string[];
  /** "platform:username". */
  accounts: readonly string[];
  contentTopics: readonly string[];
  hookTemplates: readonly string[];
  trendSources: readonly string[];
  tokenNames: readonly string[];
}

export interface CensusEntry {
  /** What was found, in words: "accounts". */
  kind: string;
  count: number;
  /** Up to three of their names, oldest first. */
  examples: string[];
}

interface Probe {
  kind: string;
  table: string;
  /** The expression naming a row, and the key compared with the known list. */
  label: string;
  key: string;
  known: readonly string[];
  /** The column that orders the examples, oldest first. */
  since?: string;
}

const EXAMPLES = 3;

/** Each kind of row the database holds outside `known`, in a fixed order; empty when there is none. */
export async function rowsOutside(db: Executor, known: KnownRows): Promise<CensusEntry[]> {
  const probes: Probe[] = [
    { kind: 'devices', table: 'devices', label: 'name', key: 'udid', known: known.deviceUdids },
    {
      kind: 'accounts',
      table: 'accounts',
      label: 'username',
      key: "platform || ':' || username",
      known: known.accounts,
    },
    { kind: 'content', table: 'content', label: 'topic', key: 'topic', known: known.contentTopics },
    { kind: 'hooks', table: 'hooks', label: 'template', key: 'template', known: known.hookTemplates },
    {
      kind: 'trends',
      table: 'trending_topics',
      label: 'topic',
      key: 'source',
      known: known.trendSources,
      since: 'discovered_at',
    },
    { kind: 'API tokens', table: 'api_tokens', label: 'name', key: 'name', known: known.tokenNames },
  ];
  const found: CensusEntry[] = [];
  for (const probe of probes) {
    const exists = await sql<{ present: boolean }>`
      SELECT to_regclass(${`public.${probe.table}`}) IS NOT NULL AS present`.execute(db);
    if (!exists.rows[0]?.present) continue;
    // The table, label and key come from the list above, never from input.
    const { rows } = await sql<{ n: number; examples: string[] | null }>`
      SELECT count(*)::int AS n,
             (array_agg(${sql.raw(probe.label)}::text ORDER BY ${sql.raw(probe.since ?? 'created_at')}, id))[1:${EXAMPLES}] AS examples
      FROM ${sql.table(probe.table)}
      WHERE NOT ((${sql.raw(probe.key)}) = ANY(${[...probe.known]}::text[]))`.execute(db);
    const n = rows[0]?.n ?? 0;
    if (n > 0) found.push({ kind: probe.kind, count: n, examples: rows[0]?.examples ?? [] });
  }
  return found;
}
