// Everything trend ingestion can be configured with, and its defaults, in one place. src/config.ts reads the
// SOVI_TRENDS_* variables into a TrendsSettings; the modules of src/trends take it as an explicit argument.
import { SoviError } from '../errors.ts';

export interface TrendsSettings {
  /** 'reddit' (the built-in listing reader), or the path of a plug-in module exporting createTrendSource. */
  readonly sourceSpec: string;
  /** A JSON object for the source: the plug-in's options, or the Reddit reader's (listing, time, limit). */
  readonly sourceOptions: Readonly<Record<string, unknown>>;
  /** Where the Reddit reader fetches `/r/<subreddit>/<listing>.json` from. */
  readonly redditBaseUrl: string;
  /** The subreddits read for each niche, by niche slug. */
  readonly subreddits: Readonly<Record<string, readonly string[]>>;
  /** The trailing window of the median an item's engagement is compared with, in days. */
  readonly windowDays: number;
  /** A topic whose source item is older than this goes inactive. */
  readonly inactiveAfterHours: number;
  /** When the trends job pulls (cron, UTC), or 'off'. */
  readonly pullCron: string;
  /** The deadline of one fetch (one subreddit). */
  readonly fetchTimeoutMs: number;
}

export const defaultSubreddits: Readonly<Record<string, readonly string[]>> = {
  personal_finance: ['personalfinance', 'povertyfinance'],
  ai_storytelling: ['WritingPrompts', 'nosleep'],
  tech_ai_tools: ['artificial', 'ChatGPT'],
  motivation: ['GetMotivated', 'DecidingToBeBetter'],
  true_crime: ['TrueCrime', 'UnresolvedMysteries'],
};

export const defaultTrendsSettings: TrendsSettings = Object.freeze({
  sourceSpec: 'reddit',
  sourceOptions: {},
  redditBaseUrl: 'https://www.reddit.com',
  subreddits: defaultSubreddits,
  windowDays: 7,
  inactiveAfterHours: 72,
  pullCron: '0 * * * *',
  fetchTimeoutMs: 10_000,
});

const NICHE_SLUG = /^[a-z0-9]+(_[a-z0-9]+)*$/;
/** Reddit's own rule for subreddit names: 2–21 letters, digits and underscores (3 for new ones). */
export const SUBREDDIT = /^[A-Za-z0-9][A-Za-z0-9_]{1,20}$/;

/**
 * Parses SOVI_TRENDS_SUBREDDITS: `niche=sub,sub;niche=sub`, e.g.
 * `personal_finance=personalfinance,povertyfinance;motivation=GetMotivated`. It replaces the default
 * mapping; a niche left out (or given no subreddits) is not read from Reddit.
 */
export function parseSubreddits(
  text: string,
  variable = 'SOVI_TRENDS_SUBREDDITS',
): Record<string, readonly string[]> {
  const mapping: Record<string, string[]> = {};
  const bad = (message: string) =>
    new SoviError('config', `${variable}: ${message} (expected niche=sub,sub;niche=sub)`, {
      field: variable,
    });
  for (const part of text.split(';').map((p) => p.trim())) {
    if (part === '') continue;
    const [niche = '', subs = '', ...rest] = part.split('=').map((p) => p.trim());
    if (rest.length > 0 || !part.includes('=')) throw bad(`"${part}" is not niche=subreddits`);
    if (!NICHE_SLUG.test(niche)) throw bad(`"${niche}" is not a niche slug`);
    if (mapping[niche]) throw bad(`niche ${niche} appears twice`);
    const names = subs
      .split(',')
      .map((s) => s.trim().replace(/^\/?r\//, ''))
      .filter(Boolean);
    for (const name of names) if (!SUBREDDIT.test(name)) throw bad(`"${name}" is not a subreddit name`);
    mapping[niche] = names;
  }
  return mapping;
}
