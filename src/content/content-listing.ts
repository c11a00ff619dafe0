// Content for the API: newest first in keyset pages (the CLI's filters), one piece with what its production
// recorded and its distributions, and the rendered video's file, only from inside the media folder.
//   status  content_production_status_idx (production_status, created_at)
//   niche   content_niche_id_idx
import fs from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import { resolveNiche } from '../niches/niches-service.ts';
import { decodeCursor, encodeCursor, exactTime, isExactTime } from '../db/keyset.ts';
import type { Distribution } from '../distributions/distribution-model.ts';
import { listDistributions } from '../distributions/distributions-reads.ts';
import { SoviError } from '../errors.ts';
import type { Executor } from '../db/executor.ts';
import { isUuid } from '../ids.ts';
import type { QualityCheck } from '../media/quality.ts';
import type { Content, ProductionFailure, ProductionStatus } from './content-model.ts';
import { failureOf, getContent, toContent } from './content-service.ts';

export interface ContentPageQuery {
  status?: ProductionStatus[];
  niche?: string;
  after?: string;
  limit: number;
}

export async function listContentPage(
  db: Executor,
  query: ContentPageQuery,
): Promise<{ content: Content[]; nextCursor: string | null }> {
  const before = query.after === undefined ? undefined : readCursor(query.after);
  let q = db
    .selectFrom('content as c')
    .leftJoin('niches as n', 'n.id', 'c.niche_id')
    .selectAll('c')
    .select(['n.slug as niche_slug', exactTime('c.created_at').as('cursor_time')]);
  if (query.status?.length) q = q.where('c.production_status', 'in', query.status);
  if (query.niche) q = q.where('c.niche_id', '=', await resolveNiche(db, query.niche));
  if (before) {
    q = q.where(sql<boolean>`(c.created_at, c.id) < (${before.createdAt}::timestamptz, ${before.id}::uuid)`);
  }
  const rows = await q
    .orderBy('c.created_at', 'desc')
    .orderBy('c.id', 'desc')
    .limit(query.limit + 1)
    .execute();
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    content: page.map(toContent),
    nextCursor: rows.length > query.limit && last ? encodeCursor([last.cursor_time, last.id]) : null,
  };
}

function readCursor(text: string): { createdAt: string; id: string } {
  const [createdAt, id] = decodeCursor<[string, string]>(
    text,
    'after',
    ([t, i]) => isExactTime(t) && typeof i === 'string' && isUuid(i),
  );
  return { createdAt, id };
}

export interface ContentDetails {
  content: Content;
  /** Why the production failed, when it did. */
  failure: ProductionFailure | null;
  /** Failures a retry left behind, oldest first. */
  previousFailures: ProductionFailure[];
  /** The assembled video's quality checks, once it was assembled. */
  quality: { score: number; checks: QualityCheck[] } | null;
  distributions: Distribution[];
}

/** One piece of content with its production record and every distribution (a handful per piece). */
export async function getContentDetails(db: Executor, id: string): Promise<ContentDetails> {
  const content = await getContent(db, id);
  const manifest = content.assetManifest;
  const stages = (manifest.stages ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const failure = failureOf(content);
  // A video that failed its checks keeps them in the failure; one that passed, in the assembling stage.
  const quality = (stages.assembling?.quality ??
    (failure as { quality?: unknown } | undefined)?.quality ??
    null) as ContentDetails['quality'];
  const { distributions } = await listDistributions(db, { contentId: content.id, limit: 1_000 });
  const brief = (f: ProductionFailure): ProductionFailure => ({ stage: f.stage, reason: f.reason, at: f.at });
  return {
    content,
    failure: failure ? brief(failure) : null,
    previousFailures: Array.isArray(manifest.failures)
      ? (manifest.failures as (ProductionFailure | null)[]).flatMap((f) => (f ? [brief(f)] : []))
      : [],
    quality: quality && Array.isArray(quality.checks) ? quality : null,
    distributions,
  };
}

/**
 * The rendered video of a piece of content, as a file inside `mediaDir` (symbolic links resolved), or a 404:
 * the path comes from the database, and a path that leads outside the media folder is never opened.
 */
export async function contentVideoFile(
  db: Executor,
  mediaDir: string | undefined,
  id: string,
): Promise<{ file: string; size: number; modifiedAt: Date }> {
  const content = await getContent(db, id);
  const missing = (why: string) =>
    new SoviError('not_found', `content ${content.id} has no video: ${why}`, { field: 'id' });
  if (!content.outputPath) throw missing('it has not been rendered yet');
  if (!mediaDir) throw missing('this server has no media folder configured');
  let file: string;
  let root: string;
  try {
    [file, root] = await Promise.all([fs.realpath(content.outputPath), fs.realpath(mediaDir)]);
  } catch {
    throw missing('the file is gone');
  }
  const relative = path.relative(root, file);
  if (
    relative === '' ||
    relative === '..' ||
    relative.startsWith(`..${path.sep}`) ||
    path.isAbsolute(relative)
  ) {
    throw missing('the file is outside the media folder');
  }
  const stat = await fs.stat(file).catch(() => undefined);
  if (!stat?.isFile()) throw missing('the file is gone');
  return { file, size: stat.size, modifiedAt: stat.mtime };
}
