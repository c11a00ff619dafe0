// The demo's past: accounts that have been warming for weeks, their sessions day by day, and the posts they
// made, written as they would be had sovi been running all along. No service records a past (a service
// stamps what happens now: an account is created today, a session starts now), so these few inserts stay
// here, in the demo's one transaction; everything that has a service (devices, hooks, events, last post,
// trends, metrics, content) goes through it.
import type { SessionStart } from '../warming/warming-model.ts';
import { sql } from 'kysely';
import type { Executor } from '../db/executor.ts';
import type { Script } from '../content/content-model.ts';

export interface PastAccount {
  platform: string;
  username: string;
  nicheId: string;
  deviceId: string | null;
  state: string;
  followers: number;
  createdAt: Date;
}

export async function insertPastAccount(trx: Executor, a: PastAccount): Promise<string> {
  const row = await trx
    .insertInto('accounts')
    .values({
      platform: a.platform,
      username: a.username,
      niche_id: a.nicheId,
      device_id: a.deviceId,
      current_state: a.state,
      followers: a.followers,
      following: 150,
      bio: 'a demo account',
      created_at: a.createdAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** A session the demo's history says ran: it started, and took this long. */
export interface PastSession extends SessionStart {
  minutes: number;
}

export async function insertPastSession(trx: Executor, s: PastSession): Promise<void> {
  await trx
    .insertInto('warming_progress')
    .values({
      account_id: s.accountId,
      device_id: s.deviceId,
      platform: s.platform,
      warming_phase: s.phase,
      warming_day: s.day,
      session_data: JSON.stringify({ outcome: 'success', videosWatched: 12 + (s.day % 9) }),
      started_at: s.startedAt,
      completed_at: new Date(s.startedAt.getTime() + s.minutes * 60_000),
    })
    .execute();
}

export interface PastContent {
  /** Chosen by the caller: the video's folder is named after it. */
  id: string;
  topic: string;
  nicheId: string;
  script: Script;
  outputPath: string;
  qualityScore: number;
  producedAt: Date;
}

/** A piece produced in the past: complete, with its script and its video file. */
export async function insertPastContent(trx: Executor, c: PastContent): Promise<void> {
  await trx
    .insertInto('content')
    .values({
      id: c.id,
      topic: c.topic,
      niche_id: c.nicheId,
      content_format: 'faceless',
      production_status: 'complete',
      quality_score: c.qualityScore,
      script_json: JSON.stringify(c.script),
      output_path: c.outputPath,
      asset_manifest: JSON.stringify({ demo: true }),
      created_at: c.producedAt,
      updated_at: c.producedAt,
    })
    .execute();
}

export interface PastPost {
  contentId: string;
  accountId: string;
  platform: string;
  postedAt: Date;
  platformPostId: string;
  caption: string;
}

export async function insertPastPost(trx: Executor, p: PastPost): Promise<string> {
  const row = await trx
    .insertInto('distributions')
    .values({
      content_id: p.contentId,
      account_id: p.accountId,
      platform: p.platform,
      status: 'posted',
      posted_at: p.postedAt,
      platform_post_id: p.platformPostId,
      caption: p.caption,
      created_at: p.postedAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** The warming the sessions above add up to: the day count and when the last one ended. */
export async function setWarmingHistory(
  trx: Executor,
  accountId: string,
  days: number,
  lastWarmedAt: Date | null,
): Promise<void> {
  await trx
    .updateTable('accounts')
    .set({ warming_day_count: days, last_warmed_at: lastWarmedAt, last_activity_at: lastWarmedAt })
    .where('id', '=', accountId)
    .execute();
}

export interface PostNumbers {
  distributionId: string;
  views: number;
  likes: number;
  followers: number | null;
}

/** The latest numbers of the last two weeks' posts, for the demo's ticker to grow. */
export async function recentPostNumbers(db: Executor): Promise<PostNumbers[]> {
  const { rows } = await sql<PostNumbers>`
    SELECT d.id AS "distributionId", coalesce(s.views, 0)::int AS views, coalesce(s.likes, 0)::int AS likes,
           coalesce(s.follower_count_at, a.followers)::int AS followers
    FROM distributions d
    JOIN accounts a ON a.id = d.account_id
    LEFT JOIN LATERAL (
      SELECT views, likes, follower_count_at FROM metric_snapshots
      WHERE distribution_id = d.id ORDER BY time DESC LIMIT 1
    ) s ON true
    WHERE d.status = 'posted' AND d.posted_at > now() - interval '14 days'`.execute(db);
  return rows;
}
