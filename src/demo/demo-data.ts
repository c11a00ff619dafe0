// The demo's fixed cast: who its accounts are, what they posted, the hooks and topics it imports. Declared
// once, because the guard (demo-guard.ts) recognises the demo's own rows by exactly these names.
import type { KnownRows } from '../overview/census-reads.ts';
import type { Platform } from '../platforms.ts';
import { demoPhones } from './demo-fleet.ts';

/** The dashboard token the demo prints; each run revokes the previous one. */
export const DEMO_TOKEN = 'demo';
/** The source the demo's trending topics are imported under. */
export const DEMO_TREND_SOURCE = 'demo';

export interface DemoAccount {
  username: string;
  platform: Platform;
  niche: string;
  state: string;
  /** Index in demoPhones, or null: no phone. */
  phone: number | null;
  followers: number;
  /** Warming days done: one successful session a day, ending yesterday. */
  days: number;
}

const account = (
  username: string,
  platform: Platform,
  niche: string,
  state: string,
  phone: number | null,
  followers: number,
  days: number,
): DemoAccount => ({ username, platform, niche, state, phone, followers, days });

// Warming takes 14 days (3 + 4 + 7 with the default policy): accounts that post have more than that.
export const demoAccounts: readonly DemoAccount[] = [
  account('penny_wise_tips', 'tiktok', 'personal_finance', 'active', 0, 18400, 30),
  account('budget_bea', 'instagram', 'personal_finance', 'active', 0, 9200, 28),
  account('frugal_fox', 'tiktok', 'personal_finance', 'warming_p3', 1, 310, 9),
  account('ai_tales_daily', 'tiktok', 'ai_storytelling', 'active', 1, 12650, 29),
  account('story_circuit', 'instagram', 'ai_storytelling', 'warming_p2', 1, 120, 5),
  account('toolbox_ai', 'tiktok', 'tech_ai_tools', 'active', 2, 7400, 27),
  account('prompt_pilot', 'instagram', 'tech_ai_tools', 'warming_p1', 2, 40, 1),
  account('rise_daily', 'tiktok', 'motivation', 'active', 3, 22100, 30),
  account('grit_minute', 'instagram', 'motivation', 'resting', 3, 5100, 26),
  account('cold_case_clips', 'tiktok', 'true_crime', 'cooldown', 4, 3300, 21),
  account('case_files_x', 'instagram', 'true_crime', 'created', null, 0, 0),
  account('night_ledger', 'tiktok', 'personal_finance', 'flagged', 4, 880, 18),
];

/** category, template, niche, effectiveness score. */
export const demoHooks: readonly [string, string, string | null, number][] = [
  ['curiosity_gap', 'Nobody tells you this about {topic}.', null, 0.62],
  ['list', '3 things I wish I knew about {topic}.', null, 0.55],
  ['contrarian', 'Everything you know about {topic} is wrong.', null, 0.48],
  ['story', 'This is how {topic} changed everything for me.', 'motivation', 0.58],
  ['question', 'Would you still do {topic} if you knew this?', 'personal_finance', 0.51],
  ['mystery', 'The {topic} case nobody could explain.', 'true_crime', 0.66],
];

/** topic, niche, subreddit, engagement, overperformance ratio. */
export const demoTopics: readonly [string, string, string, number, number][] = [
  ['the 50/30/20 budget rule', 'personal_finance', 'r/personalfinance', 5400, 7.1],
  ['high-yield savings accounts', 'personal_finance', 'r/personalfinance', 3100, 4.2],
  ['an AI that writes bedtime stories', 'ai_storytelling', 'r/WritingPrompts', 2800, 5.5],
  ['the best free AI note takers', 'tech_ai_tools', 'r/artificial', 1900, 3.3],
  ['waking up at 5 am for a month', 'motivation', 'r/GetMotivated', 4200, 6.0],
  ['the Zodiac cipher, solved', 'true_crime', 'r/UnresolvedMysteries', 6100, 8.4],
  ['index funds for beginners', 'personal_finance', 'r/personalfinance', 900, 1.3],
  ['stoic habits for hard days', 'motivation', 'r/Stoicism', 1200, 1.8],
];

/** What the posting accounts posted in the last two weeks, by niche: three pieces each. */
export const pastTopics: Readonly<Record<string, readonly string[]>> = {
  personal_finance: [
    'the latte factor, revisited',
    'why your first $1,000 matters',
    'sinking funds explained',
  ],
  ai_storytelling: ['a robot that learned to lie', 'the last human librarian', 'a city run by one AI'],
  tech_ai_tools: ['5 AI tools for spreadsheets', 'transcribe meetings for free', 'an AI that reads PDFs'],
  motivation: ['the 2-minute rule', 'discipline beats motivation', 'why you quit in week 3'],
  true_crime: ['the Dyatlov Pass incident', 'the Tylenol murders', 'D. B. Cooper’s last flight'],
};

/** Pieces of content produced for real when the demo first starts: scripts, voice-over, video, checks. */
export const demoContent: readonly [string, string][] = [
  ['compound interest in 30 seconds', 'personal_finance'],
  ['the AI that dreams in color', 'ai_storytelling'],
  ['one habit that beats motivation', 'motivation'],
];

/** Every row the demo creates that a person could also have created, by the name the guard checks. */
export function demoKnownRows(): KnownRows {
  return {
    deviceUdids: demoPhones.map((p) => p.udid),
    accounts: demoAccounts.map((a) => `${a.platform}:${a.username}`),
    contentTopics: [...Object.values(pastTopics).flat(), ...demoContent.map(([topic]) => topic)],
    hookTemplates: demoHooks.map(([, template]) => template),
    trendSources: [DEMO_TREND_SOURCE],
    tokenNames: [DEMO_TOKEN],
  };
}
