// The load scenario: a simulated day of a team's whole system, with sovi run as real processes the way a
// team runs it: `sovi worker --host h1` and `--host h2` (100 phones each, on fake WebDriverAgents), one
// `sovi up --no-worker` serving the API, `sovi content produce --all` and `sovi metrics import` of the day's
// metric files, all on one PostgreSQL, while dashboard readers load the API. At scale 1: 10,000 accounts,
// 200 devices, 1,000 pieces of content, 5M metric rows.
//
// Measured: sessions/s and posts/s, the planner's rate, import rate and rollup lag, the API's latency per
// dashboard route, the CPU seconds of PostgreSQL's processes against sovi's, and each sovi process's peak
// memory. Baselines from the same run: the raw SKIP LOCKED claim loop (bench/scheduler.ts) on a twin of the
// seeded database, a raw COPY of every metric file into that twin right beside sovi's import of it, and a
// bare Fastify app running the dashboard's SQL (bench/bare-dashboard.ts) loaded in alternate windows.
//
//   node bench/scenario.ts [--scale 0.1]     (writes its section of bench/README.md)
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { loadConfig } from '../src/config.ts';
import { startFakeWda, type FakeWda } from '../src/devices/fake-wda-server.ts';
import { queues } from '../src/jobs/job-engine.ts';
import { createBoss } from '../src/db/job-engine.ts';
import { rollupStatus } from '../src/metrics/rollup-refresh.ts';
import { loadDashboard, newLatencies, type DashboardRoute, type Latencies } from './dashboard-load.ts';
import {
  type BenchServer,
  logger,
  median,
  migrateBenchDatabase,
  openBenchServer,
  percentile,
  type Row,
  type Section,
} from './harness.ts';
import {
  machineCpuSeconds,
  ownCpuSeconds,
  postmasterPid,
  serverCpuSeconds,
  watchProcess,
} from './proc-stats.ts';
import { renderSection, writeSection } from './report.ts';
import { HOSTS, seedScenario, writeMetricFiles, type ScenarioSize } from './scenario-seed.ts';
import { startPlanTicker } from './plan-ticker.ts';
import { rawClaims } from './scheduler.ts';
import { runSovi, startNode, startSovi, type LongRunning, type OneShot } from './sovi-process.ts';

export interface ScenarioSettings {
  /** 1: 10,000 accounts, 200 devices, 1,000 pieces of content, 5M metric rows; everything scales with it. */
  scale: number;
  /** Seconds of each raw claim run. */
  rawSeconds: number;
  /** The dashboard load alternates between sovi and the bare app in windows of this many seconds. */
  apiWindowSeconds: number;
  /** Requests per second to each of the five routes. */
  apiRatePerRoute: number;
  apiConnectionsPerRoute: number;
  /** How often the bench asks each host's planner for a tick (through its plan queue). */
  planEveryMs: number;
  /** The day is cut off after this long, finished or not (the notes say which). */
  maxMinutes: number;
}

const defaults: ScenarioSettings = {
  scale: 1,
  rawSeconds: 10,
  apiWindowSeconds: 10,
  apiRatePerRoute: 10,
  apiConnectionsPerRoute: 2,
  planEveryMs: 1_000,
  maxMinutes: 30,
};

export function scenarioSize(scale: number): ScenarioSize {
  return {
    accounts: Math.max(50, Math.round(10_000 * scale)),
    devicesPerHost: Math.max(2, Math.round(100 * scale)),
    content: Math.max(5, Math.round(1_000 * scale)),
    pastContent: Math.max(5, Math.round(4_000 * scale)),
    metricFiles: 25,
    rowsPerDistributionPerFile: 10,
  };
}

const HOUR = 3_600_000;
/** Issue 19's goals for the long-running processes' steady-state RSS. */
const WORKER_GOAL_MIB = 150;
const UP_GOAL_MIB = 200;
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const times = (ratio: number) => `${ratio.toFixed(ratio < 0.1 ? 3 : 2)}×`;
const verdict = (ok: boolean) => (ok ? 'met' : 'not met');

/** The compressed day: no gaps between an account's sessions, the default number of them per day. */
const warmingPolicy = {
  created: { minGapMinutes: 0 },
  warming_p1: { minGapMinutes: 0 },
  warming_p2: { minGapMinutes: 0 },
  warming_p3: { minGapMinutes: 0 },
  active: { minGapMinutes: 0 },
};
/** The default cadence per account, with platform quotas sized for a fleet of this many accounts. */
const contentPolicy = {
  distribution: { platformDailyQuota: { tiktok: 1_000_000, instagram: 1_000_000 } },
};

/** A raw COPY of a metric file into a database's metric_snapshots, as bench/metrics.ts times it. */
async function rawCopy(pool: pg.Pool, file: string): Promise<number> {
  const header = fs.readFileSync(file, 'utf8').slice(0, 300).split('\n')[0]!;
  const client = await pool.connect();
  try {
    const start = performance.now();
    await pipeline(
      fs.createReadStream(file),
      client.query(copyFrom(`COPY metric_snapshots (${header}) FROM STDIN WITH (FORMAT csv, HEADER true)`)),
    );
    return performance.now() - start;
  } finally {
    client.release();
  }
}

interface Batch {
  rows: number;
  soviMs: number;
  soviWallMs: number;
  rawMs: number;
  /** When `sovi metrics import` had committed (its exit). */
  committedAt: number;
  /** When the rollup watermark was first seen past it. */
  rolledUpAt?: number;
}

const p = (values: number[], q: number) => (values.length ? percentile(values, q) : Number.NaN);

export async function scenarioBench(
  server: BenchServer,
  overrides: Partial<ScenarioSettings> = {},
): Promise<Section> {
  const s = { ...defaults, ...overrides };
  const size = scenarioSize(s.scale);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sovi-bench-scenario-'));
  const target = await server.createDatabase();
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    // 1. Setup, not measured: migrate, seed with bare SQL, write the metric files, clone a twin.
    const setupStart = performance.now();
    // `sovi worker` renders with the stub media when its configuration has SOVI_STUB_MEDIA (added for the
    // fault tests); without it, the content starts rendered and only its distribution is measured.
    const stubMediaWorkers = 'stubMedia' in loadConfig({ SOVI_STUB_MEDIA: '{}' }).content;
    const setupConfig = await migrateBenchDatabase(target.url);
    const wdas: FakeWda[] = [];
    cleanups.push(() => Promise.all(wdas.map((w) => w.close())));
    for (let i = 0; i < HOSTS.length * size.devicesPerHost; i++)
      wdas.push(await startFakeWda({ mode: 'healthy', battery: 0.8, sessionId: `bench-${i}` }));
    const video = path.join(work, 'video.mp4');
    // The media store every sovi process of the day reads and writes (SOVI_MEDIA_STORE below).
    const mediaStore = path.join(work, 'media');
    fs.writeFileSync(video, 'stub video');
    const setupPool = new pg.Pool({ connectionString: target.url, max: 2, application_name: 'bench setup' });
    let metricData: Awaited<ReturnType<typeof writeMetricFiles>>;
    try {
      await seedScenario(
        setupPool,
        size,
        wdas.map((w) => w.port),
        video,
        stubMediaWorkers,
        mediaStore,
      );
      metricData = await writeMetricFiles(
        setupPool,
        size,
        path.join(work, 'metrics'),
        new Date(Date.now() - 600_000),
      );
    } finally {
      await setupPool.end();
    }
    const twin = await server.createDatabase(target.name);
    cleanups.push(() => server.dropDatabase(twin.name));
    const setupSeconds = (performance.now() - setupStart) / 1_000;

    // 2. Baseline, quiet: the raw claim loop on the twin's accounts (1 client: the planner's; 4: sessions').
    const raw1 = await rawClaims(twin.url, 1, s.rawSeconds);
    const raw4 = await rawClaims(twin.url, 4, s.rawSeconds);

    // 3. sovi's processes, configured as a team would for this day.
    const policyFile = path.join(work, 'warming-policy.json');
    fs.writeFileSync(policyFile, JSON.stringify(warmingPolicy));
    const contentPolicyFile = path.join(work, 'content-policy.json');
    fs.writeFileSync(contentPolicyFile, JSON.stringify(contentPolicy));
    const env: Record<string, string> = {
      DATABASE_URL: target.url,
      SOVI_HOME: path.join(work, 'home'),
      SOVI_MEDIA_STORE: mediaStore,
      SOVI_LOG_LEVEL: 'warn',
      SOVI_LOG_FORMAT: 'json',
      SOVI_ACTOR: 'bench',
      SOVI_VAULT_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      SOVI_WARMING_POLICY_FILE: policyFile,
      SOVI_CONTENT_POLICY_FILE: contentPolicyFile,
      SOVI_EXECUTOR_OPTIONS: JSON.stringify({
        seed: 'bench',
        minDurationMs: 0,
        maxDurationMs: 20,
        deviceDropRate: 0,
        loginFailureRate: 0,
        challengeRate: 0,
        errorRate: 0,
      }),
      SOVI_PUBLISHER_OPTIONS: JSON.stringify({ transientFailureRate: 0, rejectionRate: 0, removalRate: 0 }),
      SOVI_WORKER_CONCURRENCY: String(size.devicesPerHost),
      SOVI_DEVICE_QUEUE_DEPTH: '10',
      SOVI_WDA_HOST: '127.0.0.1',
      SOVI_TRENDS_PULL_CRON: 'off', // no internet in a bench
      ...(stubMediaWorkers ? { SOVI_STUB_MEDIA: '{}' } : {}),
    };
    const token = (
      JSON.parse((await runSovi(['tokens', 'create', '--name', 'bench', '--json'], env)).stdout) as {
        token: string;
      }
    ).token;
    const long: LongRunning[] = [];
    cleanups.push(() => Promise.all(long.map((l) => l.stop())));
    const workers = HOSTS.map((h) =>
      startSovi(`sovi worker --host ${h}`, ['worker', '--host', h], env, /sovi worker running/),
    );
    const up = startSovi(
      'sovi up --no-worker',
      ['up', '--no-worker', '--port', '0'],
      env,
      /sovi is up at (http:\/\/\S+)/,
    );
    const bare = startNode(
      'bare dashboard (baseline)',
      [path.join(import.meta.dirname, 'bare-dashboard.ts'), target.url],
      {},
      /bare dashboard at (http:\/\/\S+)/,
    );
    long.push(...workers, up, bare);
    const urls = { sovi: (await up.ready)[1]!, bare: (await bare.ready)[1]! };
    await Promise.all(workers.map((w) => w.ready));
    const soviProcesses = [...workers, up];
    const watches = new Map(long.map((l) => [l.name, watchProcess(l.pid)]));
    cleanups.push(async () => watches.forEach((w) => w.stop()));

    const admin = new pg.Pool({ connectionString: target.url, max: 3, application_name: 'bench observer' });
    cleanups.push(() => admin.end());
    const twinPool = new pg.Pool({ connectionString: twin.url, max: 2, application_name: 'bench raw copy' });
    cleanups.push(() => twinPool.end());
    const boss = createBoss({ url: target.url }, setupConfig.scheduler, logger, {
      migrate: false,
      background: false,
      maxConnections: 2,
    });
    await boss.start();
    cleanups.push(() => boss.stop({ graceful: false, close: true }));
    const pm = await postmasterPid(admin);

    const slug = (await admin.query<{ slug: string }>('SELECT slug FROM niches ORDER BY slug LIMIT 1'))
      .rows[0]!.slug;
    const accountIds = (
      await admin.query<{ id: string }>(
        `SELECT account_id AS id FROM distributions GROUP BY account_id ORDER BY account_id LIMIT 20`,
      )
    ).rows.map((r) => r.id);
    const routes: DashboardRoute[] = [
      { name: 'GET /api/v1/overview', paths: ['/api/v1/overview'] },
      { name: 'GET /api/v1/accounts?limit=100', paths: ['/api/v1/accounts?limit=100'] },
      {
        name: 'GET /api/v1/metrics/niches/{slug}/daily?days=30',
        paths: [`/api/v1/metrics/niches/${slug}/daily?days=30`],
      },
      {
        name: 'GET /api/v1/metrics/accounts/{id}/hourly?days=30',
        paths: accountIds.map((id) => `/api/v1/metrics/accounts/${id}/hourly?days=30`),
      },
      { name: 'GET /api/v1/metrics/top?days=7&limit=10', paths: ['/api/v1/metrics/top?days=7&limit=10'] },
    ];
    // Both answer every route before anything is measured.
    for (const [name, base] of Object.entries(urls))
      for (const route of routes) {
        const response = await fetch(`${base}${route.paths[0]}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        if (response.status !== 200)
          throw new Error(
            `bench: ${name} ${route.paths[0]}: ${response.status} ${(await response.text()).slice(0, 300)}`,
          );
      }
    const loadOptions = (seconds: number) => ({
      seconds,
      ratePerRoute: s.apiRatePerRoute,
      connectionsPerRoute: s.apiConnectionsPerRoute,
      headers: { authorization: `Bearer ${token}` },
    });

    // 4. The day, measured.
    const t0 = Date.now();
    const deadline = t0 + s.maxMinutes * 60_000;
    const cpu0 = { pg: serverCpuSeconds(pm), machine: machineCpuSeconds(), own: ownCpuSeconds() };
    const cpuAt0 = new Map([...watches].map(([name, w]) => (w.sample(), [name, w.cpuSeconds()])));
    const oneShots: { what: string; run: OneShot }[] = [];
    let finished = false;

    const producing = runSovi(['content', 'produce', '--all'], env).then((run) => {
      oneShots.push({ what: 'sovi content produce --all', run });
      return run;
    });

    // The planner's cron ticks once a minute; a day compressed into minutes asks for a tick every second,
    // through the same plan queue the cron sends to (only when the previous tick is done).
    const planTicker = startPlanTicker(admin, boss, HOSTS, s.planEveryMs);
    const planLoop = planTicker.done;

    const batches: Batch[] = [];
    const ingestLoop = (async () => {
      for (const [k, file] of metricData.files.entries()) {
        if (Date.now() > deadline) break;
        let rawMs = 0;
        if (k % 2 === 1) rawMs = await rawCopy(twinPool, file); // alternate which goes first
        const run = await runSovi(['metrics', 'import', file, '--json'], env);
        oneShots.push({ what: 'sovi metrics import', run });
        const report = JSON.parse(run.stdout) as { rows: number; inserted: number; durationMs: number };
        if (report.inserted !== report.rows)
          throw new Error(`bench: ${file}: ${report.inserted} of ${report.rows}`);
        if (k % 2 === 0) rawMs = await rawCopy(twinPool, file);
        batches.push({
          rows: report.rows,
          soviMs: report.durationMs,
          soviWallMs: run.wallMs,
          rawMs,
          committedAt: run.endedAt,
        });
      }
    })();

    const refreshes = new Map<number, { durationMs: number; hours: number }>();
    const lagLoop = (async () => {
      while (!finished) {
        const status = await rollupStatus(admin);
        const seenAt = Date.now();
        if (status.lastRunAt && status.lastDurationMs !== null)
          refreshes.set(status.lastRunAt.getTime(), {
            durationMs: status.lastDurationMs,
            hours: status.lastHours ?? 0,
          });
        for (const b of batches)
          if (b.rolledUpAt === undefined && status.watermark && status.watermark.getTime() >= b.committedAt)
            b.rolledUpAt = seenAt;
        await sleep(250);
      }
    })();

    const loaded = { sovi: newLatencies(routes), bare: newLatencies(routes) };
    let failedRequests = 0;
    const apiLoop = (async () => {
      for (let turn = 0; !finished; turn++) {
        const which = turn % 2 === 0 ? 'sovi' : 'bare';
        const r = await loadDashboard(urls[which], routes, loadOptions(s.apiWindowSeconds), loaded[which]);
        if (which === 'sovi') failedRequests += r.failed;
      }
    })();

    let producedAt: number | undefined;
    const progress = async () => {
      const { rows } = await admin.query<{
        queued: number;
        last_session: Date | null;
        distributing: number;
        producing: number;
        pending: number;
      }>(`SELECT (SELECT count(*) FROM warming_queue)::int AS queued,
                 (SELECT max(completed_at) FROM warming_progress) AS last_session,
                 (SELECT count(*) FROM content WHERE production_status = 'distributing')::int AS distributing,
                 (SELECT count(*) FROM content WHERE production_status IN ('scripting', 'generating', 'assembling'))::int AS producing,
                 (SELECT count(*) FROM distributions WHERE status = 'pending')::int AS pending`);
      const { rows: plans } = await admin.query<{ started_on: Date; planned: number }>(
        `SELECT DISTINCT ON (name) started_on, (output->>'planned')::int AS planned FROM pgboss.job
         WHERE name = ANY($1) AND state = 'completed' ORDER BY name, completed_on DESC`,
        [HOSTS.map((h) => queues.plan(h))],
      );
      const r = rows[0]!;
      const sessionsDone =
        r.queued === 0 &&
        plans.length === HOSTS.length &&
        plans.every((pl) => pl.planned === 0 && (!r.last_session || pl.started_on > r.last_session));
      if (r.producing === 0) producedAt ??= Date.now();
      const contentDone = r.producing === 0 && r.distributing === 0 && r.pending === 0;
      const ingestDone =
        batches.length === metricData.files.length && batches.every((b) => b.rolledUpAt !== undefined);
      return { sessionsDone, contentDone, ingestDone, ...r };
    };
    let state = await progress();
    const failures: unknown[] = [];
    const watch = (what: string, task: Promise<unknown>) =>
      task.catch((err: unknown) => {
        failures.push(err);
        logger.error({ err, what }, 'bench scenario task failed');
      });
    for (const [what, task] of Object.entries({ producing, planLoop, ingestLoop, lagLoop, apiLoop }))
      void watch(what, task);
    while (Date.now() < deadline && failures.length === 0) {
      state = await progress();
      if (state.sessionsDone && state.contentDone && state.ingestDone) break;
      await sleep(2_000);
    }
    finished = true;
    void planTicker.stop();
    const t1 = Date.now();
    const cpu1 = { pg: serverCpuSeconds(pm), machine: machineCpuSeconds(), own: ownCpuSeconds() };
    const cpuUsed = new Map(
      [...watches].map(([name, w]) => (w.sample(), [name, w.cpuSeconds() - cpuAt0.get(name)!])),
    );
    const peaks = new Map([...watches].map(([name, w]) => [name, w.peakMiB()]));
    // Steady state: the day's RSS samples after its first minute (start-up and the first jobs left out).
    const steadyRss = new Map(
      [...watches].map(([name, w]) => {
        const day = w.samples.filter((x) => x.at >= t0 + 60_000 && x.at <= t1).map((x) => x.rssMiB);
        return [name, { median: day.length ? median(day) : Number.NaN, max: Math.max(...day) }];
      }),
    );
    await Promise.allSettled([planLoop, lagLoop, apiLoop, ingestLoop, producing]);
    if (failures.length > 0) throw failures[0];
    const windowSeconds = (t1 - t0) / 1_000;

    // 5. What the day did, from the database.
    const sessions = (
      await admin.query<{ n: number; ok: number; first: Date; last: Date }>(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE session_data->>'outcome' = 'success')::int AS ok,
                min(started_at) AS first, max(completed_at) AS last
         FROM warming_progress WHERE started_at >= $1 AND completed_at IS NOT NULL`,
        [new Date(t0)],
      )
    ).rows[0]!;
    const sessionSpan = (sessions.last.getTime() - sessions.first.getTime()) / 1_000;
    const sessionRate = sessions.n / sessionSpan;
    const posts = (
      await admin.query<{ posted: number; failed: number; first: Date | null; last: Date | null }>(
        `SELECT count(*) FILTER (WHERE status = 'posted')::int AS posted,
                count(*) FILTER (WHERE status = 'failed')::int AS failed,
                min(created_at) AS first, max(posted_at) AS last
         FROM distributions WHERE created_at >= $1`,
        [new Date(t0)],
      )
    ).rows[0]!;
    const postSpan = posts.last && posts.first ? (posts.last.getTime() - t0) / 1_000 : Number.NaN;
    const postRate = posts.posted / postSpan;
    const ticks = (
      await admin.query<{ planned: number; ms: number }>(
        `SELECT (output->>'planned')::int AS planned,
                extract(epoch FROM completed_on - started_on)::float8 * 1000 AS ms
         FROM pgboss.job WHERE name = ANY($1) AND state = 'completed' AND started_on >= $2`,
        [HOSTS.map((h) => queues.plan(h)), new Date(t0)],
      )
    ).rows;
    const planning = ticks.filter((t) => t.planned > 0);
    const plannedTotal = planning.reduce((a, t) => a + t.planned, 0);
    const planSeconds = planning.reduce((a, t) => a + t.ms, 0) / 1_000;
    const planRate = plannedTotal / planSeconds;

    const ingested = batches.reduce((a, b) => a + b.rows, 0);
    const soviIngest = ingested / (batches.reduce((a, b) => a + b.soviMs, 0) / 1_000);
    const soviIngestWall = ingested / (batches.reduce((a, b) => a + b.soviWallMs, 0) / 1_000);
    const rawIngest = ingested / (batches.reduce((a, b) => a + b.rawMs, 0) / 1_000);
    const lags = batches
      .filter((b) => b.rolledUpAt !== undefined)
      .map((b) => (b.rolledUpAt! - b.committedAt) / 1_000);
    const refreshRuns = [...refreshes.entries()]
      .filter(([at, r]) => at >= t0 && r.hours > 0)
      .map(([, r]) => r);
    const refreshMs = median(refreshRuns.map((r) => r.durationMs));

    // 6. Quiet: workers stopped (their peak memory read above), then the dashboard alone, then a rebuild.
    await Promise.all(workers.map((w) => w.stop()));
    const quiet = { sovi: newLatencies(routes), bare: newLatencies(routes) };
    await loadDashboard(urls.sovi, routes, loadOptions(s.apiWindowSeconds), quiet.sovi);
    await loadDashboard(urls.bare, routes, loadOptions(s.apiWindowSeconds), quiet.bare);
    watches.get(up.name)!.sample();
    peaks.set(up.name, watches.get(up.name)!.peakMiB());
    const rebuild = await runSovi(
      [
        'metrics',
        'refresh',
        '--from',
        metricData.from.toISOString(),
        '--to',
        new Date(Date.now() + HOUR).toISOString(),
        '--json',
      ],
      env,
    );
    const rebuildReport = JSON.parse(rebuild.stdout) as { days: number; durationMs: number };

    // 7. The report.
    const machineBusy = cpu1.machine.busy - cpu0.machine.busy;
    const pgCpu = cpu1.pg - cpu0.pg;
    const share = (cpu: number) => `${((100 * cpu) / machineBusy).toFixed(0)}%`;
    const oneShotGroups = new Map<string, { n: number; cpu: number; peak: number }>();
    for (const { what, run } of oneShots) {
      const g = oneShotGroups.get(what) ?? { n: 0, cpu: 0, peak: 0 };
      oneShotGroups.set(what, {
        n: g.n + 1,
        cpu: g.cpu + run.cpuSeconds,
        peak: Math.max(g.peak, run.peakMiB),
      });
    }
    const soviCpu =
      soviProcesses.reduce((a, l) => a + cpuUsed.get(l.name)!, 0) +
      [...oneShotGroups.values()].reduce((a, g) => a + g.cpu, 0);
    const bareCpu = cpuUsed.get(bare.name)!;
    const benchCpu = cpu1.own - cpu0.own;
    const cpuRows = [
      `| PostgreSQL server (postmaster and every backend) | ${fmt(pgCpu, 1)} | ${share(pgCpu)} | — |`,
      ...soviProcesses.map(
        (l) =>
          `| ${l.name} | ${fmt(cpuUsed.get(l.name)!, 1)} | ${share(cpuUsed.get(l.name)!)} | ${fmt(peaks.get(l.name)!, 0)} MiB |`,
      ),
      ...[...oneShotGroups.entries()].map(
        ([what, g]) =>
          `| ${what} (${g.n} run${g.n > 1 ? 's' : ''}) | ${fmt(g.cpu, 1)} | ${share(g.cpu)} | ${fmt(g.peak, 0)} MiB (largest) |`,
      ),
      `| bare dashboard app (the baseline, loaded half the time) | ${fmt(bareCpu, 1)} | ${share(bareCpu)} | ${fmt(peaks.get(bare.name)!, 0)} MiB |`,
      `| the bench process (dashboard load, raw COPY, observers, fake phones) | ${fmt(benchCpu, 1)} | ${share(benchCpu)} | — |`,
      `| anything else on the machine | ${fmt(Math.max(0, machineBusy - pgCpu - soviCpu - bareCpu - benchCpu), 1)} | ${share(Math.max(0, machineBusy - pgCpu - soviCpu - bareCpu - benchCpu))} | — |`,
      `| machine, busy (${os.cpus().length} CPUs × ${fmt(windowSeconds, 0)} s = ${fmt(cpu1.machine.total - cpu0.machine.total, 0)} CPU s) | ${fmt(machineBusy, 1)} | 100% | — |`,
    ];
    const routeRows = (
      when: 'under load' | 'quiet',
      sovi: Latencies,
      bareL: Latencies,
      judge: boolean,
    ): Row[] =>
      routes.map((route) => {
        const a = sovi.get(route.name)!;
        const b = bareL.get(route.name)!;
        const ok = p(a, 95) <= 20;
        return {
          what: `${route.name}, ${when}: p50 / p95 / p99 ms (${fmt(a.length)} requests)`,
          sovi: `${p(a, 50).toFixed(1)} / ${p(a, 95).toFixed(1)} / ${p(a, 99).toFixed(1)}`,
          baseline: `${p(b, 50).toFixed(1)} / ${p(b, 95).toFixed(1)} / ${p(b, 99).toFixed(1)} (bare app, ${fmt(b.length)} requests)`,
          ratio: `${(p(a, 95) / p(b, 95)).toFixed(2)}× (p95)`,
          ...(judge ? { goal: 'p95 ≤ 20 ms', verdict: verdict(ok) } : {}),
        };
      });
    const all = (l: Latencies) => [...l.values()].flat();
    const allSovi = all(loaded.sovi);
    const allBare = all(loaded.bare);
    const dayDone = state.sessionsDone && state.contentDone && state.ingestDone;
    const refreshFaster = rebuildReport.durationMs / refreshMs;

    const rows: Row[] = [
      {
        what: `completed warming sessions/s (${fmt(sessions.n)} sessions over ${fmt(sessionSpan, 0)} s, 2 workers)`,
        sovi: `${fmt(sessionRate, 1)}/s`,
        baseline: `${fmt(raw4.rate)}/s accounts claimed (raw claim, 4 clients, quiet)`,
        ratio: `${times(sessionRate / raw4.rate)} raw`,
        goal: '≥ 0.5×',
        verdict: verdict(sessionRate / raw4.rate >= 0.5),
      },
      {
        what: `planned accounts/s in the workers' planner ticks (${fmt(planning.length)} ticks that planned, ${fmt(plannedTotal)} sessions)`,
        sovi: `${fmt(planRate)}/s`,
        baseline: `${fmt(raw1.rate)}/s (raw claim, 1 client, quiet)`,
        ratio: `${times(planRate / raw1.rate)} raw`,
        goal: '≥ 0.5×',
        verdict: verdict(planRate / raw1.rate >= 0.5),
      },
      ...(stubMediaWorkers && producedAt !== undefined
        ? [
            {
              what: `productions/s (${fmt(size.content)} pieces through every stage, stub media)`,
              sovi: `${fmt(size.content / ((producedAt - t0) / 1_000), 1)}/s`,
              baseline: '— (bare SQL writes: see the content pipeline section)',
              ratio: '—',
            },
          ]
        : []),
      {
        what: `posts/s (${fmt(posts.posted)} posted, ${fmt(posts.failed)} failed, of ${fmt(size.content)} pieces × 3 accounts)`,
        sovi: `${fmt(postRate, 1)}/s`,
        baseline: '— (bare UPDATEs: see the content pipeline section)',
        ratio: '—',
      },
      {
        what: `metrics import under load, rows/s (${batches.length} files, ${fmt(ingested)} rows)`,
        sovi: `${fmt(soviIngest)} (import time; ${fmt(soviIngestWall)} counting the process start)`,
        baseline: `${fmt(rawIngest)} (COPY of each file into the twin database, right beside it)`,
        ratio: times(soviIngest / rawIngest),
        goal: '≥ 0.7×',
        verdict: verdict(soviIngest / rawIngest >= 0.7),
      },
      {
        what: `rollup lag: import committed → watermark past it, p50 / max s (${lags.length} batches)`,
        sovi: `${p(lags, 50).toFixed(1)} / ${Math.max(...lags).toFixed(1)}`,
        baseline: '— (the refresh job runs every minute, SOVI_ROLLUP_REFRESH_CRON)',
        ratio: '—',
      },
      {
        what: `rollup refresh job under load, median ms (${refreshRuns.length} runs that folded new hours)`,
        sovi: fmt(refreshMs),
        baseline: `${fmt(rebuildReport.durationMs)} (\`sovi metrics refresh --from --to\`: every rollup of the ${rebuildReport.days} days, quiet)`,
        ratio: `${refreshFaster.toFixed(1)}× faster`,
        goal: '≥ 10×',
        verdict: verdict(refreshFaster >= 10),
      },
      {
        what: `API under load, all five routes: p50 / p99 ms (${fmt(allSovi.length)} requests, ${failedRequests} failed)`,
        sovi: `${p(allSovi, 50).toFixed(1)} / ${p(allSovi, 99).toFixed(1)}`,
        baseline: `${p(allBare, 50).toFixed(1)} / ${p(allBare, 99).toFixed(1)} (bare app)`,
        ratio: `${(p(allSovi, 99) / p(allBare, 99)).toFixed(2)}× (p99)`,
      },
      ...routeRows('under load', loaded.sovi, loaded.bare, true),
      ...routeRows('quiet', quiet.sovi, quiet.bare, false),
      {
        what: 'PostgreSQL share of the CPU used by PostgreSQL and sovi',
        sovi: `${((100 * pgCpu) / (pgCpu + soviCpu)).toFixed(0)}% (PostgreSQL ${fmt(pgCpu, 0)} CPU s, sovi ${fmt(soviCpu, 0)} CPU s)`,
        baseline: '—',
        ratio: '—',
      },
      ...soviProcesses.map((l): Row => {
        const goal = l === up ? UP_GOAL_MIB : WORKER_GOAL_MIB;
        const rss = steadyRss.get(l.name)!;
        return {
          what: `steady RSS of ${l.name} during the day (median of samples after its first minute; highest)`,
          sovi: `${fmt(rss.median, 0)} MiB (highest ${fmt(rss.max, 0)} MiB)`,
          baseline: '—',
          ratio: '—',
          goal: `≤ ${goal} MiB, with the work above done`,
          verdict: verdict(rss.median <= goal),
        };
      }),
      ...soviProcesses.map((l) => ({
        what: `peak memory (VmHWM) of ${l.name}`,
        sovi: `${fmt(peaks.get(l.name)!, 0)} MiB`,
        baseline: '—',
        ratio: '—',
      })),
    ];
    const metricsImportPeak = oneShotGroups.get('sovi metrics import')?.peak;
    if (metricsImportPeak !== undefined)
      rows.push({
        what: 'peak memory of `sovi metrics import` (largest of its runs)',
        sovi: `${fmt(metricsImportPeak, 0)} MiB`,
        baseline: '—',
        ratio: '—',
      });

    return {
      title: 'Scenario: a simulated day, sovi as processes',
      notes: [
        `Scale ${s.scale}: ${fmt(size.accounts)} accounts (60% active, 10% each created, warming_p1–p3; in 5 niches; each on a phone), ` +
          `${HOSTS.length * size.devicesPerHost} phones on ${HOSTS.length} hosts (one fake WebDriverAgent each, polled by each worker's health monitor), ` +
          `${fmt(size.content)} pieces of content to ${stubMediaWorkers ? 'produce and distribute' : 'distribute'}, ${fmt(metricData.rows)} metric rows of ` +
          `${fmt(size.pastContent * 5)} earlier posts in ${metricData.files.length} CSV files covering the last 24 hours. ` +
          `Setup (seeded with bare SQL, ${setupSeconds.toFixed(0)} s) is not measured.`,
        '',
        'Processes, all on this PostgreSQL: `sovi worker --host h1` and `--host h2` (SOVI_WORKER_CONCURRENCY = phones per host, ' +
          'SOVI_DEVICE_QUEUE_DEPTH 10, the simulator executor at 0–20 ms and the simulator publisher, no failures), ' +
          '`sovi up --no-worker` serving the API with a token from `sovi tokens create`; `sovi content produce --all` at the start, ' +
          'and `sovi metrics import` of one file after another. The warming policy has no gaps between sessions (a day ' +
          'compressed into minutes; sessions per day as in the defaults), the content policy the default cadence (3 accounts per ' +
          'piece, 2 posts per account per day, 3 h apart) with platform quotas sized for the fleet. The planner cron ticks once a ' +
          `minute; the bench asks each host's planner for a tick through its plan queue every ${s.planEveryMs / 1000} s when none is ` +
          `queued (${fmt(planTicker.requests())} requests). ` +
          (stubMediaWorkers
            ? 'Content goes through the whole pipeline (template script writer, hook choice, every stage, distribution ' +
              'planning, publishing) with the workers on the stub media (SOVI_STUB_MEDIA={}: no rendering, which costs ' +
              '10–20 s of CPU a video, see Media below), SOVI_CONTENT_CONCURRENCY 2 per worker as by default.'
            : 'Rendering is not part of it: `sovi worker` has no setting for the stub media (src/content/stub-media.ts), ' +
              'and real rendering takes 10–20 s of CPU a video (see Media below), so the content starts rendered and ' +
              'checked, and what is measured is its distributing stage: planning the posts, then publishing them.'),
        '',
        `The day ${dayDone ? `was done after ${fmt(windowSeconds, 0)} s` : `was cut off after ${fmt(windowSeconds, 0)} s (${s.maxMinutes} min)`}: ` +
          `${fmt(sessions.n)} sessions (${fmt(sessions.ok)} successful), ${fmt(posts.posted)} posts, ${batches.length} of ${metricData.files.length} files imported and rolled up` +
          `${dayDone ? '' : ` (still queued sessions ${state.queued}, content distributing ${state.distributing}, posts pending ${state.pending})`}. ` +
          `Sessions/s counts from the first session's start to the last one's end, posts/s from the start of the day to the last post.`,
        '',
        `Scheduler baselines, quiet, before the day, on a twin of the seeded database: the raw claim loop of the scheduler section ` +
          `(${s.rawSeconds} s each) claims ${fmt(raw1.rate)} accounts/s with 1 client and ${fmt(raw4.rate)}/s with 4. The sessions are ` +
          'compared with 4 clients, the planner with 1 (a host plans in one transaction at a time); the planner rate is planned ' +
          'sessions over the summed duration of the plan jobs that planned any (pg-boss started_on → completed_on). Both of sovi’s ' +
          'rates are measured under the whole day’s load; the baselines on an otherwise idle server.',
        '',
        'Ingest: each file through `sovi metrics import` (its own report’s time; the process start adds the second figure) and, ' +
          'alternately before or after it, a raw COPY of the same file into the twin database’s metric_snapshots, so both meet ' +
          'the same load. Rollup lag: from the import process’s exit to the first poll (every 250 ms) that sees the refresh ' +
          'watermark past it; the refresh job runs on its cron once a minute, so the lag is mostly waiting for the next run. The ' +
          'incremental refresh is the job’s own duration (metric_rollup_state.last_duration_ms) for runs that folded new hours; ' +
          'the rebuild is `sovi metrics refresh --from <first row> --to <now + 1 h>` after the day, with the workers stopped.',
        '',
        `Dashboard reads: autocannon in the bench process, one instance per route, ${s.apiRatePerRoute} requests/s each ` +
          `(${s.apiConnectionsPerRoute} connections), alternating ${s.apiWindowSeconds} s windows between sovi (bearer token) ` +
          'and the bare app (bench/bare-dashboard.ts: the same SQL through pool.query, no auth, validation, mapping or ' +
          'schemas; a process of its own with a pool of 10, like sovi up’s). The account route cycles over 20 accounts with ' +
          'posts. After the day, with the workers stopped, one quiet window each.',
        '',
        `CPU during the day (${fmt(windowSeconds, 0)} s), from /proc: the PostgreSQL server’s processes (the postmaster, its ` +
          'live children and those it reaped), each sovi process (the one-shot commands from GNU time), and the machine’s ' +
          'busy time (other engineers’ work included). Peak memory is VmHWM.',
        '',
        '| process | CPU s | share of busy CPU | peak memory |',
        '| --- | --- | --- | --- |',
        ...cpuRows,
      ],
      rows,
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
      scale: { type: 'string', default: '1' },
      'max-minutes': { type: 'string' },
      /** Print the section without touching bench/README.md (a trial run). */
      'print-only': { type: 'boolean', default: false },
    },
  });
  const server = await openBenchServer();
  try {
    const section = await scenarioBench(server, {
      scale: Number(values.scale),
      ...(values['max-minutes'] ? { maxMinutes: Number(values['max-minutes']) } : {}),
    });
    console.log(renderSection(section));
    if (!values['print-only']) await writeSection(section, server.label);
  } finally {
    await server.close();
  }
}
