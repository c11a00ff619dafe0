// @no-database
// Backups of the embedded PostgreSQL against a cluster of this file's own with WAL archiving on (the shared
// test database archives nothing): a point-in-time restore drill, a failed backup, a damaged one, pruning.
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addAccount } from '../../src/accounts/accounts-service.ts';
import { revealSecrets } from '../../src/accounts/account-secrets.ts';
import { archiveFreshness, listBackups, pruneBackups } from '../../src/backup/backup-catalog-service.ts';
import { partialBackups, readManifests } from '../../src/backup/backup-catalog.ts';
import { externalServerRefusal, requireEmbedded, takeBackup } from '../../src/backup/backup-service.ts';
import { runScheduledBackup } from '../../src/backup/scheduled-backup.ts';
import { restoreBackup } from '../../src/backup/restore-service.ts';
import { verifyBackup } from '../../src/backup/verify-service.ts';
import type { Database } from '../../src/db/database.ts';
import { useEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded/server.ts';
import { migrate } from '../../src/db/migrations/migrator.ts';
import { createDb, createPool } from '../../src/db/pool.ts';
import type { BackupSettings } from '../../src/settings/backup-settings.ts';
import { accountDeps, keyLine, newAccount, vaultWith } from '../helpers/accounts.ts';
import { quietLogger } from '../helpers/database.ts';
import { until } from '../helpers/until.ts';

const durability = { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' };
const vault = vaultWith(keyLine('kb1'));
let home: string;
let server: EmbeddedPostgres;
let database: Database;
let settings: BackupSettings;
const cleanup: (() => Promise<void>)[] = [];

async function tempHome(prefix: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  await fs.chmod(dir, 0o755); // As root, the server's OS user must enter it.
  cleanup.push(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Closes the current WAL segment and waits until the archiver has it. */
async function archiveNow(): Promise<void> {
  const { rows } = await database.pool.query<{ name: string }>(
    'SELECT pg_walfile_name(pg_current_wal_insert_lsn()) AS name',
  );
  const segment = rows[0]?.name ?? '';
  await database.pool.query('SELECT pg_switch_wal()');
  await until(
    'the current WAL segment in the archive',
    async () =>
      (await fs.access(path.join(settings.dir, 'wal', segment)).then(
        () => true,
        () => false,
      )) || undefined,
  );
}

beforeAll(async () => {
  home = await tempHome('sovi-backup-');
  settings = { dir: path.join(home, 'backups'), cron: 'off', keep: 7, maxAgeHours: 26 };
  server = await useEmbeddedPostgres({
    home,
    osUser: 'postgres',
    database: 'sovi',
    logger: quietLogger,
    settings: durability,
    archiveDir: path.join(settings.dir, 'wal'),
  });
  const url = server.urlFor('sovi');
  await migrate({ url }, { logger: quietLogger });
  const pool = createPool(
    { url },
    { min: 0, max: 5, connectTimeoutMs: 10_000, statementTimeoutMs: 0, applicationName: 'sovi test' },
    quietLogger,
  );
  database = {
    db: createDb(pool),
    pool,
    kind: 'embedded',
    description: 'backup test cluster',
    connection: { url },
    migrationConnection: { url },
    embedded: server,
    close: async () => undefined,
  };
}, 180_000);

afterAll(async () => {
  await database?.db.destroy();
  await server?.release();
  for (const fn of cleanup.reverse()) await fn();
}, 120_000);

const backupDeps = () => ({ database, settings, logger: quietLogger });

describe('backup and point-in-time restore', () => {
  it('restores exactly the rows written before the chosen time, with sealed secrets that still open', async () => {
    const deps = accountDeps(database.db, vault);
    const before = [await addAccount(deps, newAccount()), await addAccount(deps, newAccount())];
    const manifest = await takeBackup(backupDeps());
    expect(manifest.rowCounts.accounts).toBe(2);
    expect(manifest.wal.length).toBeGreaterThan(0);
    expect(manifest.files.some((f) => f.path === 'backup_label')).toBe(true);

    const between = [await addAccount(deps, newAccount())];
    const wanted = await revealSecrets(deps, between[0]?.id ?? '');
    const pointInTime = new Date(Date.now() + 20);
    await until('the chosen time to pass', async () =>
      Date.now() > pointInTime.getTime() + 20 ? true : undefined,
    );
    const after = [await addAccount(deps, newAccount())];
    await archiveNow();

    // Restore into another home's data directory so an ordinary embedded server can open it beside the live one.
    const restoredHome = await tempHome('sovi-restored-');
    await fs.mkdir(path.join(restoredHome, 'pg'), { mode: 0o755 });
    const result = await restoreBackup(
      { settings, home, osUser: 'postgres', vault, logger: quietLogger },
      { toTime: pointInTime, into: path.join(restoredHome, 'pg', 'data') },
    );
    expect(result.backupId).toBe(manifest.id);
    expect(result.missingKeys).toEqual([]);
    expect(result.recoveredTo.time).not.toBeNull();
    expect(result.recoveredTo.time!.getTime()).toBeLessThanOrEqual(pointInTime.getTime());
    await fs.copyFile(
      path.join(home, 'pg', 'superuser.password'),
      path.join(restoredHome, 'pg', 'superuser.password'),
    );
    const restored = await useEmbeddedPostgres({
      home: restoredHome,
      port: await freePort(),
      osUser: 'postgres',
      database: 'sovi',
      logger: quietLogger,
    });
    const pool = createPool(
      { url: restored.urlFor('sovi') },
      { min: 0, max: 2, connectTimeoutMs: 10_000, statementTimeoutMs: 0, applicationName: 'sovi test' },
      quietLogger,
    );
    const db = createDb(pool);
    try {
      const { rows } = await pool.query<{ id: string }>('SELECT id FROM accounts ORDER BY created_at');
      expect(rows.map((r) => r.id).sort()).toEqual([...before, ...between].map((a) => a.id).sort());
      expect(rows.map((r) => r.id)).not.toContain(after[0]?.id);
      // The vault key came from the environment, never from the backup, and opens the restored values.
      expect(await revealSecrets(accountDeps(db, vault), between[0]?.id ?? '')).toEqual(wanted);
    } finally {
      await db.destroy();
      await restored.release();
    }

    // A vault without the key: the restore says which key is missing.
    const other = await restoreBackup(
      { settings, home, osUser: 'postgres', vault: vaultWith(keyLine('other')), logger: quietLogger },
      { backupId: manifest.id, into: path.join(await tempHome('sovi-restored-'), 'data') },
    );
    expect(other.missingKeys).toEqual([{ keyId: 'kb1', values: 16 }]);
  }, 240_000);

  it('verifies a good backup in a drill and records it', async () => {
    const deps = accountDeps(database.db, vault);
    await addAccount(deps, newAccount());
    const manifest = await takeBackup(backupDeps());
    // Writes after the counts do not disturb the drill: it recovers exactly to where they were taken.
    await addAccount(deps, newAccount());
    const result = await verifyBackup({ settings, osUser: 'postgres', logger: quietLogger }, manifest.id);
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.rowCounts).toEqual(manifest.rowCounts);
    const listed = (await listBackups(settings.dir)).find((b) => b.id === manifest.id);
    expect(listed?.verified?.ok).toBe(true);
    expect(new Date(listed?.latestRestore ?? 0).getTime()).toBeGreaterThanOrEqual(
      new Date(listed?.earliestRestore ?? 0).getTime(),
    );
  }, 240_000);

  it('leaves no backup behind when it fails mid-copy, and ignores what a killed one left', async () => {
    const before = (await listBackups(settings.dir)).map((b) => b.id);
    await expect(
      takeBackup(backupDeps(), {
        onProgress: (done, total) => {
          if (done > total / 2) throw new Error('injected failure mid-copy');
        },
      }),
    ).rejects.toThrow(/injected failure/);
    expect((await listBackups(settings.dir)).map((b) => b.id)).toEqual(before);
    expect(await partialBackups(settings.dir)).toEqual([]);

    // A killed process cannot clean up: its partial directory, manifest or not, is never listed.
    const leftover = path.join(settings.dir, 'base', '.partial-20260101T000000Z-dead');
    await fs.mkdir(path.join(leftover, 'data'), { recursive: true });
    await fs.writeFile(path.join(leftover, 'manifest.json'), '{"format":1}');
    expect((await listBackups(settings.dir)).map((b) => b.id)).toEqual(before);
    // The aborted backup ended with its session: the next one starts at once.
    await takeBackup(backupDeps());
  }, 240_000);

  it('refuses a damaged backup in verify and restore, naming the file', async () => {
    const manifest = await takeBackup(backupDeps());
    const victim = manifest.files.find((f) => f.path.startsWith('base/') && f.size > 8192);
    expect(victim).toBeDefined();
    const file = path.join(settings.dir, 'base', manifest.id, 'data', victim!.path);
    const handle = await fs.open(file, 'r+');
    await handle.write(Buffer.from('damaged'), 0, 7, 100);
    await handle.close();

    const result = await verifyBackup({ settings, osUser: 'postgres', logger: quietLogger }, manifest.id);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([`${victim!.path} does not match its checksum in the manifest`]);
    expect((await listBackups(settings.dir)).find((b) => b.id === manifest.id)?.verified?.ok).toBe(false);

    const into = path.join(await tempHome('sovi-restored-'), 'data');
    await expect(
      restoreBackup(
        { settings, home, osUser: 'postgres', vault, logger: quietLogger },
        { backupId: manifest.id, into },
      ),
    ).rejects.toThrow(`backup ${manifest.id} is damaged: ${victim!.path} does not match its checksum`);
    await expect(fs.access(into)).rejects.toThrow();
  }, 240_000);

  it('refuses bad restore arguments with the option named', async () => {
    const deps = { settings, home, osUser: 'postgres', vault, logger: quietLogger };
    await expect(restoreBackup(deps, { backupId: 'nope' })).rejects.toMatchObject({
      details: { field: 'id' },
    });
    await expect(restoreBackup(deps, { toTime: new Date('2000-01-01T00:00:00Z') })).rejects.toMatchObject({
      details: { field: 'to-time' },
    });
    await expect(restoreBackup(deps, { toTime: new Date(Date.now() + 86_400_000) })).rejects.toMatchObject({
      details: { field: 'to-time' },
    });
    await expect(restoreBackup(deps, { into: path.join(home, 'pg', 'data') })).rejects.toThrow(
      /live data directory: stop sovi/,
    );
    await expect(restoreBackup(deps, { into: path.join(home, 'pg', 'data'), force: true })).rejects.toThrow(
      /is running on the live data directory/,
    );
  }, 60_000);

  it('prunes to the kept backups and the WAL the oldest of them needs', async () => {
    const manifests = await readManifests(settings.dir);
    expect(manifests.length).toBeGreaterThanOrEqual(3);
    const kept = manifests.slice(-2);
    const result = await pruneBackups(settings.dir, 2);
    expect(result.removedBackups).toEqual(manifests.slice(0, -2).map((m) => m.id));
    expect((await readManifests(settings.dir)).map((m) => m.id)).toEqual(kept.map((m) => m.id));
    const firstNeeded = kept[0]?.wal[0]?.name ?? '';
    const left = await fs.readdir(path.join(settings.dir, 'wal'));
    expect(left.filter((n) => /^[0-9A-F]{24}$/.test(n)).every((n) => n >= firstNeeded)).toBe(true);
    for (const w of kept.flatMap((m) => m.wal)) expect(left).toContain(w.name);
  }, 60_000);

  it('calls an archive stale past the limit, and a missing one stale at once', async () => {
    expect((await archiveFreshness(settings.dir, 26)).ok).toBe(true);
    const later = new Date(Date.now() + 27 * 3_600_000);
    expect(await archiveFreshness(settings.dir, 26, later)).toMatchObject({ ok: false });
    const empty = await archiveFreshness(path.join(home, 'nowhere'), 26);
    expect(empty).toMatchObject({ ok: false, newestArchivedAt: null });
  });

  it('runs the scheduled backup with pruning, and records failures and a missing archive as events', async () => {
    const ok = await runScheduledBackup({
      database,
      settings: { ...settings, keep: 1 },
      logger: quietLogger,
    });
    expect(ok.backupId).not.toBeNull();
    expect(ok.archive.ok).toBe(true);
    expect((await readManifests(settings.dir)).map((m) => m.id)).toEqual([ok.backupId]);

    // A backup directory that cannot be written: a file stands where it should be.
    const blocked = path.join(home, 'not-a-dir');
    await fs.writeFile(blocked, '');
    const failed = await runScheduledBackup({
      database,
      settings: { ...settings, dir: blocked },
      logger: quietLogger,
    });
    expect(failed.backupId).toBeNull();
    const { rows } = await database.pool.query<{ event_type: string; severity: string; context: object }>(
      "SELECT event_type, severity, context FROM system_events WHERE category = 'system' ORDER BY id",
    );
    expect(rows.map((r) => [r.event_type, r.severity])).toEqual([
      ['backup_taken', 'info'],
      ['wal_archive_stale', 'critical'],
      ['backup_failed', 'error'],
    ]);
    expect(JSON.stringify(rows)).not.toMatch(/postgresql:\/\//);
  }, 120_000);

  it('refuses an external server with what to use instead', async () => {
    expect(() => requireEmbedded({ embedded: undefined })).toThrow(/pg_dump, or pgBackRest/);
    expect(externalServerRefusal().details.field).toBe('DATABASE_URL');
  });
});
