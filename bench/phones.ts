// No idle phones: one `sovi worker` process with 200 phones (fake WebDriverAgents) and the simulator running
// every session for exactly `sessionMs`, fed with enough due accounts that each phone always has its next
// session queued. Per phone: time in sessions over wall time (utilisation), and the gap between one
// session's end and the next one's start on the same phone, from warming_progress (both stamped by the
// worker's clock). Baseline in the same run: 200 raw phone loops over plain pg, each claiming its phone's next
// queued row with FOR UPDATE SKIP LOCKED, sleeping `sessionMs` and marking it done.
//
//   node bench/phones.ts [--minutes 3] [--session-ms 2000] [--phones 200] [--db-pool N] [--before /path/to/checkout]
//                        [--worker-node-options='--cpu-prof --cpu-prof-dir=/tmp/prof'] [--statements]
//
// --before runs the same worker a second time from another checkout's bin/sovi.js (e.g. main before the
// hand-off), against its own fresh database, so both codes are measured in one run. --statements counts the
// worker's statements over the window with pg_stat_statements (the throwaway server preloads it; the worker
// connects as a role of its own, so the bench's own statements are left out): per session, and the health
// monitor's share.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { FakeWda } from '../src/devices/fake-wda-server.ts';
import { createBoss } from '../src/db/job-engine.ts';
import { queues } from '../src/jobs/job-engine.ts';
import {
  type BenchServer,
  logger,
  median,
  migrateBenchDatabase,
  openBenchServer,
  percentile,
  seedPhoneFleet,
  type Row,
  type Section,
} from './harness.ts';
import { startPlanTicker } from './plan-ticker.ts';
import { machineCpuSeconds, postmasterPid, processCpuSeconds, serverCpuSeconds } from './proc-stats.ts';
import { renderSection, writeSection } from './report.ts';
import { startNode, SOVI_BIN } from './sovi-process.ts';

export interface PhonesSettings {
  phones: number;
  sessionMs: number;
  /** The measured window, after the warm-up. */
  minutes: number;
  warmupSeconds: number;
  /** Due accounts per phone: with the queue depth, enough that a phone never runs out. */
  accountsPerPhone: number;
  queueDepth: number;
  /** SOVI_WORKER_CONCURRENCY for the worker: a slot per phone. */
  concurrency: number;
  /** Another checkout whose worker is measured too ("before"). */
  before?: string;
  /** SOVI_DB_POOL_MAX for the worker; unset: sovi's default (10). */
  dbPool?: number;
  /** NODE_OPTIONS for the worker (e.g. `--cpu-prof --cpu-prof-dir=…`, to see where its CPU goes). */
  workerNodeOptions?: string;
  /** Count the worker's statements with pg_stat_statements (the server must load it). */
  statements?: boolean;
}

const defaults: PhonesSettings = {
  phones: 200,
  sessionMs: 2_000,
  minutes: 3,
  warmupSeconds: 20,
  accountsPerPhone: 10,
  queueDepth: 4,
  concurrency: 200,
};

const HOST = 'phones';
const GOAL_UTILISATION = 0.95;
const GOAL_GAP_P95_MS = 100;

interface Span {
  phone: string;
  started: number;
  completed: number;
}

interface Figures {
  sessions: number;
  /** Per phone, time in sessions within the window over the window. */
  utilisation: number[];
  /** Between consecutive sessions of one phone that both started in the window, ms. */
  gaps: number[];
}

/** Utilisation and gaps of the sessions overlapping [from, to). */
function figures(spans: Span[], phones: number, from: number, to: number): Figures {
  const byPhone = new Map<string, Span[]>();
  for (const s of spans) byPhone.set(s.phone, [...(byPhone.get(s.phone) ?? []), s]);
  const utilisation: number[] = [];
  const gaps: number[] = [];
  let sessions = 0;
  for (const list of byPhone.values()) {
    list.sort((a, b) => a.started - b.started);
    let busy = 0;
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!;
      busy += Math.max(0, Math.min(s.completed, to) - Math.max(s.started, from));
      if (s.started >= from && s.started < to) {
        sessions++;
        const prev = list[i - 1];
        if (prev && prev.started >= from) gaps.push(s.started - prev.completed);
      }
    }
    utilisation.push(busy / (to - from));
  }
  // A phone that ran nothing in the window was idle all of it.
  while (utilisation.length < phones) utilisation.push(0);
  return { sessions, utilisation, gaps };
}

/** The raw baseline: one loop per phone, claiming its next queued row (SKIP LOCKED), as a team would write it. */
async function rawPhones(url: string, s: PhonesSettings): Promise<Figures> {
  const pool = new pg.Pool({ connectionString: url, max: 10, application_name: 'bench raw phones' });
  try {
    await pool.query(`
      DROP TABLE IF EXISTS bench_phone_queue;
      CREATE TABLE bench_phone_queue (
        id bigserial PRIMARY KEY, phone int NOT NULL, state text NOT NULL DEFAULT 'queued',
        started_at timestamptz, completed_at timestamptz);
      CREATE INDEX ON bench_phone_queue (phone, id) WHERE state = 'queued';`);
    const perPhone = Math.ceil(((s.warmupSeconds + s.minutes * 60) * 1_000) / s.sessionMs) + 20;
    await pool.query(
      `INSERT INTO bench_phone_queue (phone) SELECT p FROM generate_series(1, $1::int) p, generate_series(1, $2::int)`,
      [s.phones, perPhone],
    );
    await pool.query('ANALYZE bench_phone_queue');
    const start = Date.now();
    const until = start + (s.warmupSeconds + s.minutes * 60) * 1_000;
    const loop = async (phone: number) => {
      while (Date.now() < until) {
        const { rows } = await pool.query<{ id: string }>(
          `UPDATE bench_phone_queue SET state = 'running', started_at = clock_timestamp()
           WHERE id = (SELECT id FROM bench_phone_queue WHERE phone = $1 AND state = 'queued'
                       ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
           RETURNING id`,
          [phone],
        );
        if (!rows[0]) throw new Error(`bench: raw phone ${phone} ran out of queued rows`);
        await sleep(s.sessionMs);
        await pool.query(
          `UPDATE bench_phone_queue SET state = 'done', completed_at = clock_timestamp() WHERE id = $1`,
          [rows[0].id],
        );
      }
    };
    await Promise.all(Array.from({ length: s.phones }, (_, i) => loop(i + 1)));
    const { rows } = await pool.query<{ phone: number; started: string; completed: string }>(
      `SELECT phone, (extract(epoch FROM started_at) * 1000)::float8 AS started,
              (extract(epoch FROM completed_at) * 1000)::float8 AS completed
       FROM bench_phone_queue WHERE state = 'done'`,
    );
    const spans = rows.map((r) => ({
      phone: String(r.phone),
      started: Number(r.started),
      completed: Number(r.completed),
    }));
    const from = start + s.warmupSeconds * 1_000;
    return figures(spans, s.phones, from, from + s.minutes * 60_000);
  } finally {
    await pool.end();
  }
}

/** One `sovi worker` (from `bin`) with its phones on a fresh database, measured over the window. */
interface SoviFigures extends Figures {
  handoff: number[];
  startLag: number[];
  endLag: number[];
  /** CPU seconds over the window: the worker process, PostgreSQL's whole server, the machine (busy / total). */
  cpu: { worker: number; server: number; machineBusy: number; machineTotal: number };
  /** The worker's statements over the window (with --statements). */
  statements?: WorkerStatements;
}

/** The role the worker connects as when statements are counted: pg_stat_statements keeps statements per role. */
const WORKER_ROLE = 'bench_phones_worker';

/** `url` as the worker's own role (a superuser, as the bench's is), with pg_stat_statements in its database. */
async function asWorkerRole(admin: pg.Pool, url: string): Promise<string> {
  const password = randomBytes(16).toString('hex');
  await admin.query(`DO $$ BEGIN CREATE ROLE ${WORKER_ROLE} LOGIN SUPERUSER;
                     EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
  await admin.query(`ALTER ROLE ${WORKER_ROLE} PASSWORD '${password}'`);
  await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  const u = new URL(url);
  u.username = WORKER_ROLE;
  u.password = password;
  return u.toString();
}

interface WorkerStatements {
  total: number;
  /** The health monitor's: its round's reads, its writes and, per full write, BEGIN and COMMIT. */
  health: number;
}

// The health monitor's statements, told by their text (Kysely's, as pg_stat_statements keeps it). Its full
// write is the only transaction that starts by locking a device row by id, so each lock counts three (BEGIN,
// the lock, COMMIT). Not counted: the rare events it records (their INSERT is everyone's).
const HEALTH_LOCK = /^select .* from "devices" where "id" = \$1 for update$/;
const HEALTH_OTHERS = [
  /^select .* from "devices" where "host" = \$1 order by "name", "udid"$/, // the round's devices
  /^select distinct "device_id", "event_type" from "system_events"/, // the round's open conditions
  /^update "devices" set "(health_failures|last_seen_at)"/, // a check's changes, guarded or locked
  /^update "system_events" set .*"device_id" = \$\d+\)/, // resolves
  /^select "id" from "system_events" where .*"device_id" = \$\d+\)/, // is one open already?
];

async function workerStatements(admin: pg.Pool): Promise<WorkerStatements> {
  const { rows } = await admin.query<{ query: string; calls: number }>(
    `SELECT query, calls::float8 AS calls FROM pg_stat_statements
     WHERE userid = (SELECT oid FROM pg_roles WHERE rolname = $1)
       AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [WORKER_ROLE],
  );
  let total = 0;
  let health = 0;
  for (const { query, calls } of rows) {
    const text = query.replace(/\s+/g, ' ').trim();
    total += calls;
    if (HEALTH_LOCK.test(text)) health += 3 * calls;
    else if (HEALTH_OTHERS.some((p) => p.test(text))) health += calls;
  }
  return { total, health };
}

/** CPU seconds so far of the worker, the server and the machine, to subtract at the window's ends. */
function cpuNow(workerPid: number, serverPid: number) {
  const machine = machineCpuSeconds();
  return {
    worker: processCpuSeconds(workerPid) ?? Number.NaN,
    server: serverCpuSeconds(serverPid),
    machineBusy: machine.busy,
    machineTotal: machine.total,
  };
}

async function soviPhones(server: BenchServer, s: PhonesSettings, bin: string): Promise<SoviFigures> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sovi-bench-phones-'));
  const target = await server.createDatabase();
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const config = await migrateBenchDatabase(target.url);
    const wdas: FakeWda[] = [];
    cleanups.push(() => Promise.all(wdas.map((w) => w.close())));
    const admin = new pg.Pool({ connectionString: target.url, max: 3, application_name: 'bench phones' });
    cleanups.push(() => admin.end());
    await seedPhoneFleet(admin, wdas, {
      host: HOST,
      prefix: 'phone',
      phones: s.phones,
      accounts: s.phones * s.accountsPerPhone,
    });
    const states = ['created', 'warming_p1', 'warming_p2', 'warming_p3', 'active'];
    const policyFile = path.join(work, 'warming-policy.json');
    fs.writeFileSync(
      policyFile,
      JSON.stringify(Object.fromEntries(states.map((st) => [st, { sessionsPerDay: 48, minGapMinutes: 0 }]))),
    );
    const env: Record<string, string> = {
      DATABASE_URL: s.statements ? await asWorkerRole(admin, target.url) : target.url,
      SOVI_HOME: path.join(work, 'home'),
      SOVI_LOG_LEVEL: 'warn',
      SOVI_LOG_FORMAT: 'json',
      SOVI_VAULT_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      SOVI_WARMING_POLICY_FILE: policyFile,
      SOVI_EXECUTOR_OPTIONS: JSON.stringify({
        seed: 'phones',
        minDurationMs: s.sessionMs,
        maxDurationMs: s.sessionMs,
        deviceDropRate: 0,
        loginFailureRate: 0,
        challengeRate: 0,
        errorRate: 0,
      }),
      SOVI_WORKER_CONCURRENCY: String(s.concurrency),
      ...(s.dbPool ? { SOVI_DB_POOL_MAX: String(s.dbPool) } : {}),
      ...(s.workerNodeOptions ? { NODE_OPTIONS: s.workerNodeOptions } : {}),
      SOVI_DEVICE_QUEUE_DEPTH: String(s.queueDepth),
      SOVI_WDA_HOST: '127.0.0.1',
      SOVI_HEALTH_INTERVAL_MS: '5000',
      SOVI_TRENDS_PULL_CRON: 'off',
      SOVI_CONTENT_CONCURRENCY: '0',
    };
    const worker = startNode(
      `sovi worker --host ${HOST}`,
      [bin, 'worker', '--host', HOST],
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
    // The worker's cron plans once a minute; asked every second instead, the phones' queues never run dry.
    const ticker = startPlanTicker(admin, boss, [HOST], 1_000);
    cleanups.push(() => ticker.stop());
    const start = Date.now();
    const serverPid = await postmasterPid(admin);
    // CPU is read over the measured window only (bin/sovi.js re-execs the worker in place: same pid).
    await sleep(s.warmupSeconds * 1_000);
    if (s.statements) await admin.query('SELECT pg_stat_statements_reset()');
    const cpuFrom = cpuNow(worker.pid, serverPid);
    await sleep(s.minutes * 60_000);
    const cpuTo = cpuNow(worker.pid, serverPid);
    const statements = s.statements ? await workerStatements(admin) : undefined;
    await sleep(s.sessionMs);
    await ticker.stop();
    const { rows } = await admin.query<{ phone: string; started: string; completed: string }>(
      `SELECT device_id AS phone, (extract(epoch FROM started_at) * 1000)::float8 AS started,
              (extract(epoch FROM completed_at) * 1000)::float8 AS completed
       FROM warming_progress WHERE completed_at IS NOT NULL`,
    );
    const spans = rows.map((r) => ({
      phone: r.phone,
      started: Number(r.started),
      completed: Number(r.completed),
    }));
    const from = start + s.warmupSeconds * 1_000;
    const to = from + s.minutes * 60_000;
    // Where a gap goes: pg-boss's hand-off (a job's completion to its device's next job's start) and the
    // session runner's own work around the executor (job start to the session's start, its end to the job's).
    const parts = await admin.query<{ handoff: number | null; start_lag: number; end_lag: number }>(
      `WITH j AS (
         SELECT id, started_on, completed_on,
                lag(completed_on) OVER (PARTITION BY singleton_key ORDER BY started_on) AS prev_done
         FROM pgboss.job WHERE name = $1 AND started_on IS NOT NULL)
       SELECT extract(epoch FROM j.started_on - j.prev_done)::float8 * 1000 AS handoff,
              extract(epoch FROM w.started_at - j.started_on)::float8 * 1000 AS start_lag,
              extract(epoch FROM j.completed_on - w.completed_at)::float8 * 1000 AS end_lag
       FROM j JOIN warming_progress w ON w.session_key = j.id
       WHERE w.started_at >= to_timestamp($2 / 1000.0) AND w.started_at < to_timestamp($3 / 1000.0)
         AND w.completed_at IS NOT NULL AND j.completed_on IS NOT NULL`,
      [queues.session(HOST), from, to],
    );
    return {
      ...figures(spans, s.phones, from, to),
      handoff: parts.rows.flatMap((r) => (r.handoff === null ? [] : [r.handoff])),
      startLag: parts.rows.map((r) => r.start_lag),
      endLag: parts.rows.map((r) => r.end_lag),
      cpu: {
        worker: cpuTo.worker - cpuFrom.worker,
        server: cpuTo.server - cpuFrom.server,
        machineBusy: cpuTo.machineBusy - cpuFrom.machineBusy,
        machineTotal: cpuTo.machineTotal - cpuFrom.machineTotal,
      },
      ...(statements ? { statements } : {}),
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    fs.rmSync(work, { recursive: true, force: true });
    await server.dropDatabase(target.name);
  }
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const ms = (x: number) => `${x.toFixed(0)} ms`;

function utilisationText(f: Figures): string {
  return `p5 ${pct(percentile(f.utilisation, 5))}, median ${pct(median(f.utilisation))}`;
}

function spread(values: number[]): string {
  if (values.length === 0) return 'none';
  return `p50 ${ms(percentile(values, 50))}, p95 ${ms(percentile(values, 95))}, p99 ${ms(percentile(values, 99))}`;
}

const gapText = (f: Figures) => spread(f.gaps);

const cpuPerSession = (seconds: number, sessions: number) =>
  sessions > 0 ? `${((seconds * 1_000) / sessions).toFixed(1)} ms` : 'no sessions';

function rowsFor(label: string, f: SoviFigures, raw: Figures, judged: boolean): Row[] {
  const util = percentile(f.utilisation, 5);
  const gap95 = f.gaps.length ? percentile(f.gaps, 95) : Number.POSITIVE_INFINITY;
  const rawGap95 = raw.gaps.length ? percentile(raw.gaps, 95) : Number.NaN;
  return [
    {
      what: `${label}: phone utilisation (time in sessions / wall time), per phone`,
      sovi: utilisationText(f),
      baseline: utilisationText(raw),
      ratio: `${(util / percentile(raw.utilisation, 5)).toFixed(2)}× at p5`,
      ...(judged
        ? { goal: `p5 ≥ ${pct(GOAL_UTILISATION)}`, verdict: util >= GOAL_UTILISATION ? 'met' : 'not met' }
        : {}),
    },
    {
      what: `${label}: gap from a session's end to its phone's next start`,
      sovi: gapText(f),
      baseline: gapText(raw),
      ratio: `+${ms(gap95 - rawGap95)} at p95`,
      ...(judged
        ? { goal: `p95 ≤ ${GOAL_GAP_P95_MS} ms`, verdict: gap95 <= GOAL_GAP_P95_MS ? 'met' : 'not met' }
        : {}),
    },
    {
      what: `${label}, of that gap: pg-boss's hand-off (a job's completion to its phone's next job's start)`,
      sovi: spread(f.handoff),
      baseline: gapText(raw),
      ratio: '—',
    },
    {
      what: `${label}, of that gap: the session runner's bookkeeping (job start → session start; session end → job completion)`,
      sovi: `${spread(f.startLag)}; ${spread(f.endLag)}`,
      baseline: '—',
      ratio: '—',
    },
    ...(f.statements
      ? [
          {
            what: `${label}: the worker's statements (pg_stat_statements), per session started; the health monitor's share`,
            sovi:
              `${(f.statements.total / f.sessions).toFixed(1)} a session (${f0(f.statements.total)}); ` +
              `health monitor ${f0(f.statements.health)}, ${pct(f.statements.health / f.statements.total)}`,
            baseline: '—',
            ratio: '—',
          },
        ]
      : []),
    {
      what: `${label}: CPU per session started (the worker process; PostgreSQL's server, all its backends)`,
      sovi: `${cpuPerSession(f.cpu.worker, f.sessions)}; ${cpuPerSession(f.cpu.server, f.sessions)}`,
      baseline: '—',
      ratio:
        `machine ${pct(f.cpu.machineBusy / f.cpu.machineTotal)} busy, ` +
        `${pct((f.cpu.worker + f.cpu.server) / f.cpu.machineTotal)} of it this worker and PostgreSQL`,
    },
  ];
}

export async function phonesBench(
  server: BenchServer,
  overrides: Partial<PhonesSettings> = {},
): Promise<Section> {
  const s = { ...defaults, ...overrides };
  const target = await server.createDatabase();
  let raw: Figures;
  try {
    raw = await rawPhones(target.url, s);
  } finally {
    await server.dropDatabase(target.name);
  }
  const after = await soviPhones(server, s, SOVI_BIN);
  const before = s.before ? await soviPhones(server, s, path.join(s.before, 'bin', 'sovi.js')) : undefined;
  const rate = (f: Figures) => (f.sessions / (s.minutes * 60)).toFixed(1);
  return {
    title: 'No idle phones: session hand-off on one worker',
    notes: [
      `One \`sovi worker --host ${HOST}\` process, ${s.phones} phones (fake WebDriverAgents), SOVI_WORKER_CONCURRENCY ` +
        `${s.concurrency}, SOVI_DB_POOL_MAX ${s.dbPool ?? '10 (the default)'}, the simulator running every session for ${s.sessionMs} ms with no failures, ` +
        `${s.phones * s.accountsPerPhone} due accounts (SOVI_DEVICE_QUEUE_DEPTH ${s.queueDepth}, a planner tick asked for ` +
        `every second) so that each phone always has its next session queued. Measured over ${s.minutes} min after a ` +
        `${s.warmupSeconds} s warm-up, from warming_progress (started_at, completed_at: the worker's clock). Baseline, ` +
        `same run: ${s.phones} raw phone loops on plain pg (10 connections), each claiming its phone's next queued row ` +
        `with FOR UPDATE SKIP LOCKED, sleeping ${s.sessionMs} ms and marking it done.`,
      '',
      `Sessions started in the window: sovi ${f0(after.sessions)} (${rate(after)}/s)` +
        (before ? `, before ${f0(before.sessions)} (${rate(before)}/s)` : '') +
        `, raw ${f0(raw.sessions)} (${rate(raw)}/s).` +
        (before ? ` "before": the same worker from \`${s.before}\`'s bin/sovi.js.` : ''),
    ],
    rows: [...rowsFor('sovi', after, raw, true), ...(before ? rowsFor('before', before, raw, false) : [])],
  };
}

const f0 = (n: number) => n.toLocaleString('en');

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: String(defaults.minutes) },
      'session-ms': { type: 'string', default: String(defaults.sessionMs) },
      phones: { type: 'string', default: String(defaults.phones) },
      concurrency: { type: 'string' },
      'db-pool': { type: 'string' },
      before: { type: 'string' },
      'worker-node-options': { type: 'string' },
      statements: { type: 'boolean', default: false },
      'print-only': { type: 'boolean', default: false },
    },
  });
  const phones = Number(values.phones);
  const server = await openBenchServer({ statements: values.statements });
  try {
    const section = await phonesBench(server, {
      statements: values.statements,
      minutes: Number(values.minutes),
      sessionMs: Number(values['session-ms']),
      phones,
      concurrency: values.concurrency ? Number(values.concurrency) : phones,
      ...(values['db-pool'] ? { dbPool: Number(values['db-pool']) } : {}),
      ...(values.before ? { before: path.resolve(values.before) } : {}),
      ...(values['worker-node-options'] ? { workerNodeOptions: values['worker-node-options'] } : {}),
    });
    console.log(renderSection(section));
    if (!values['print-only']) await writeSection(section, server.label);
  } finally {
    await server.close();
  }
}
