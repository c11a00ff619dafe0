// Shared bench plumbing: a PostgreSQL to measure on (a throwaway embedded 17, or SOVI_BENCH_DATABASE_URL),
// fresh databases on it, and timing helpers. Every figure is reported next to a raw-PostgreSQL baseline
// measured in the same run, as a ratio.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { loadConfig, type Config } from '../src/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../src/db/embedded/throwaway.ts';
import { prepareDatabase } from '../src/db/prepare.ts';
import { startFakeWda, type FakeWda } from '../src/devices/fake-wda-server.ts';
import { videoKeyOf } from '../src/media/media-keys.ts';

export const logger = pino({ level: 'warn' });

export interface BenchServer {
  adminUrl: string;
  label: string;
  createDatabase(template?: string): Promise<{ name: string; url: string }>;
  dropDatabase(name: string): Promise<void>;
  close(): Promise<void>;
}

const withDatabase = (url: string, name: string) => {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
};

/** Brings a fresh bench database up to date as `sovi up` would, and returns its configuration. */
export async function migrateBenchDatabase(url: string): Promise<Config> {
  const config = loadConfig({ DATABASE_URL: url, SOVI_LOG_LEVEL: 'warn' });
  const database = await openDatabase(config, logger, { applicationName: 'bench setup' });
  try {
    await prepareDatabase(database, config, logger);
  } finally {
    await database.close();
  }
  return config;
}

/**
 * `statements`: the throwaway server loads pg_stat_statements, for a bench that counts statements (an
 * external server must have it in shared_preload_libraries already).
 */
export async function openBenchServer(options: { statements?: boolean } = {}): Promise<BenchServer> {
  let throwaway: ThrowawayPostgres | undefined;
  const external = process.env.SOVI_BENCH_DATABASE_URL;
  const settings: Record<string, string> = options.statements
    ? { shared_preload_libraries: "'pg_stat_statements'" }
    : {};
  const adminUrl =
    external ??
    (throwaway = await startThrowawayPostgres(logger, 'sovi-bench-pg-', settings)).server.urlFor('postgres');
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      return await client.query(sql);
    } finally {
      await client.end();
    }
  };
  const version = (await admin('SHOW server_version')).rows[0] as { server_version: string };
  const created: string[] = [];
  return {
    adminUrl,
    label: `PostgreSQL ${version.server_version} (${external ? 'SOVI_BENCH_DATABASE_URL' : 'embedded, fsync off'})`,
    createDatabase: async (template = 'template0') => {
      const name = `sovi_bench_${randomBytes(4).toString('hex')}`;
      await admin(`CREATE DATABASE ${name} TEMPLATE ${template}`);
      created.push(name);
      return { name, url: withDatabase(adminUrl, name) };
    },
    dropDatabase: async (name) => {
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
    close: async () => {
      for (const name of created) await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await throwaway?.dispose();
    },
  };
}

export async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

export interface Row {
  what: string;
  sovi: string;
  baseline: string;
  ratio: string;
  goal?: string;
  /** Whether the ratio meets its goal, for the rows that have one. */
  verdict?: 'met' | 'not met';
}

export interface Section {
  title: string;
  notes: string[];
  rows: Row[];
}

/**
 * Puts `file` in the media store folder `store` as the rendered video of each content id (a hard link per
 * content, a copy where links are refused), where rendering would have put it: publishers read videos
 * from the store, never from output_path.
 */
export function placeVideos(store: string, file: string, contentIds: readonly string[]): void {
  for (const id of contentIds) {
    const target = path.join(store, videoKeyOf(id));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    try {
      fs.linkSync(file, target);
    } catch {
      fs.copyFileSync(file, target);
    }
  }
}

/**
 * A host's phone fleet for the worker benches: a fake WebDriverAgent per phone (pushed to `wdas`, for the
 * caller to close), its active device on `host` named `${prefix}-i`, and `accounts` active accounts spread
 * over the phones and the five niches, last warmed a day ago so that each is due at once.
 */
export async function seedPhoneFleet(
  pool: pg.Pool,
  wdas: FakeWda[],
  options: { host: string; prefix: string; phones: number; accounts: number },
): Promise<void> {
  const { host, prefix, phones, accounts } = options;
  for (let i = 0; i < phones; i++) wdas.push(await startFakeWda({ sessionId: `${prefix}-${i}` }));
  await pool.query(
    `INSERT INTO devices (name, udid, status, host, wda_port, connected_since, last_seen_at)
     SELECT $3::text || '-' || i, $3::text || '-udid-' || i, 'active', $1, port, now(), now()
     FROM unnest($2::int[]) WITH ORDINALITY AS t(port, i)`,
    [host, wdas.map((w) => w.port), prefix],
  );
  await pool.query(
    `WITH d AS (SELECT array_agg(id ORDER BY name) AS ids, count(*)::int AS n FROM devices),
          nn AS (SELECT array_agg(id ORDER BY slug) AS ids FROM niches)
     INSERT INTO accounts (platform, username, current_state, niche_id, device_id, warming_day_count,
                           last_warmed_at, followers)
     SELECT (ARRAY['tiktok', 'instagram'])[1 + i % 2], $2::text || '_' || i, 'active', nn.ids[1 + i % 5],
            d.ids[1 + i % d.n], 20, now() - interval '1 day', 1000 + i
     FROM d, nn, generate_series(1, $1::int) i`,
    [accounts, prefix],
  );
  await pool.query('VACUUM ANALYZE');
}
