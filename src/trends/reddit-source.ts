// The built-in trend source: Reddit's public JSON listings (`/r/<subreddit>/<listing>.json`), one per
// subreddit configured for a niche. It reads a public listing with an honest User-Agent naming sovi, one
// request at a time and no faster than Reddit allows clients without OAuth; it logs into nothing and drives
// no app or browser.
import { z } from 'zod';
import packageJson from '../../package.json' with { type: 'json' };
import { SoviError } from '../errors.ts';
import type { TrendItem, TrendSource, TrendTarget } from '../plugins/trend-source.ts';
import { SUBREDDIT } from '../settings/trends-settings.ts';
import { parseOptions } from '../settings/parse-options.ts';

/** Where people see a post: the canonical site, whatever base URL the listing was fetched from. */
const PERMALINK_BASE = 'https://www.reddit.com';
/** A 100-post listing is about half a megabyte; anything far bigger is not one. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

export const redditOptionsSchema = z
  .object({
    baseUrl: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }),
    subreddits: z.record(z.string(), z.array(z.string().regex(SUBREDDIT, 'expected a subreddit name'))),
    listing: z.enum(['top', 'hot', 'new', 'rising']).default('top'),
    /** top's period. */
    time: z.enum(['hour', 'day', 'week', 'month', 'year', 'all']).default('day'),
    limit: z.number().int().min(1).max(100).default(100),
    /** Reddit allows a client without OAuth about 10 requests a minute: one every 6 s. */
    minIntervalMs: z.number().int().min(0).max(600_000).default(6_000),
    /** Who to contact about this client, appended to the User-Agent (Reddit asks for one). */
    contact: z.string().max(200).optional(),
  })
  .strict();

export type RedditOptions = z.input<typeof redditOptionsSchema>;

const post = z.object({
  id: z.string().min(1),
  name: z.string().min(1).optional(),
  title: z.string(),
  permalink: z.string().startsWith('/'),
  url: z.string().optional(),
  score: z.number(),
  num_comments: z.number(),
  created_utc: z.number(),
  subreddit: z.string().optional(),
  over_18: z.boolean().optional(),
  stickied: z.boolean().optional(),
});

const listing = z.object({
  kind: z.literal('Listing'),
  data: z.object({
    children: z.array(z.object({ kind: z.string(), data: z.unknown() })),
  }),
});

/**
 * The posts of a listing as trend items: engagement = score + num_comments (each floored at 0). Pinned
 * (stickied) posts are the moderators', and NSFW posts are not material: both are left out, of the topics
 * and of the median. Throws a SoviError naming the first thing that is not as Reddit sends it.
 */
export function parseRedditListing(body: unknown, where: string): TrendItem[] {
  const parsed = listing.safeParse(body);
  if (!parsed.success) throw malformed(where, parsed.error);
  const items: TrendItem[] = [];
  for (const [i, child] of parsed.data.data.children.entries()) {
    if (child.kind !== 't3') continue; // Only posts (t3) are topics; a listing may hold others.
    const p = post.safeParse(child.data);
    if (!p.success) throw malformed(`${where} post ${i}`, p.error);
    const d = p.data;
    if (d.stickied || d.over_18) continue;
    items.push({
      id: d.name ?? `t3_${d.id}`,
      // "[Story] I ran my first 5k": the bracketed flair some subreddits prefix is not part of the topic.
      title: d.title.replace(/^(\s*\[[^\]]{1,30}\])+\s*/, ''),
      url: new URL(d.permalink, PERMALINK_BASE).href,
      engagement: Math.max(0, d.score) + Math.max(0, d.num_comments),
      publishedAt: new Date(d.created_utc * 1000),
    });
  }
  return items;
}

function malformed(where: string, error: z.ZodError): SoviError {
  const first = error.issues[0];
  const at = first && first.path.length > 0 ? ` at ${first.path.join('.')}` : '';
  return new SoviError(
    'unavailable',
    `${where}: not a Reddit listing (${first?.message ?? 'unexpected shape'}${at})`,
    { field: 'source' },
  );
}

export function createRedditSource(options: RedditOptions): TrendSource {
  const o = parseOptions(redditOptionsSchema, options, 'SOVI_TRENDS_SOURCE_OPTIONS');
  const userAgent = `sovi/${packageJson.version} (trending topics reader${o.contact ? `; ${o.contact}` : ''})`;
  const base = o.baseUrl.endsWith('/') ? o.baseUrl : `${o.baseUrl}/`;

  const listingUrl = (subreddit: string) => {
    const url = new URL(`r/${subreddit}/${o.listing}.json`, base);
    url.searchParams.set('limit', String(o.limit));
    if (o.listing === 'top') url.searchParams.set('t', o.time);
    // Titles as written, instead of HTML-escaped (&amp;).
    url.searchParams.set('raw_json', '1');
    return url;
  };

  return {
    name: 'reddit',
    minIntervalMs: o.minIntervalMs,
    targets: (niches) =>
      niches.flatMap((niche) => (o.subreddits[niche] ?? []).map((sub) => ({ niche, group: `r/${sub}` }))),
    fetch: async (target: TrendTarget, signal: AbortSignal) => {
      const url = listingUrl(target.group.replace(/^r\//, ''));
      const response = await fetch(url, {
        headers: { 'user-agent': userAgent, accept: 'application/json' },
        signal,
      });
      if (!response.ok) {
        await response.body?.cancel();
        const retry = response.headers.get('retry-after');
        throw new SoviError(
          'unavailable',
          `${target.group}: HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''} from ${url.href}${retry ? ` (retry after ${retry} s)` : ''}`,
          { field: 'source', status: response.status },
        );
      }
      const text = await readText(response, MAX_BODY_BYTES, `${target.group}: the answer from ${url.href}`);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (err) {
        throw new SoviError(
          'unavailable',
          `${target.group}: malformed JSON from ${url.href} (${(err as Error).message})`,
          { field: 'source' },
        );
      }
      return parseRedditListing(body, `${target.group} (${url.href})`);
    },
  };
}

/** The body as text, refusing one bigger than `limit` bytes without reading it all. */
async function readText(response: Response, limit: number, what: string): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (!response.body) return '';
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    // Throwing ends the iteration, which cancels the rest of the stream.
    if (size > limit) {
      throw new SoviError('unavailable', `${what} is over ${limit} bytes: not a listing`, {
        field: 'source',
      });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
