// A local Pexels API for the video search, written from https://www.pexels.com/api/documentation/#videos-search
// (and #authorization, #response-headers): GET /videos/search?query=…&orientation=&size=&page=&per_page=
// with the key in the `Authorization` header; 200 with {page, per_page, total_results, url, videos: [...]}
// (each video: id, width, height, url, image, duration, user {id, name, url}, video_files [{id, quality,
// file_type, width, height, fps, link}], video_pictures), and the X-Ratelimit-* headers; 401 without a
// valid key. The video files are real MP4s made by ffmpeg, served by the same server at their `link`.
//
// Mode 'recorded' answers every search with recordings/pexels-videos-search.json instead: a response in the
// documented shape (the documentation's video search example, https://www.pexels.com/api/documentation/ ,
// with its video's files at several sizes, an HLS entry and next_page), not one built from the STOCK table.
// Its file links are rewritten to this server, which answers each with a real MP4 of that file's size.
import { once } from 'node:events';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MediaTools } from '../../src/media/tools.ts';
import { makeClip } from '../media/fixtures/media.ts';

export interface PexelsServer {
  url: string;
  searches: { query: string; orientation: string | null; perPage: number; auth: string | null }[];
  downloads: string[];
  /** 'down': every search answers 500; 'recorded': every search answers the recorded response. */
  mode: 'ok' | 'down' | 'recorded';
  close(): Promise<void>;
}

interface StockVideo {
  id: number;
  tags: string[];
  width: number;
  height: number;
  picture: string;
  seconds: number;
  author: string;
}

export const STOCK: StockVideo[] = [
  {
    id: 3571264,
    tags: ['bank', 'money', 'automate', 'savings'],
    width: 360,
    height: 640,
    picture: 'navy',
    seconds: 3,
    author: 'Anna Tarazevich',
  },
  {
    id: 2792370,
    tags: ['money', 'coins', 'percent'],
    width: 640,
    height: 360,
    picture: 'olive',
    seconds: 2,
    author: 'Karolina Grabowska',
  },
  {
    id: 4440931,
    tags: ['city', 'night'],
    width: 360,
    height: 640,
    picture: 'purple',
    seconds: 2,
    author: 'Kelly',
  },
];

export const RECORDED_SEARCH = fileURLToPath(
  new URL('./recordings/pexels-videos-search.json', import.meta.url),
);

interface RecordedFile {
  id: number;
  width: number | null;
  height: number | null;
  link: string;
}

export async function startPexelsServer(
  tools: MediaTools,
  dir: string,
  apiKey: string,
): Promise<PexelsServer> {
  await fs.mkdir(dir, { recursive: true });
  for (const v of STOCK) {
    await makeClip(tools, path.join(dir, `${v.id}.mp4`), {
      picture: v.picture,
      width: v.width,
      height: v.height,
      seconds: v.seconds,
      sound: 'none',
    });
  }
  const recorded = JSON.parse(await fs.readFile(RECORDED_SEARCH, 'utf8')) as {
    videos: { video_files: RecordedFile[] }[];
  };
  let base = '';
  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', base);
      const file = /^\/video-files\/(\d+)\.mp4$/.exec(url.pathname);
      const recordedFile = /^\/recorded\/(\d+)\.mp4$/.exec(url.pathname);
      if (req.method === 'GET' && recordedFile) {
        const id = Number(recordedFile[1]);
        const entry = recorded.videos.flatMap((v) => v.video_files).find((f) => f.id === id);
        if (!entry?.width || !entry.height) return json(res, 404, { error: 'Not Found' });
        fake.downloads.push(`recorded:${id}`);
        const clip = path.join(dir, `recorded-${id}.mp4`);
        await fs.access(clip).catch(() =>
          makeClip(tools, clip, {
            picture: 'maroon',
            width: entry.width!,
            height: entry.height!,
            seconds: 1,
          }),
        );
        const bytes = await fs.readFile(clip);
        res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': bytes.length });
        return res.end(bytes);
      }
      if (req.method === 'GET' && file) {
        fake.downloads.push(file[1]!);
        const bytes = await fs.readFile(path.join(dir, `${file[1]}.mp4`)).catch(() => null);
        if (bytes === null) return json(res, 404, { error: 'Not Found' });
        res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': bytes.length });
        return res.end(bytes);
      }
      if (req.method !== 'GET' || url.pathname !== '/videos/search')
        return json(res, 404, { error: 'Not Found' });
      const auth = req.headers.authorization ?? null;
      if (auth !== apiKey) return json(res, 401, { error: 'Unauthorized' });
      const query = url.searchParams.get('query');
      if (!query) return json(res, 400, { error: 'query is required' });
      const perPage = Math.min(80, Number(url.searchParams.get('per_page') ?? 15));
      const page = Number(url.searchParams.get('page') ?? 1);
      fake.searches.push({ query, orientation: url.searchParams.get('orientation'), perPage, auth });
      if (fake.mode === 'down') return json(res, 500, { error: 'Internal Server Error' });
      if (fake.mode === 'recorded') {
        return json(res, 200, {
          ...recorded,
          videos: recorded.videos.map((v) => ({
            ...v,
            video_files: v.video_files.map((f) => ({ ...f, link: `${base}/recorded/${f.id}.mp4` })),
          })),
        });
      }
      const words = query.toLowerCase().split(/\s+/);
      const found = STOCK.filter((v) => v.tags.some((t) => words.includes(t)));
      res.setHeader('X-Ratelimit-Limit', '20000');
      res.setHeader('X-Ratelimit-Remaining', String(20_000 - fake.searches.length));
      res.setHeader('X-Ratelimit-Reset', String(Math.floor(Date.now() / 1000) + 3600));
      return json(res, 200, {
        page,
        per_page: perPage,
        total_results: found.length,
        url: `https://www.pexels.com/search/videos/${encodeURIComponent(query)}/`,
        videos: found.slice((page - 1) * perPage, page * perPage).map((v) => ({
          id: v.id,
          width: v.width,
          height: v.height,
          url: `https://www.pexels.com/video/${v.tags[0]}-${v.id}/`,
          image: `https://images.pexels.com/videos/${v.id}/pictures/preview-0.jpg`,
          duration: v.seconds,
          user: { id: v.id % 1000, name: v.author, url: `https://www.pexels.com/@user${v.id % 1000}` },
          video_files: [
            {
              id: v.id * 10 + 1,
              quality: 'sd',
              file_type: 'video/mp4',
              width: v.width,
              height: v.height,
              fps: 30,
              link: `${base}/video-files/${v.id}.mp4`,
            },
            {
              id: v.id * 10 + 2,
              quality: 'hls',
              file_type: 'application/x-mpegURL',
              width: null,
              height: null,
              fps: 30,
              link: `${base}/video-files/${v.id}.m3u8`,
            },
          ],
          video_pictures: [
            {
              id: v.id * 10,
              picture: `https://images.pexels.com/videos/${v.id}/pictures/preview-0.jpg`,
              nr: 0,
            },
          ],
        })),
      });
    })().catch((err: unknown) => json(res, 500, { error: String(err) }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const fake: PexelsServer = {
    url: base,
    searches: [],
    downloads: [],
    mode: 'ok',
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}

function json(res: http.ServerResponse, status: number, body: unknown) {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
