// Content read models: newest first in keyset pages (the API's listing and `sovi content list`), one piece
// with what its production recorded and its distributions (GET /content/{id}, `sovi content show`), and the
// rendered video's file, only from inside the media folder.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { NicheScope } from '../niches/niche-scope.ts';
import { optionalNiche } from '../niches/niches-service.ts';
import { isExactTime, keysetPage, type Keyset, type Page } from '../db/keyset.ts';
import type { Distribution } from '../distributions/distribution-model.ts';
import { listDistributions } from '../distributions/distributions-reads.ts';
import { SoviError } from '../errors.ts';
import { isUuid } from '../ids.ts';
import type { Executor } from '../db/executor.ts';
import type { QualityCheck } from '../media/quality.ts';
import type { Content, ProductionFailure, ProductionStatus } from './content-model.ts';
import {
  contentPageRows,
  type ContentListFilter,
  type ContentPageRow,
  type ContentSort,
} from './content-repository.ts';
import { failureOf, getContent, toContent } from './content-service.ts';

export interface ContentPageQuery {
  status?: ProductionStatus[];
  /** A niche slug or id; `nicheField` names it in the error when there is no such niche. */
  niche?: string;
  nicheField?: string;
  /** Only content in these niches (a niche-limited caller's). */
  scope?: NicheScope;
  format?: string[];
  /** Words in the topic, the script's title or its narration. */
  q?: string;
  /** Created at or after `since`, and before `until`. */
  since?: Date;
  until?: Date;
  /** Only archived content (otherwise only current content). */
  archived?: boolean;
  /** created (the default), updated or topic; newest (or Z–A) first unless `order` is asc. */
  sort?: ContentSort;
  order?: 'asc' | 'desc';
  /** The nextCursor of the previous page. */
  after?: string;
  limit: number;
}

const isUuidKey = (id: unknown) => typeof id === 'string' && isUuid(id);

/** The key a page's cursor holds for each order: the sort column's value as text, and the id. */
const keysets: Record<ContentSort, Keyset<ContentPageRow, [string, string]>> = {
  created: { keyOf: (r) => [r.cursor_key, r.id], isKey: ([k, id]) => isExactTime(k) && isUuidKey(id) },
  updated: { keyOf: (r) => [r.cursor_key, r.id], isKey: ([k, id]) => isExactTime(k) && isUuidKey(id) },
  topic: { keyOf: (r) => [r.cursor_key, r.id], isKey: ([k, id]) => typeof k === 'string' && isUuidKey(id) },
};

/** One page of content, newest first unless another order is asked for. */
export async function listContentPage(db: Executor, query: ContentPageQuery): Promise<Page<Content>> {
  const nicheId = await optionalNiche(db, query.niche, query.nicheField, query.scope);
  const sort = query.sort ?? 'created';
  const direction = query.order ?? (sort === 'topic' ? 'asc' : 'desc');
  const search = query.q?.trim();
  const filter: ContentListFilter = {
    status: query.status,
    nicheId,
    scope: query.scope,
    formats: query.format,
    search: search || undefined,
    since: query.since,
    until: query.until,
    archived: query.archived,
  };
  return keysetPage(
    query,
    keysets[sort],
    (after, rows) => contentPageRows(db, filter, { sort, direction }, after, rows),
    toContent,
  );
}

export interface ContentDetails {
  content: Content;
  /** Why the production failed, when it did. */
  failure: ProductionFailure | null;
  /** Failures a retry left behind, oldest first. */
  previousFailures: ProductionFailure[];
  /** The assembled video's quality checks, once it was assembled. */
  quality: { score: number; checks: QualityCheck[] } | null;
  /** What the video is made of: who spoke, the music and each beat's visual, with their licences. */
  media: ContentMedia;
  distributions: Distribution[];
}

export interface ContentMedia {
  voice: { engine: string; voice: string | null; model: string | null; fellBack: string[] } | null;
  music: { title: string | null; mood: string; licence: string; attribution: string } | null;
  visuals: {
    start: number;
    end: number;
    source: string | null;
    id: string | null;
    licence: string | null;
    url: string | null;
  }[];
  /** 'speech': captions timed from the voice's pauses; 'letters': estimated (a silent track). */
  captionTiming: string | null;
}

/** The media record of the generating and assembling stages, as far as they got. */
function mediaOf(stages: Record<string, Record<string, unknown> | undefined>): ContentMedia {
  const voice = stages.generating?.voice as
    | { kind?: string; voice?: string | null; model?: string; fellBack?: { engine: string; voice: string }[] }
    | undefined;
  const background = stages.generating?.background as { visuals?: ContentMedia['visuals'] } | undefined;
  const music = stages.assembling?.music as (ContentMedia['music'] & { title?: string | null }) | undefined;
  const timing = stages.assembling?.captionTiming;
  return {
    voice:
      voice?.kind === undefined
        ? null
        : {
            engine: voice.kind,
            voice: voice.voice ?? null,
            model: voice.model ?? null,
            fellBack: (voice.fellBack ?? []).map((f) => `${f.engine}:${f.voice}`),
          },
    music: music
      ? {
          title: music.title ?? null,
          mood: music.mood,
          licence: music.licence,
          attribution: music.attribution,
        }
      : null,
    visuals: (background?.visuals ?? []).map((v) => ({
      start: v.start,
      end: v.end,
      source: v.source,
      id: v.id,
      licence: v.licence,
      url: v.url,
    })),
    captionTiming: typeof timing === 'string' ? timing : null,
  };
}

/** One piece of content with its production record and every distribution (a handful per piece). */
export async function getContentDetails(
  db: Executor,
  id: string,
  scope?: NicheScope,
): Promise<ContentDetails> {
  const content = await getContent(db, id, scope);
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
    media: mediaOf(stages),
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
  scope?: NicheScope,
): Promise<{ file: string; size: number; modifiedAt: Date }> {
  const content = await getContent(db, id, scope);
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
