// SQL for the content table: every statement that reads or writes it, Executor first. A stage's writes
// match on the status the stage expects (`production_status = stage`), so a duplicate or late job changes
// nothing. Indexes: the primary key serves the lookups by id; content_production_status_idx
// (production_status, created_at) the status filters and the sweep; content_niche_id_idx the niche filter.
import { nicheScopeCondition, type NicheScope } from '../niches/niche-scope.ts';
import { sql, type Selectable, type SqlBool } from 'kysely';
import { exactTime } from '../db/keyset.ts';
import type { Executor } from '../db/executor.ts';
import type { Content, DB, Json } from '../db/types.generated.ts';
import type { UpdateObject } from 'kysely';
import type { ProductionStatus, Stage } from './content-model.ts';
import { updatedAny } from '../db/updated.ts';

/** What a move of content requires it still to be in: its production status, its review state (null: none). */
export interface ContentGuard {
  production_status?: ProductionStatus;
  review_state?: string | null;
}

/**
 * Changes content `id` only while it is still as `from` says: the compare-and-set every move of a production
 * or a review is. False when another writer moved it first.
 */
export function moveContentRow(
  db: Executor,
  id: string,
  from: ContentGuard,
  set: UpdateObject<DB, 'content'>,
): Promise<boolean> {
  let query = db.updateTable('content').set(set).where('id', '=', id);
  for (const [column, value] of Object.entries(from)) {
    query = query.where(sql.ref(column), value === null ? 'is' : '=', value);
  }
  return updatedAny(query);
}

/** The manifest with `failure` recorded as why the production failed. */
export const withFailure = (failure: unknown) =>
  sql<Json>`asset_manifest || jsonb_build_object('failure', ${JSON.stringify(failure)}::jsonb)`;

/** A content row with its niche's slug, as the service maps it. */
export type ContentRow = Selectable<Content> & { niche_slug: string | null };

const withNiche = (db: Executor) =>
  db
    .selectFrom('content as c')
    .leftJoin('niches as n', 'n.id', 'c.niche_id')
    .selectAll('c')
    .select('n.slug as niche_slug');

export async function findContentRow(db: Executor, id: string): Promise<ContentRow | undefined> {
  return withNiche(db).where('c.id', '=', id).executeTakeFirst();
}

export async function insertContentRow(
  db: Executor,
  row: { topic: string; nicheId: string; format: string; trendId: string | null },
): Promise<string> {
  const inserted = await db
    .insertInto('content')
    .values({ topic: row.topic, niche_id: row.nicheId, content_format: row.format, trend_id: row.trendId })
    .returning('id')
    .executeTakeFirstOrThrow();
  return inserted.id;
}

/** What a listing may be narrowed to; archived content shows only when `archived` is true (and then alone). */
export interface ContentListFilter {
  status?: ProductionStatus[];
  nicheId?: string;
  /** Only content in these niches (a niche-limited caller's). */
  scope?: NicheScope;
  formats?: string[];
  /** Words in the topic, the script's title or its narration (case-insensitive, as typed). */
  search?: string;
  /** created_at within [since, until). */
  since?: Date;
  until?: Date;
  archived?: boolean;
}

/** The column a listing is ordered by, with id as the tiebreak. */
export const contentSortColumns = {
  created: 'c.created_at',
  updated: 'c.updated_at',
  topic: 'c.topic',
} as const;
export type ContentSort = keyof typeof contentSortColumns;

/** A row of a listing page, with its sort key as text (exact times for the time columns: keyset.ts). */
export type ContentPageRow = ContentRow & { cursor_key: string };

/** `%`, `_` and `\` typed in a search are text, not patterns. */
const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;

/**
 * One page of a listing in (sort column, id) order, after the cursor's key. The filters are plain
 * predicates on the content table: content_production_status_idx serves the status filter,
 * content_niche_id_idx the niche filter; the search reads every row it passes, which is fine at a team's
 * scale (thousands of pieces), not at millions.
 */
export async function contentPageRows(
  db: Executor,
  filter: ContentListFilter,
  order: { sort: ContentSort; direction: 'asc' | 'desc' },
  after: [string, string] | undefined,
  limit: number,
): Promise<ContentPageRow[]> {
  const column = contentSortColumns[order.sort];
  // Every sort column is NOT NULL, so the key is never null.
  const key = order.sort === 'topic' ? sql<string>`c.topic` : sql<string>`${exactTime(column)}`;
  let query = withNiche(db).select(key.as('cursor_key'));
  if (filter.status?.length) query = query.where('c.production_status', 'in', filter.status);
  if (filter.nicheId) query = query.where('c.niche_id', '=', filter.nicheId);
  const inScope = nicheScopeCondition(sql.ref('c.niche_id'), filter.scope);
  if (inScope) query = query.where(inScope);
  if (filter.formats?.length) query = query.where('c.content_format', 'in', filter.formats);
  if (filter.since) query = query.where('c.created_at', '>=', filter.since);
  if (filter.until) query = query.where('c.created_at', '<', filter.until);
  query = query.where('c.archived_at', filter.archived ? 'is not' : 'is', null);
  if (filter.search) {
    const pattern = likePattern(filter.search);
    query = query.where((eb) =>
      eb.or([
        eb('c.topic', 'ilike', pattern),
        eb(sql<string>`c.script_json->>'title'`, 'ilike', pattern),
        eb(sql<string>`c.script_json->>'narration'`, 'ilike', pattern),
      ]),
    );
  }
  if (after) {
    const [value, id] = after;
    const typed = order.sort === 'topic' ? sql`${value}::text` : sql`${value}::timestamptz`;
    const op = sql.raw(order.direction === 'desc' ? '<' : '>');
    query = query.where(sql<SqlBool>`(${sql.ref(column)}, c.id) ${op} (${typed}, ${id}::uuid)`);
  }
  return query.orderBy(column, order.direction).orderBy('c.id', order.direction).limit(limit).execute();
}

/** Current (unarchived) content per status: the board's columns. */
export async function countContentByStatus(
  db: Executor,
  scope?: NicheScope,
): Promise<{ production_status: string; n: number }[]> {
  let query = db
    .selectFrom('content')
    .select(['production_status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('archived_at', 'is', null);
  const inScope = nicheScopeCondition(sql.ref('niche_id'), scope);
  if (inScope) query = query.where(inScope);
  const rows = await query.groupBy('production_status').execute();
  return rows.map((r) => ({ production_status: r.production_status, n: Number(r.n) }));
}

/**
 * Archives (or restores) a piece whose production has ended; false when it is in production or already
 * in the state asked for.
 */
export async function setContentArchivedRow(db: Executor, id: string, archived: boolean): Promise<boolean> {
  return updatedAny(
    db
      .updateTable('content')
      .set({ archived_at: archived ? sql<Date>`now()` : null })
      .where('id', '=', id)
      .where('production_status', 'in', ['complete', 'failed'])
      .where('archived_at', archived ? 'is' : 'is not', null),
  );
}

type StagedContent = { id: string; topic: string; production_status: string };

/** Content in one of `stages`, by id, topic and status: what the queueing and the sweep read. */
const inStages = (db: Executor, stages: readonly Stage[]) =>
  db
    .selectFrom('content')
    .select(['id', 'topic', 'production_status'])
    .where('production_status', 'in', [...stages]);

/** Content in one of `stages`: what `sovi content produce --all` queues. */
export async function contentInStages(db: Executor, stages: readonly Stage[]): Promise<StagedContent[]> {
  return inStages(db, stages).execute();
}

/**
 * Content in a stage that has not changed since `before` (its job lost, say), and distributing content
 * with no distribution yet (still waiting for an account). Distributing content with distributions waits
 * on them, not on a job.
 */
export async function staleContentRows(
  db: Executor,
  stages: readonly Stage[],
  before: Date,
  limit: number,
): Promise<StagedContent[]> {
  return inStages(db, stages)
    .where('updated_at', '<', before)
    .where((eb) =>
      eb.or([
        eb('production_status', '!=', 'distributing'),
        eb.not(
          eb.exists(
            eb
              .selectFrom('distributions')
              .select('id')
              .whereRef('distributions.content_id', '=', 'content.id'),
          ),
        ),
      ]),
    )
    .limit(limit)
    .execute();
}

/** What a stage works from: the content, its niche's slug and name, and what earlier stages recorded. */
export interface StageContentRow {
  id: string;
  topic: string;
  niche_id: string | null;
  niche_slug: string | null;
  niche_name: string | null;
  content_format: string | null;
  production_status: string;
  script_json: unknown;
  asset_manifest: unknown;
  hook_id: string | null;
  output_path: string | null;
  review_state: string | null;
}

export async function findStageContentRow(db: Executor, id: string): Promise<StageContentRow | undefined> {
  return db
    .selectFrom('content as c')
    .leftJoin('niches as n', 'n.id', 'c.niche_id')
    .select([
      'c.id',
      'c.topic',
      'c.niche_id',
      'n.slug as niche_slug',
      'n.name as niche_name',
      'c.content_format',
      'c.production_status',
      'c.script_json',
      'c.asset_manifest',
      'c.hook_id',
      'c.output_path',
      'c.review_state',
    ])
    .where('c.id', '=', id)
    .executeTakeFirst();
}

/** Columns a stage fills in as it advances. */
export interface StageColumns {
  script_json?: string;
  hook_id?: string | null;
  output_path?: string;
  quality_score?: number;
}

/** A stage's move of its content: from `stage` to `to`, recording `data` as asset_manifest.stages[stage]. */
export interface StageMove {
  stage: Stage;
  to: ProductionStatus;
  data: Record<string, unknown>;
  columns?: StageColumns;
}

/** Makes a stage's move; false when the content was no longer in `stage`. */
export async function advanceContentRow(db: Executor, id: string, move: StageMove): Promise<boolean> {
  const { stage, to, data, columns } = move;
  return moveContentRow(
    db,
    id,
    { production_status: stage },
    {
      ...columns,
      production_status: to,
      asset_manifest: sql`asset_manifest || jsonb_build_object('stages',
        coalesce(asset_manifest -> 'stages', '{}'::jsonb) || jsonb_build_object(${stage}::text, ${JSON.stringify(data)}::jsonb))`,
    },
  );
}

/** Moves content still in `stage` to failed, recording `failure` as asset_manifest.failure. */
export async function failContentRow(
  db: Executor,
  id: string,
  stage: Stage,
  failure: Record<string, unknown>,
): Promise<boolean> {
  return moveContentRow(
    db,
    id,
    { production_status: stage },
    { production_status: 'failed', asset_manifest: withFailure(failure) },
  );
}

/**
 * Moves failed content back to `stage`, its failure appended to asset_manifest.failures; false when the
 * content was no longer failed.
 */
export async function restartContentRow(db: Executor, id: string, stage: Stage): Promise<boolean> {
  return moveContentRow(
    db,
    id,
    { production_status: 'failed' },
    {
      production_status: stage,
      // A new production is reviewed afresh (a rejected one comes back here through a retry).
      review_state: null,
      asset_manifest: sql`(asset_manifest - 'failure') || jsonb_build_object('failures',
        coalesce(asset_manifest -> 'failures', '[]'::jsonb) || jsonb_build_array(asset_manifest -> 'failure'))`,
    },
  );
}

/** The rendered video of content still assembling (kept when its quality checks fail it). */
export async function recordRenderRow(
  db: Executor,
  id: string,
  video: { outputPath: string; qualityScore: number },
): Promise<void> {
  await db
    .updateTable('content')
    .set({ output_path: video.outputPath, quality_score: video.qualityScore })
    .where('id', '=', id)
    .where('production_status', '=', 'assembling')
    .execute();
}

/** Notes, once, since when distributing content has waited for an account to take it. */
export async function markWaitingRow(db: Executor, id: string): Promise<void> {
  await db
    .updateTable('content')
    .set({
      asset_manifest: sql`asset_manifest || jsonb_build_object('stages', coalesce(asset_manifest -> 'stages', '{}'::jsonb)
        || jsonb_build_object('distributing', jsonb_build_object('waitingSince', now())))`,
    })
    .where('id', '=', id)
    .execute();
}

/** Locks a content row until the transaction ends. */
export async function lockContentRow(trx: Executor, id: string): Promise<void> {
  await trx.selectFrom('content').select('id').where('id', '=', id).forUpdate().execute();
}

/** Moves distributing content to complete; false when it was not distributing. */
export async function completeContentRow(trx: Executor, id: string): Promise<boolean> {
  return moveContentRow(trx, id, { production_status: 'distributing' }, { production_status: 'complete' });
}
