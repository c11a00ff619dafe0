// The built-in visual sources: one clip per script beat, by keywords.
//
// library: SOVI_MEDIA_LIBRARY's keywords.json names each clip's keywords and licence:
//   {"clips": [{"file": "city/night.mp4", "keywords": ["city", "night"], "licence": "own footage"}]}
// The clip sharing most keywords with the beat wins (ties by name); none shared, no pick.
//
// pexels: Pexels' video search (https://www.pexels.com/api/documentation/#videos-search):
//   GET {base}/videos/search?query=…&orientation=portrait&size=medium&per_page=15, header
//   `Authorization: <key>`; answers {page, per_page, total_results, url, videos: [{id, width, height, url,
//   image, duration, user: {name, url}, video_files: [{id, quality, file_type, width, height, fps, link}]}]}.
// The first video not used yet gets its MP4 file nearest 1080 px wide (portrait preferred), downloaded once
// into the content's folder. Licence: the Pexels License (free to use, attribution appreciated). The key
// goes only into the header.
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { SoviError, type OneOf } from '../errors.ts';
import type { VisualPick, VisualSource } from '../plugins/media-stages.ts';
import { writeAtomically } from './files.ts';

export const KEYWORDS_MANIFEST = 'keywords.json';

const libraryManifest = z
  .object({
    clips: z.array(
      z
        .object({
          file: z.string().min(1),
          keywords: z.array(z.string().min(1).max(60)).min(1),
          licence: z.string().min(1).max(200),
          url: z.string().max(500).optional(),
        })
        .strict(),
    ),
  })
  .strict();

/** The library's keyword manifest, or null when it has none (its clips are then used in seeded order). */
export async function readKeywordLibrary(
  library: string,
): Promise<{ file: string; id: string; keywords: string[]; licence: string; url: string | null }[] | null> {
  const file = path.join(library, KEYWORDS_MANIFEST);
  let raw: string;
  try {
    raw = await fs.readFile(file, 'utf8');
  } catch {
    return null;
  }
  const parsed = libraryManifest.safeParse(JSON.parse(raw));
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new SoviError('invalid_input', `${file} is not a valid keyword manifest: ${why}`, {
      field: 'SOVI_MEDIA_LIBRARY',
    });
  }
  return parsed.data.clips.map((c) => ({
    file: path.resolve(library, c.file),
    id: c.file,
    keywords: c.keywords.map((k) => k.toLowerCase()),
    licence: c.licence,
    url: c.url ?? null,
  }));
}

export function libraryVisuals(library: string): VisualSource {
  let clips: ReturnType<typeof readKeywordLibrary> | undefined;
  return {
    name: 'library',
    pick: async ({ keywords, exclude }) => {
      clips ??= readKeywordLibrary(library);
      const all = (await clips) ?? [];
      const wanted = new Set(keywords.map((k) => k.toLowerCase()));
      let best: OneOf<typeof all> | null = null;
      let bestScore = 0;
      for (const clip of [...all].sort((a, b) => a.id.localeCompare(b.id))) {
        if (exclude.has(`library:${clip.id}`)) continue;
        const score = clip.keywords.filter((k) => wanted.has(k)).length;
        if (score > bestScore) {
          best = clip;
          bestScore = score;
        }
      }
      return (
        best && { source: 'library', id: best.id, file: best.file, licence: best.licence, url: best.url }
      );
    },
  };
}

interface PexelsVideo {
  id: number;
  url?: string;
  duration?: number;
  user?: { name?: string; url?: string };
  video_files?: {
    id: number;
    file_type?: string;
    width?: number | null;
    height?: number | null;
    link: string;
  }[];
}

export interface PexelsSettings {
  url: string;
  apiKey: string | undefined;
  timeoutMs?: number;
}

export function pexelsVisuals(settings: PexelsSettings): VisualSource {
  return {
    name: 'pexels',
    pick: async ({ keywords, exclude, dir, signal }) => {
      if (!settings.apiKey) throw new Error('SOVI_PEXELS_API_KEY is not set, so Pexels cannot be searched');
      if (keywords.length === 0) return null;
      const search = new URL(`${settings.url.replace(/\/+$/, '')}/videos/search`);
      search.searchParams.set('query', keywords.slice(0, 4).join(' '));
      search.searchParams.set('orientation', 'portrait');
      search.searchParams.set('size', 'medium');
      search.searchParams.set('per_page', '15');
      const timeout = () => AbortSignal.any([signal, AbortSignal.timeout(settings.timeoutMs ?? 30_000)]);
      const response = await fetch(search, {
        headers: { authorization: settings.apiKey },
        signal: timeout(),
      });
      if (!response.ok) throw new Error(`the Pexels search answered HTTP ${response.status}`);
      const body = (await response.json()) as { videos?: PexelsVideo[] };
      for (const video of body.videos ?? []) {
        const id = String(video.id);
        if (exclude.has(`pexels:${id}`)) continue;
        const file = bestFile(video);
        if (file === null) continue;
        const local = path.join(dir, 'visuals', `pexels-${id}.mp4`);
        try {
          await fs.access(local);
        } catch {
          const download = await fetch(file.link, { signal: timeout() });
          if (!download.ok) throw new Error(`the Pexels video ${id} answered HTTP ${download.status}`);
          const bytes = Buffer.from(await download.arrayBuffer());
          await writeAtomically(local, (temp) => fs.writeFile(temp, bytes));
        }
        const by = video.user?.name ? ` (video by ${video.user.name})` : '';
        return {
          source: 'pexels',
          id,
          file: local,
          licence: `Pexels License${by}`,
          url: video.url ?? null,
        } satisfies VisualPick;
      }
      return null;
    },
  };
}

/** The MP4 nearest 1080 px wide, portrait before landscape. */
function bestFile(video: PexelsVideo) {
  const mp4 = (video.video_files ?? []).filter((f) => f.file_type === 'video/mp4' && f.link);
  const score = (f: (typeof mp4)[number]) =>
    Math.abs((f.width ?? 0) - 1080) + ((f.height ?? 0) >= (f.width ?? 0) ? 0 : 10_000);
  return mp4.sort((a, b) => score(a) - score(b))[0] ?? null;
}
