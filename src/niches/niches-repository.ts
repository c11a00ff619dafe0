// SQL for niches. Executor first. The table holds a handful of rows: slug's UNIQUE index serves every
// lookup and the listing's order.
import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import { nicheScopeCondition, type NicheScope } from './niche-scope.ts';
import type { Executor } from '../db/executor.ts';
import type { Niches } from '../db/types.generated.ts';

export type NicheRow = Selectable<Niches>;

const columns = ['id', 'name', 'slug', 'tier', 'status', 'created_at', 'updated_at'] as const;

export async function findNicheRow(
  db: Executor,
  by: { id: string } | { slug: string },
): Promise<NicheRow | undefined> {
  const query = db.selectFrom('niches').select(columns);
  return ('id' in by ? query.where('id', '=', by.id) : query.where('slug', '=', by.slug)).executeTakeFirst();
}

export async function nicheIdsBySlug(db: Executor, slugs: string[]): Promise<Map<string, string>> {
  if (slugs.length === 0) return new Map();
  const rows = await db.selectFrom('niches').select(['id', 'slug']).where('slug', 'in', slugs).execute();
  return new Map(rows.map((r) => [r.slug, r.id]));
}

/** By slug, after `afterSlug` (the keyset). */
export async function listNicheRows(
  db: Executor,
  filter: { status?: string; afterSlug?: string; scope?: NicheScope },
  limit: number,
): Promise<NicheRow[]> {
  let query = db.selectFrom('niches').select(columns).orderBy('slug').limit(limit);
  if (filter.status) query = query.where('status', '=', filter.status);
  const inScope = nicheScopeCondition(sql.ref('id'), filter.scope);
  if (inScope) query = query.where(inScope);
  if (filter.afterSlug !== undefined) query = query.where('slug', '>', filter.afterSlug);
  return query.execute();
}

export async function insertNicheRow(db: Executor, row: Insertable<Niches>): Promise<NicheRow> {
  return db.insertInto('niches').values(row).returning(columns).executeTakeFirstOrThrow();
}

export async function updateNicheRow(db: Executor, id: string, patch: Updateable<Niches>): Promise<NicheRow> {
  return db
    .updateTable('niches')
    .set(patch)
    .where('id', '=', id)
    .returning(columns)
    .executeTakeFirstOrThrow();
}

export async function activeNicheSlugs(db: Executor): Promise<string[]> {
  const rows = await db
    .selectFrom('niches')
    .select('slug')
    .where('status', '=', 'active')
    .orderBy('slug')
    .execute();
  return rows.map((r) => r.slug);
}
