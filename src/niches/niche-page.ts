// A keyset page of a listing that can be narrowed to one niche (hooks, trends): the niche, named by slug or
// id, is resolved once, before any page is read, so a bad one fails before the listing starts.
import type { Executor } from '../db/executor.ts';
import { keysetPage, type Keyset, type KeyPart, type Page, type PageQuery } from '../db/keyset.ts';
import { optionalNiche } from './niches-service.ts';

/**
 * One page of the niche `query.niche` names, or of every niche. `read` gets the niche's id (undefined for
 * every niche), then keysetPage's key and row count; `prefix` goes before the arguments' names in errors
 * (the CLI's '--': --after, --niche).
 */
export async function pageInNiche<Row, Key extends KeyPart[], Item>(
  db: Executor,
  query: PageQuery & { niche?: string },
  prefix: string,
  keyset: Keyset<Row, Key>,
  map: (row: Row) => Item,
  read: (nicheId: string | undefined, after: Key | undefined, rows: number) => Promise<Row[]>,
): Promise<Page<Item>> {
  const nicheId = await optionalNiche(db, query.niche, `${prefix}niche`);
  return keysetPage(query, keyset, (after, rows) => read(nicheId, after, rows), map, `${prefix}after`);
}
