// The memory soak: one `sovi worker` process running warming sessions and publishing without pause for
// `minutes` (10 by default; the soak is 30), its RSS read from /proc every few seconds. After a
// warm-up (the first minute), the worker's memory is "flat" if its ceiling does not grow: the highest sample
// of each minute (the minute's ceiling), in the second half of the run, stays within +10% of the highest
// ceiling of the first half. V8 gives heap back to the system now and then, so single samples drop well
// below the ceiling and climb back; a leak shows as a ceiling that rises from minute to minute.
//
//   node bench/soak.ts [--minutes 10] [--print-only]     (writes its section of bench/README.md)
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createDb } from '../src/db/pool.ts';
import type { FakeWda } from '../src/devices/fake-wda-server.ts';
import { pipelineJobSink } from '../src/jobs/content-worker.ts';
import { createBoss } from '../src/db/job-engine.ts';
import {
  type BenchServer,
  logger,
  median,
  migrateBenchDatabase,
  openBenchServer,
  placeVideos,
  seedPhoneFleet,
  type Section,
} from './harness.ts';
import { startPlanTicker } from './plan-ticker.ts';
import { watchProcess } from './proc-stats.ts';
import { renderSection, writeSection } from './report.ts';
import { startSovi, type LongRunning } from './sovi-process.ts';

export interface SoakSettings {
  minutes: number;
  /** Samples before this are the warm-up, left out of the verdict. */
  warmupSeconds: number;
  sampleSeconds: number;
  devices: number;
  accounts: number;
  /** Pieces of content handed to the worker every 5 s (3 posts each). */
  contentPerFiveSeconds: number;
  /** How far the second half's highest minute ceiling may rise over the first half's. */
  band: number;
}

const defaults: SoakSettings = {
  minutes: 10,
  warmupSeconds: 60,
  sampleSeconds: 5,
  devices: 20,
  accounts: 2_000,
  contentPerFiveSeconds: 5,
  band: 0.1,
};

const HOST = 'soak';
const SCRIPT = JSON.stringify({
  title: 'A soak video',
  hook: 'Nobody tells you this.',
  beats: [{ narration: 'One thing.', onScreenText: 'One thing' }],
  cta: 'Follow for more.',
  narration: 'Nobody tells you this. One thing.',
  hashtags: ['soak'],
});
const SPARKS = '▁▂▃▄▅▆▇█';
/** Issue 19's goal for a worker's steady-state RSS. */
const WORKER_GOAL_MIB = 150;

/** One character per sample group, scaled between the lowest and highest value shown. */
function sparkline(values: number[], width = 60): string {
  const groups = Array.from({ length: Math.min(width, values.length) }, (_, i) => {
    const from = Math.floor((i * values.length) / Math.min(width, values.length));
    const to = Math.floor(((i + 1) * values.length) / Math.min(width, values.length));
    const group = values.slice(from, Math.max(to, from + 1));
    return group.reduce((a, b) => a + b, 0) / group.length;
  });
  const lo = Math.min(...groups);
  const hi = Math.max(...groups);
  return groups.map((v) => SPARKS[hi === lo ? 0 : Math.round(((v - lo) / (hi - lo)) * 7)]).join('');
}

export async function soakBench(
  server: BenchServer,
  overrides: Partial<SoakSettings> = {},
): Promise<Section> {
  const s = { ...defaults, ...overrides };
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sovi-bench-soak-'));
  const target = await server.createDatabase();
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const config = await migrateBenchDatabase(target.url);
    const wdas: FakeWda[] = [];
    cleanups.push(() => Promise.all(wdas.map((w) => w.close())));
    const video = path.join(work, 'video.mp4');
    fs.writeFileSync(video, 'stub video');
    const admin = new pg.Pool({ connectionString: target.url, max: 3, application_name: 'bench soak' });
    cleanups.push(() => admin.end());
    await seedPhoneFleet(admin, wdas, {
      host: HOST,
      prefix: 'soak',
      phones: s.devices,
      accounts: s.accounts,
    });

    // As many sessions a day as the policy allows, back to back, each 0.3–0.7 s; posts as often as allowed.
    const states = ['created', 'warming_p1', 'warming_p2', 'warming_p3', 'active'];
    const policyFile = path.join(work, 'warming-policy.json');
    fs.writeFileSync(
      policyFile,
      JSON.stringify(Object.fromEntries(states.map((st) => [st, { sessionsPerDay: 48, minGapMinutes: 0 }]))),
    );
    const contentPolicyFile = path.join(work, 'content-policy.json');
    fs.writeFileSync(
      contentPolicyFile,
      JSON.stringify({
        distribution: {
          maxPostsPerAccountPerDay: 100,
          minGapMinutes: 0,
          platformDailyQuota: { tiktok: 1_000_000, instagram: 1_000_000 },
        },
      }),
    );
    // The media store the worker's publisher reads each post's video from.
    const mediaStore = path.join(work, 'media');
    const env: Record<string, string> = {
      DATABASE_URL: target.url,
      SOVI_HOME: path.join(work, 'home'),
      SOVI_MEDIA_STORE: mediaStore,
      SOVI_LOG_LEVEL: 'warn',
      SOVI_LOG_FORMAT: 'json',
      SOVI_VAULT_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      SOVI_WARMING_POLICY_FILE: policyFile,
      SOVI_CONTENT_POLICY_FILE: contentPolicyFile,
      SOVI_EXECUTOR_OPTIONS: JSON.stringify({
        seed: 'soak',
        minDurationMs: 300,
        maxDurationMs: 700,
        deviceDropRate: 0,
        loginFailureRate: 0,
        challengeRate: 0,
        errorRate: 0,
      }),
      SOVI_PUBLISHER_OPTIONS: JSON.stringify({
        transientFailureRate: 0.02,
        rejectionRate: 0,
        removalRate: 0,
      }),
      SOVI_WORKER_CONCURRENCY: String(s.devices),
      SOVI_DEVICE_QUEUE_DEPTH: '5',
      SOVI_WDA_HOST: '127.0.0.1',
      SOVI_HEALTH_INTERVAL_MS: '5000',
      SOVI_TRENDS_PULL_CRON: 'off',
      // To look inside the worker (a heap snapshot, a --heap-prof): SOVI_BENCH_WORKER_NODE_OPTIONS.
      ...(process.env.SOVI_BENCH_WORKER_NODE_OPTIONS
        ? { NODE_OPTIONS: process.env.SOVI_BENCH_WORKER_NODE_OPTIONS }
        : {}),
    };
    const worker: LongRunning = startSovi(
      `sovi worker --host ${HOST}`,
      ['worker', '--host', HOST],
      env,
      /sovi worker running/,
    );
    cleanups.push(() => worker.stop());
    await worker.ready;
    const boss = createBoss({ url: target.url }, config.scheduler, logger, {
      migrate: false,
      background: false,
      maxConnections: 2,
    });
    await boss.start();
    cleanups.push(() => boss.stop({ graceful: false, close: true }));
    const sink = pipelineJobSink(boss);
    const db = createDb(admin);

    const watch = watchProcess(worker.pid, s.sampleSeconds * 1_000);
    cleanups.push(async () => watch.stop());
    const start = Date.now();
    const until = start + s.minutes * 60_000;
    const ticker = startPlanTicker(admin, boss, [HOST], 2_000);
    let fed = 0;
    // Rendered, checked content handed to the worker's distributing stage, as production would.
    while (Date.now() < until) {
      const { rows } = await admin.query<{ id: string }>(
        `WITH nn AS (SELECT array_agg(id ORDER BY slug) AS ids FROM niches)
         INSERT INTO content (topic, niche_id, content_format, production_status, quality_score, script_json, output_path)
         SELECT 'soak topic ' || ($1::int + i), nn.ids[1 + ($1::int + i) % 5], 'faceless', 'distributing', 0.9, $2::jsonb, $3
         FROM nn, generate_series(1, $4::int) i RETURNING id`,
        [fed, SCRIPT, video, s.contentPerFiveSeconds],
      );
      placeVideos(
        mediaStore,
        video,
        rows.map((r) => r.id),
      );
      for (const r of rows) await sink.enqueueStage(db, { contentId: r.id, stage: 'distributing' });
      fed += rows.length;
      await sleep(Math.min(5_000, Math.max(0, until - Date.now())));
    }
    watch.sample();
    await ticker.stop();
    const elapsed = (Date.now() - start) / 1_000;
    const done = (
      await admin.query<{ sessions: number; posts: number }>(
        `SELECT (SELECT count(*) FROM warming_progress WHERE completed_at IS NOT NULL)::int AS sessions,
                (SELECT count(*) FROM distributions WHERE status = 'posted')::int AS posts`,
      )
    ).rows[0]!;
    const perMinute = (
      await admin.query<{ minute: number; sessions: number; posts: number }>(
        `SELECT m AS minute,
                (SELECT count(*) FROM warming_progress WHERE completed_at >= $1::timestamptz + make_interval(mins => m)
                   AND completed_at < $1::timestamptz + make_interval(mins => m + 1))::int AS sessions,
                (SELECT count(*) FROM distributions WHERE posted_at >= $1::timestamptz + make_interval(mins => m)
                   AND posted_at < $1::timestamptz + make_interval(mins => m + 1))::int AS posts
         FROM generate_series(0, $2::int - 1) m`,
        [new Date(start), Math.max(1, Math.floor(elapsed / 60))], // whole minutes only
      )
    ).rows;

    const samples = watch.samples.filter((x) => x.at >= start);
    const steadySamples = samples.filter((x) => x.at >= start + s.warmupSeconds * 1_000);
    const steady = steadySamples.map((x) => x.rssMiB);
    if (steady.length < 3) throw new Error(`bench: only ${steady.length} samples after the warm-up`);
    const mid = median(steady);
    const lo = Math.min(...steady);
    const hi = Math.max(...steady);
    const inMinute = (minute: number) =>
      samples.filter((x) => x.at >= start + minute * 60_000 && x.at < start + (minute + 1) * 60_000);
    const minuteRss = perMinute.map((m) => {
      const inIt = inMinute(m.minute);
      return inIt.length ? median(inIt.map((x) => x.rssMiB)) : Number.NaN;
    });
    // The ceiling rule: each whole minute after the warm-up gives its highest sample.
    const ceilings = perMinute
      .filter((m) => m.minute * 60_000 >= s.warmupSeconds * 1_000)
      .map((m) => ({ minute: m.minute, ceiling: Math.max(...inMinute(m.minute).map((x) => x.rssMiB)) }))
      .filter((c) => Number.isFinite(c.ceiling));
    if (ceilings.length < 2)
      throw new Error(`bench: only ${ceilings.length} whole minutes after the warm-up`);
    const half = Math.floor(ceilings.length / 2);
    const firstCeiling = Math.max(...ceilings.slice(0, half).map((c) => c.ceiling));
    const lastCeiling = Math.max(...ceilings.slice(half).map((c) => c.ceiling));
    const growth = lastCeiling / firstCeiling - 1;
    const flat = growth <= s.band;
    const ceilingOf = new Map(ceilings.map((c) => [c.minute, c.ceiling]));
    const f = (n: number) => n.toFixed(0);
    return {
      title: 'Memory soak: one sovi worker',
      notes: [
        `One \`sovi worker --host ${HOST}\` process for ${(elapsed / 60).toFixed(1)} min: ${s.devices} phones (fake WebDriverAgents, ` +
          `health round every 5 s), ${s.accounts.toLocaleString('en')} active accounts, sessions back to back (the simulator at ` +
          `300–700 ms, SOVI_WORKER_CONCURRENCY ${s.devices}; a planner tick asked for every 2 s when none is queued), and ` +
          `${s.contentPerFiveSeconds} pieces of rendered content handed to its distributing stage every 5 s (3 posts each, the ` +
          'simulator publisher failing 2% of attempts, retried). Its rollup refresh, sweeps and watchdog run on their crons. ' +
          `RSS (VmRSS from /proc) every ${s.sampleSeconds} s; the first ${s.warmupSeconds} s are the warm-up. A minute's ` +
          'ceiling is its highest sample. "Flat" (the ceiling rule): the highest ceiling of the second half of the ' +
          `minutes after the warm-up within +${s.band * 100}% of the first half's.`,
        '',
        `Per-minute ceilings after the warm-up, ${ceilings.length} minutes: \`${sparkline(ceilings.map((c) => c.ceiling))}\` ` +
          `(${f(Math.min(...ceilings.map((c) => c.ceiling)))}–${f(Math.max(...ceilings.map((c) => c.ceiling)))} MiB). ` +
          `Every sample, ${steady.length} after the warm-up: \`${sparkline(steady)}\` (${f(lo)}–${f(hi)} MiB, median ${f(mid)} MiB). ` +
          `Completed: ${done.sessions.toLocaleString('en')} sessions and ${done.posts.toLocaleString('en')} posts ` +
          `(${(done.sessions / elapsed).toFixed(1)} sessions/s, ${(done.posts / elapsed).toFixed(1)} posts/s).`,
        '',
        '| minute | RSS, median MiB | RSS ceiling MiB | sessions completed | posts |',
        '| --- | --- | --- | --- | --- |',
        ...perMinute.map(
          (m, i) =>
            `| ${m.minute + 1} | ${f(minuteRss[i]!)} | ${ceilingOf.has(m.minute) ? f(ceilingOf.get(m.minute)!) : '(warm-up)'} | ${m.sessions} | ${m.posts} |`,
        ),
      ],
      rows: [
        {
          what: `worker RSS ceiling per minute, highest of the second half vs the first (${ceilings.length} minutes after the warm-up)`,
          sovi: `${f(lastCeiling)} MiB`,
          baseline: `${f(firstCeiling)} MiB (first half)`,
          ratio: `${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)}% (${flat ? 'flat' : 'grows'})`,
          goal: `within +${s.band * 100}%`,
          verdict: flat ? 'met' : 'not met',
        },
        {
          what: `worker RSS after the warm-up, min / median / max MiB (${steady.length} samples over ${((elapsed - s.warmupSeconds) / 60).toFixed(1)} min)`,
          sovi: `${f(lo)} / ${f(mid)} / ${f(hi)}`,
          baseline: '—',
          ratio: '—',
          goal: `steady RSS (median) ≤ ${WORKER_GOAL_MIB} MiB`,
          verdict: mid <= WORKER_GOAL_MIB ? 'met' : 'not met',
        },
        {
          what: 'worker peak RSS (VmHWM), MiB',
          sovi: f(watch.peakMiB()),
          baseline: '—',
          ratio: '—',
        },
      ],
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    fs.rmSync(work, { recursive: true, force: true });
    await server.dropDatabase(target.name);
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '10' },
      'print-only': { type: 'boolean', default: false },
    },
  });
  const server = await openBenchServer();
  try {
    const section = await soakBench(server, { minutes: Number(values.minutes) });
    console.log(renderSection(section));
    if (!values['print-only']) await writeSection(section, server.label);
  } finally {
    await server.close();
  }
}
