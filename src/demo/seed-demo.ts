// The demo's rows, made once (a later `sovi up --demo` only points the phones at their new ports): phones,
// accounts across the lifecycle with the warming days they have done, hooks, trending topics, two weeks of
// posts (each piece complete with its script and video) with their metrics folded into the rollups, and a
// few pieces of content queued for real production. Only `sovi up --demo` calls it, after its guard
// (demo-guard.ts) and before the workers and the health monitor start, so the monitor's first round already
// finds every phone at its fake WebDriverAgent.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { recordPosted } from '../accounts/account-activity.ts';
import { createToken, listTokens, revokeToken } from '../auth/tokens-service.ts';
import type { Config } from '../config.ts';
import type { Script } from '../content/content-model.ts';
import type { ContentPolicy } from '../content/content-policy.ts';
import { createContent, produce } from '../content/content-service.ts';
import type { MediaStages } from '../plugins/media-stages.ts';
import { templateWriter } from '../content/script-writers.ts';
import type { Database } from '../db/database.ts';
import { createBoss } from '../db/job-engine.ts';
import { createDevice, listDevices, updateDevice } from '../devices/devices-service.ts';
import { recordEvent } from '../events/events-service.ts';
import { addHook } from '../hooks/hooks-service.ts';
import { ensureContentQueues, pipelineJobSink } from '../jobs/content-worker.ts';
import type { Logger } from '../logger.ts';
import { backfillRollups } from '../metrics/rollup-refresh.ts';
import { ingestSnapshots } from '../metrics/snapshot-ingest.ts';
import { resolveNiche } from '../niches/niches-service.ts';
import { DAY_MS, HOUR_MS, utcDayStart } from '../time.ts';
import { importTrends } from '../trends/trends-import.ts';
import { defaultWarmingPolicy } from '../warming/warming-policy.ts';
import {
  DEMO_TOKEN,
  DEMO_TREND_SOURCE,
  demoAccounts,
  demoContent,
  demoHooks,
  demoTopics,
  pastTopics,
} from './demo-data.ts';
import { demoPhones, type DemoFleet } from './demo-fleet.ts';
import {
  insertPastAccount,
  insertPastContent,
  insertPastPost,
  insertPastSession,
  recentPostNumbers,
  setWarmingHistory,
} from './demo-history.ts';

export interface SeedOptions {
  config: Config;
  database: Database;
  logger: Logger;
  fleet: DemoFleet;
  policy: ContentPolicy;
  /** Renders the one sample video the past posts share. */
  media: MediaStages;
  now?: Date;
}

/** Seeds (or, on a later run, re-points the phones) and returns a fresh dashboard token named demo. */
export async function seedDemo(options: SeedOptions): Promise<{ token: string }> {
  const { database, logger, fleet, config } = options;
  const existing = await listDevices(database.db, {});
  const seeded = existing.some((d) => demoPhones.some((p) => p.udid === d.udid));
  if (seeded) {
    for (const [name, port] of fleet.ports) {
      await updateDevice(database.db, name, { wdaPort: port, host: config.host });
    }
    logger.info('demo: phones pointed at their fake WebDriverAgents again (the rows were seeded before)');
  } else {
    await seedRows(options);
    logger.info('demo: seeded phones, accounts, hooks, trends and two weeks of posts');
    await queueContent(options);
  }
  const previous = (await listTokens(database.db)).filter((t) => t.name === DEMO_TOKEN && !t.revokedAt);
  for (const token of previous) await revokeToken(database.db, token.id, 'demo');
  const { secret } = await createToken(database.db, { name: DEMO_TOKEN }, 'demo');
  return { token: secret };
}

const TICK_MS = 30_000;

/** New numbers for the last two weeks' posts every 30 s, as if a metrics collector reported them. */
export function startMetricsTicker(database: Database, logger: Logger): { stop(): Promise<void> } {
  const ticker = setInterval(() => {
    tick(database).catch((err: unknown) => logger.warn({ err }, 'demo: metrics tick failed'));
  }, TICK_MS);
  return { stop: async () => clearInterval(ticker) };
}

/** The warming phase a session on `day` counted as, with the default phase lengths (3, 4, 7 days). */
function phaseOnDay(day: number): number {
  const p = defaultWarmingPolicy;
  if (day <= p.warming_p1.days) return 1;
  if (day <= p.warming_p1.days + p.warming_p2.days) return 2;
  if (day <= p.warming_p1.days + p.warming_p2.days + p.warming_p3.days) return 3;
  return 4;
}

/** Posts per posting account in the last two weeks. */
const PAST_POSTS = 3;

async function seedRows(options: SeedOptions): Promise<void> {
  const { config, database, fleet } = options;
  const now = options.now ?? new Date();
  const today = utcDayStart(now).getTime();
  const sample = await renderSampleVideo(options);
  const writer = templateWriter();
  const videos: { from: string; to: string }[] = [];

  // The rows, in one transaction: a failed seed leaves nothing behind.
  const snapshots = await database.db.transaction().execute(async (trx) => {
    const phoneIds: string[] = [];
    for (const phone of demoPhones) {
      const device = await createDevice(trx, {
        name: phone.name,
        udid: phone.udid,
        model: phone.model,
        iosVersion: '17.5.1',
        host: config.host,
        wdaPort: fleet.ports.get(phone.name) ?? null,
        status: phone.maintenance ? 'maintenance' : 'disconnected',
        storageFreeGb: phone.storageGb,
      });
      phoneIds.push(device.id);
    }
    for (const [category, template, niche, score] of demoHooks) {
      await addHook(trx, { category, template, niche: niche ?? undefined, effectivenessScore: score });
    }

    const snapshots: Record<string, unknown>[] = [];
    const accountIds = new Map<string, string>();
    let posting = 0;
    for (const [i, a] of demoAccounts.entries()) {
      const nicheId = await resolveNiche(trx, a.niche);
      const deviceId = a.phone === null ? null : (phoneIds[a.phone] ?? null);
      const accountId = await insertPastAccount(trx, {
        platform: a.platform,
        username: a.username,
        nicheId,
        deviceId,
        state: a.state,
        followers: a.followers,
        createdAt: new Date(today - (a.days + 2) * DAY_MS),
      });
      accountIds.set(a.username, accountId);
      // One successful session a UTC day, the last one yesterday: today's first session is the next day.
      let lastWarmedAt: Date | null = null;
      for (let day = 1; day <= a.days && deviceId !== null; day++) {
        const startedAt = new Date(today - (a.days - day + 1) * DAY_MS + 8 * HOUR_MS + i * 20 * 60_000);
        await insertPastSession(trx, {
          accountId,
          deviceId,
          platform: a.platform,
          phase: phaseOnDay(day),
          day,
          startedAt,
          minutes: 6,
        });
        lastWarmedAt = new Date(startedAt.getTime() + 6 * 60_000);
      }
      await setWarmingHistory(trx, accountId, a.days, lastWarmedAt);

      if (a.state !== 'active' && a.state !== 'resting') continue;
      const k = posting++;
      for (let post = 0; post < PAST_POSTS; post++) {
        const postedAt = new Date(now.getTime() - (13 - post * 4) * DAY_MS - k * 3 * HOUR_MS);
        const topic = pastTopics[a.niche]?.[post] ?? `a demo video ${post + 1}`;
        const script: Script = await writer.write({
          topic,
          niche: { slug: a.niche, name: a.niche },
          format: 'faceless',
          hook: null,
        });
        const contentId = randomUUID();
        const outputPath = path.join(config.content.mediaDir, contentId, 'video.mp4');
        videos.push({ from: sample, to: outputPath });
        await insertPastContent(trx, {
          id: contentId,
          topic,
          nicheId,
          script,
          outputPath,
          qualityScore: 0.9,
          producedAt: new Date(postedAt.getTime() - 2 * HOUR_MS),
        });
        const distributionId = await insertPastPost(trx, {
          contentId,
          accountId,
          platform: a.platform,
          postedAt,
          platformPostId: `demo-${a.username}-${post}`,
          caption: script.title,
        });
        await recordPosted(trx, accountId, postedAt);
        snapshots.push(...growth(distributionId, postedAt, now, a.followers, 1 + ((k * 7 + post * 3) % 5)));
      }
    }
    // Something that needs someone, true to the data: the flagged account met a verification challenge.
    const flagged = demoAccounts.find((a) => a.state === 'flagged');
    if (flagged) {
      await recordEvent(trx, {
        category: 'account',
        severity: 'error',
        eventType: 'challenge',
        accountId: accountIds.get(flagged.username),
        message: `${flagged.platform} account ${flagged.username}: verification challenge during a session (demo)`,
        context: { demo: true },
      });
    }
    return snapshots;
  });
  for (const video of videos) {
    await fs.mkdir(path.dirname(video.to), { recursive: true });
    await fs.copyFile(video.from, video.to);
  }
  await fs.rm(path.dirname(sample), { recursive: true, force: true });

  const topics = demoTopics.map(([topic, niche, group, engagement, ratio], i) => ({
    topic,
    niche,
    source: DEMO_TREND_SOURCE,
    source_group: group,
    engagement,
    overperformance_ratio: ratio,
    published_at: new Date(now.getTime() - (i + 1) * 2 * HOUR_MS).toISOString(),
  }));
  await importTrends({ db: database.db, settings: config.trends, actor: 'demo' }, JSON.stringify(topics), {
    source: 'demo topics',
    format: 'json',
  });
  await ingestSnapshots(database.pool, snapshots, { futureToleranceSeconds: 300, onBadRows: 'reject' });
  await backfillRollups(
    database.pool,
    new Date(now.getTime() - 15 * DAY_MS),
    new Date(now.getTime() + HOUR_MS),
  );
}

/** A post's numbers every 12 hours since it went out. */
function growth(
  distributionId: string,
  postedAt: Date,
  now: Date,
  followers: number,
  reach: number,
): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  const start = now.getTime() - 14 * DAY_MS;
  for (let t = postedAt.getTime() + 6 * HOUR_MS, k = 1; t < now.getTime(); t += 12 * HOUR_MS, k++) {
    const views = Math.round(reach * 900 * Math.sqrt(k) * (1 + k / 10));
    rows.push({
      time: new Date(t).toISOString(),
      distribution_id: distributionId,
      views,
      likes: Math.round(views * 0.07),
      comments: Math.round(views * 0.004),
      shares: Math.round(views * 0.006),
      saves: Math.round(views * 0.01),
      follower_count_at: Math.round(followers * (0.7 + (0.3 * (t - start)) / (14 * DAY_MS))),
    });
  }
  return rows;
}

/**
 * One short video, rendered by the media stages sovi produces content with; every past post gets a copy,
 * so a piece shown complete has a video that plays.
 */
async function renderSampleVideo(options: SeedOptions): Promise<string> {
  const dir = path.join(options.config.content.mediaDir, `demo-sample-${randomUUID()}`);
  const script = await templateWriter().write({
    topic: 'a first look at sovi',
    niche: null,
    format: 'faceless',
    hook: null,
  });
  const signal = AbortSignal.timeout(300_000);
  const assets = await options.media.generate({
    contentId: 'demo-sample',
    script,
    format: 'faceless',
    dir,
    wordsPerMinute: 300,
    signal,
  });
  const video = await options.media.assemble({
    contentId: 'demo-sample',
    script,
    assets,
    outFile: path.join(dir, 'video.mp4'),
    signal,
  });
  return video.outputPath;
}

async function queueContent(options: SeedOptions): Promise<void> {
  const { config, database, logger, policy } = options;
  const boss = createBoss(database.connection, config.scheduler, logger, {
    migrate: false,
    background: false,
  });
  await boss.start();
  try {
    await ensureContentQueues(boss, policy);
    const sink = pipelineJobSink(boss);
    for (const [topic, niche] of demoContent) {
      await database.db.transaction().execute(async (trx) => {
        const created = await createContent(trx, policy, { topic, niche });
        await produce(trx, sink, created.id);
      });
    }
    logger.info({ pieces: demoContent.length }, 'demo: content queued for production');
  } finally {
    await boss.stop({ graceful: false, close: true });
  }
}

async function tick(database: Database): Promise<void> {
  const rows = await recentPostNumbers(database.db);
  const time = new Date().toISOString();
  const snapshots = rows.map((r, i) => {
    const views = r.views + 20 + ((i * 37 + Date.now() / 1000) % 180);
    return {
      time,
      distribution_id: r.distributionId,
      views: Math.round(views),
      likes: Math.round(r.likes + (views - r.views) * 0.08),
      follower_count_at: r.followers === null ? undefined : r.followers + (i % 3),
    };
  });
  if (snapshots.length > 0) {
    await ingestSnapshots(database.pool, snapshots, { futureToleranceSeconds: 300, onBadRows: 'reject' });
  }
}
