// SQL for the hooks table. The table holds hundreds of rows: its listings need no index beyond the primary
// key (hooks_niche_id_idx serves a niche's hooks).
import { sql, type Insertable, type Selectable } from 'kysely';
import type { Executor } from '../db/executor.ts';
import { exactTime } from '../db/keyset.ts';
import type { Hooks } from '../db/types.generated.ts';
import type { HookScores } from './hook-model.ts';
import { updatedAny } from '../db/updated.ts';

export type HookRow = Selectable<Hooks> & { niche_slug: string | null };
/** A row of the listing: with its created_at as exact text, for the cursor. */
export type HookPageRow = HookRow & { cursor_time: string | null };

const hookRows = (db: Executor) =>
  db
    .selectFrom('hooks as h')
    .leftJoin('niches as n', 'n.id', 'h.niche_id')
    .select([
      'h.id',
      'h.category',
      'h.template',
      'h.niche_id',
      'h.effectiveness_score',
      'h.usage_count',
      'h.platform_scores',
      'h.created_at',
      'h.retired_at',
      'n.slug as niche_slug',
    ]);

type NewHookRow = Pick<Insertable<Hooks>, 'category' | 'template' | 'niche_id' | 'effectiveness_score'>;

export async function insertHook(db: Executor, row: NewHookRow): Promise<string> {
  return (await db.insertInto('hooks').values(row).returning('id').executeTakeFirstOrThrow()).id;
}

export async function insertHooks(db: Executor, rows: NewHookRow[]): Promise<void> {
  if (rows.length > 0) await db.insertInto('hooks').values(rows).execute();
}

export async function findHook(db: Executor, id: string): Promise<HookRow | undefined> {
  return hookRows(db).where('h.id', '=', id).executeTakeFirst();
}

/** Hooks by category, then oldest first, after the (category, created_at, id) key when there is one. */
export async function hookPageRows(
  db: Executor,
  filter: { nicheId?: string; category?: string },
  after: [string, string | null, string] | undefined,
  limit: number,
): Promise<HookPageRow[]> {
  let q = hookRows(db).select(exactTime('h.created_at').as('cursor_time'));
  if (filter.nicheId) q = q.where('h.niche_id', '=', filter.nicheId);
  if (filter.category) q = q.where('h.category', '=', filter.category);
  if (after) {
    const [category, createdAt, id] = after;
    q = q.where(
      sql<boolean>`(h.category, h.created_at, h.id) > (${category}, ${createdAt}::timestamptz, ${id}::uuid)`,
    );
  }
  return q.orderBy('h.category').orderBy('h.created_at').orderBy('h.id').limit(limit).execute();
}

/**
 * The hooks that compete for a niche's content: its own and the generic ones (no niche); for none, these.
 * Retired hooks compete no more.
 */
export async function competingHooks(db: Executor, nicheId: string | null): Promise<HookRow[]> {
  const live = hookRows(db).where('h.retired_at', 'is', null);
  const q =
    nicheId === null
      ? live.where('h.niche_id', 'is', null)
      : live.where((eb) => eb.or([eb('h.niche_id', '=', nicheId), eb('h.niche_id', 'is', null)]));
  return q.orderBy('h.id').execute();
}

/** Every hook not retired. */
export async function allHooks(db: Executor): Promise<HookRow[]> {
  return hookRows(db).where('h.retired_at', 'is', null).orderBy('h.id').execute();
}

export type HookUpdate = Partial<
  Pick<Insertable<Hooks>, 'category' | 'template' | 'niche_id' | 'effectiveness_score' | 'retired_at'>
>;

/** Changes a hook; false when there is no such hook. */
export async function updateHookRow(db: Executor, id: string, values: HookUpdate): Promise<boolean> {
  return updatedAny(db.updateTable('hooks').set(values).where('id', '=', id));
}

export async function incrementUsage(db: Executor, id: string): Promise<void> {
  await db
    .updateTable('hooks')
    .set({ usage_count: sql`usage_count + 1` })
    .where('id', '=', id)
    .execute();
}

/** Sets the feedback loop's scores in one statement; returns the ids of the hooks that exist. */
export async function updateScores(db: Executor, scores: HookScores[]): Promise<string[]> {
  if (scores.length === 0) return [];
  const rows = scores.map((s) => ({
    id: s.hookId,
    effectiveness_score: s.effectivenessScore,
    platform_scores: s.platformScores,
  }));
  const updated = await sql<{ id: string }>`
    UPDATE hooks SET effectiveness_score = s.effectiveness_score, platform_scores = s.platform_scores
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      AS s(id uuid, effectiveness_score float8, platform_scores jsonb)
    WHERE hooks.id = s.id
    RETURNING hooks.id`.execute(db);
  return updated.rows.map((r) => r.id);
}
