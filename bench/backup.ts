// Backups (bench/README.md, "Backups"): a base backup of a seeded embedded cluster with archiving on, against
// `tar` of the same data directory in the same run; a restore of it; and the recovery point under a steady
// write load (archive_timeout = 60 s): how many seconds of commits a lost disk would take with it.
//   node bench/backup.ts [--scale 1] [--load-seconds 150] [--print-only]
// Scale 1: 1M accounts and 5M metric rows.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { restoreBackup } from '../src/backup/restore-service.ts';
import { takeBackup } from '../src/backup/backup-service.ts';
import type { Database } from '../src/db/database.ts';
import { useEmbeddedPostgres } from '../src/db/embedded/server.ts';
import { migrate } from '../src/db/migrations/migrator.ts';
import { createDb, createPool } from '../src/db/pool.ts';
import { ARCHIVE_TIMEOUT_SECONDS } from '../src/settings/backup-settings.ts';
import { createVault } from '../src/vault/vault.ts';
import { logger, timeIt, type Section } from './harness.ts';
import { renderSection, writeSection } from './report.ts';

const run = promisify(execFile);
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function duBytes(dir: string): Promise<number> {
  const { stdout } = await run('du', ['-sb', dir]);
  return Number(stdout.split('\t')[0]);
}

export async function backupBench(options: { scale: number; loadSeconds: number }): Promise<Section> {
  const accounts = Math.round(1_000_000 * options.scale);
  const metrics = Math.round(5_000_000 * options.scale);
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-bench-backup-'));
  await fs.chmod(home, 0o755);
  const settings = { dir: path.join(home, 'backups'), cron: 'off', keep: 7, maxAgeHours: 26 };
  const server = await useEmbeddedPostgres({
    home,
    osUser: 'postgres',
    database: 'sovi',
    logger,
    archiveDir: path.join(settings.dir, 'wal'),
    settings: { shared_buffers: "'256MB'", max_wal_size: "'4GB'" },
  });
  const url = server.urlFor('sovi');
  const pool = createPool(
    { url },
    { min: 0, max: 4, connectTimeoutMs: 10_000, statementTimeoutMs: 0, applicationName: 'bench' },
    logger,
  );
  const database: Database = {
    db: createDb(pool),
    pool,
    kind: 'embedded',
    description: 'bench',
    connection: { url },
    migrationConnection: { url },
    embedded: server,
    close: async () => undefined,
  };
  try {
    await migrate({ url }, { logger });
    await pool.query(
      `INSERT INTO accounts (platform, username) SELECT 'tiktok', 'bench_' || g FROM generate_series(1, $1) g`,
      [accounts],
    );
    await pool.query(
      `INSERT INTO metric_snapshots (time, account_id, views, likes, comments, shares, saves)
       SELECT now() - (g % 86400) * interval '1 second', a.id, g % 10000, g % 1000, g % 100, g % 50, g % 20
       FROM generate_series(1, $1) g
       JOIN (SELECT id, row_number() OVER () AS rn FROM accounts) a ON a.rn = 1 + g % $2`,
      [metrics, accounts],
    );
    await pool.query('CHECKPOINT');
    const dataBytes = await duBytes(server.dataDir);

    let manifest!: Awaited<ReturnType<typeof takeBackup>>;
    const backupMs = await timeIt(async () => (manifest = await takeBackup({ database, settings, logger })));
    const tarFile = path.join(home, 'data.tar');
    const tarMs = await timeIt(() =>
      // Exit status 1: files changed while read (the live cluster's autovacuum); the copy is still complete.
      run('tar', ['--warning=no-file-changed', '-cf', tarFile, '-C', server.dataDir, '.']).catch(
        (err: unknown) => {
          if ((err as { code?: number }).code !== 1) throw err;
        },
      ),
    );
    const tarBytes = (await fs.stat(tarFile)).size;
    await fs.rm(tarFile);
    const walBytes = manifest.wal.reduce((sum, w) => sum + w.size, 0);

    const vault = createVault({ keys: undefined, keyFile: undefined });
    const restoreDeps = { settings, home, osUser: 'postgres', vault, logger };
    const restoredHome = await fs.mkdtemp(path.join(home, 'r-'));
    await fs.chmod(restoredHome, 0o755);
    const restoreMs = await timeIt(() =>
      restoreBackup(restoreDeps, { backupId: manifest.id, into: path.join(restoredHome, 'data') }),
    );
    await fs.rm(restoredHome, { recursive: true, force: true });

    // The recovery point: one small commit every 100 ms; at the end the disk "is lost" and only the archive
    // as it stands then survives (a hard-linked snapshot of it). A restore from it shows the last commit kept.
    const stopAt = Date.now() + options.loadSeconds * 1000;
    let i = 0;
    while (Date.now() < stopAt) {
      await pool.query(`INSERT INTO accounts (platform, username) VALUES ('tiktok', $1)`, [`rpo_${i++}`]);
      await new Promise((r) => setTimeout(r, 100));
    }
    const lostAt = new Date();
    const snapshot = path.join(home, 'snapshot');
    await fs.mkdir(path.join(snapshot, 'base'), { recursive: true });
    await fs.chmod(snapshot, 0o755);
    await run('cp', ['-al', path.join(settings.dir, 'wal'), path.join(snapshot, 'wal')]);
    await run('cp', [
      '-al',
      path.join(settings.dir, 'base', manifest.id),
      path.join(snapshot, 'base', manifest.id),
    ]);
    const rpoHome = await fs.mkdtemp(path.join(home, 'rpo-'));
    await fs.chmod(rpoHome, 0o755);
    const rpo = await restoreBackup(
      { ...restoreDeps, settings: { ...settings, dir: snapshot } },
      { backupId: manifest.id, into: path.join(rpoHome, 'data') },
    );
    const lostSeconds = (lostAt.getTime() - (rpo.recoveredTo.time?.getTime() ?? 0)) / 1000;

    return {
      title: 'Backups (bench/backup.ts)',
      notes: [
        `Scale ${options.scale}: ${accounts.toLocaleString('en')} accounts and ${metrics.toLocaleString('en')} metric rows; ` +
          `data directory ${mb(dataBytes)}. The embedded cluster has WAL archiving on (archive_timeout ${ARCHIVE_TIMEOUT_SECONDS} s) ` +
          'and fsync on. The tar baseline copies the same data directory in the same run, without the backup API, ' +
          'checksums or the archive (so it is not a consistent backup by itself), and it includes pg_wal, which the ' +
          'base backup leaves to the archive.',
        `Recovery point: ${options.loadSeconds} s of one commit per 100 ms, then only the archive survives; the ` +
          'figure is the time from the last commit to the last commit a restore recovered.',
      ],
      rows: [
        {
          what: 'base backup (time)',
          sovi: s(backupMs),
          baseline: `tar ${s(tarMs)}`,
          ratio: `${(tarMs / backupMs).toFixed(2)}×`,
        },
        {
          what: 'base backup (size)',
          sovi: `${mb(manifest.size)} + ${mb(walBytes)} WAL`,
          baseline: `tar ${mb(tarBytes)}`,
          ratio: `${(tarBytes / (manifest.size + walBytes)).toFixed(2)}×`,
        },
        { what: 'restore (copy, verify, replay, promote)', sovi: s(restoreMs), baseline: '', ratio: '' },
        {
          what: 'recovery point under steady writes',
          sovi: `${lostSeconds.toFixed(0)} s lost`,
          baseline: `archive_timeout ${ARCHIVE_TIMEOUT_SECONDS} s`,
          ratio: '',
        },
      ],
    };
  } finally {
    await database.db.destroy();
    await server.release();
    await fs.rm(home, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      scale: { type: 'string', default: '1' },
      'load-seconds': { type: 'string', default: '150' },
      'print-only': { type: 'boolean', default: false },
    },
  });
  const section = await backupBench({
    scale: Number(values.scale),
    loadSeconds: Number(values['load-seconds']),
  });
  console.log(renderSection(section));
  if (!values['print-only']) await writeSection(section, 'PostgreSQL 17 (embedded, archiving on)');
}
