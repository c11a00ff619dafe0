// @no-database
// The embedded PostgreSQL behind `sovi up` without DATABASE_URL: first start, reuse of its data, clean stops
// on SIGTERM and SIGINT, sharing with other sovi processes, and recovery after a killed process.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useEmbeddedPostgres } from '../../src/db/embedded/server.ts';
import { runSovi, startSoviUp } from '../helpers/cli.ts';
import { quietLogger } from '../helpers/database.ts';

let home: string;
const env = () => ({ SOVI_HOME: home });
const pidFile = () => path.join(home, 'pg', 'data', 'postmaster.pid');
const serverRunning = () =>
  fs.access(pidFile()).then(
    () => true,
    () => false,
  );

/** Joins the cluster from the test process, as another client would. */
async function withCluster<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const server = await useEmbeddedPostgres({
    home,
    osUser: 'postgres',
    database: 'sovi',
    logger: quietLogger,
  });
  const client = new pg.Client({ connectionString: server.urlFor('sovi') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
    await server.release();
  }
}

beforeAll(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-embedded-test-'));
  await fs.chmod(home, 0o755); // As root, the server's OS user must be able to enter it.
});
afterAll(async () => {
  await runSovi(['db', 'stop'], env());
  await fs.rm(home, { recursive: true, force: true });
});

describe('sovi up on the embedded PostgreSQL', () => {
  it('creates the cluster, migrates and serves, keeping the server log out of the terminal', async () => {
    const sovi = await startSoviUp(env());
    try {
      expect((await fetch(`${sovi.url}/readyz`)).status).toBe(200);
      const { stdout, stderr } = sovi.output();
      expect(stdout).toMatch(/database: embedded PostgreSQL at 127\.0\.0\.1:\d+/);
      expect(`${stdout}${stderr}`).not.toMatch(/database system is ready to accept connections/);
      const log = await fs.readFile(path.join(home, 'pg', 'postgres.log'), 'utf8');
      expect(log).toMatch(/database system is ready to accept connections/);
      const version = await withCluster(
        async (c) => (await c.query('SHOW server_version')).rows[0].server_version,
      );
      expect(version).toMatch(/^17\./);
    } finally {
      expect(await sovi.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    }
    expect(await serverRunning()).toBe(false);
  });

  it('reuses the data directory on the next start, and stops cleanly on SIGINT', async () => {
    await withCluster((c) => c.query(`INSERT INTO niches (name, slug) VALUES ('Survivor', 'survivor')`));
    const sovi = await startSoviUp(env());
    try {
      const slugs = await withCluster(async (c) =>
        (await c.query('SELECT slug FROM niches')).rows.map((r) => r.slug),
      );
      expect(slugs).toContain('survivor');
      expect(slugs.filter((s: string) => s === 'motivation')).toHaveLength(1); // Seeds not duplicated.
    } finally {
      expect(await sovi.stop('SIGINT')).toEqual({ code: 0, signal: null });
    }
    expect(await serverRunning()).toBe(false);
  });

  it('lets a second sovi process use the running server without stopping it', async () => {
    const sovi = await startSoviUp(env());
    try {
      const status = await runSovi(['db', 'status'], env());
      expect(status.code).toBe(0);
      expect(status.stdout).toMatch(/server\s+PostgreSQL 17\./);
      expect(status.stdout).toMatch(/\d+ applied, 0 pending/);
      expect((await fetch(`${sovi.url}/readyz`)).status).toBe(200);
      expect(await serverRunning()).toBe(true);
    } finally {
      await sovi.stop();
    }
  });

  it('recovers after sovi is killed: the next command joins the orphaned server and stops it when done', async () => {
    const sovi = await startSoviUp(env());
    expect(await sovi.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await serverRunning()).toBe(true); // Orphaned, still holding the data directory.
    const status = await runSovi(['db', 'status'], env());
    expect(status.code).toBe(0);
    expect(await serverRunning()).toBe(false);
  });

  it('sovi db stop stops a server that is left running', async () => {
    const sovi = await startSoviUp(env());
    await sovi.stop('SIGKILL');
    expect((await runSovi(['db', 'stop'], env())).stdout).toContain('embedded PostgreSQL stopped');
    expect(await serverRunning()).toBe(false);
    expect((await runSovi(['db', 'stop'], env())).stdout).toContain('embedded PostgreSQL is not running');
  });
});

// As root the server runs as an unprivileged OS user; as a normal user it runs as that user. The suite
// normally runs as one of the two; when it runs as root, these cover the other path and the root fallback.
const asRoot = process.getuid?.() === 0;

describe.runIf(asRoot)('ownership', () => {
  it('keeps the cluster in /var/lib/sovi/clusters, linked from SOVI_HOME, when the server user cannot enter SOVI_HOME', async () => {
    const privateHome = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-private-home-')); // mode 0700
    let cluster: string | undefined;
    try {
      const result = await runSovi(['migrate'], { SOVI_HOME: privateHome });
      expect(result.code).toBe(0);
      cluster = await fs.realpath(path.join(privateHome, 'pg'));
      expect(cluster).toMatch(/^\/var\/lib\/sovi\/clusters\/[0-9a-f]{16}$/);
      expect((await fs.stat(path.join(cluster, 'data'))).uid).not.toBe(0);
    } finally {
      await runSovi(['db', 'stop'], { SOVI_HOME: privateHome });
      if (cluster) await fs.rm(cluster, { recursive: true, force: true });
      await fs.rm(privateHome, { recursive: true, force: true });
    }
  });

  it('runs as a normal user, with the server running as that user', async (ctx) => {
    const { canReach } = await import('../../src/db/embedded/binaries.ts');
    const nobody = { name: 'nobody', uid: 65534, gid: 65534, groups: [65534] };
    const repo = path.resolve(import.meta.dirname, '..', '..');
    if (!(await canReach(path.join(repo, 'node_modules'), nobody))) ctx.skip(); // A private checkout.
    const sandbox = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-nobody-'));
    try {
      await fs.chmod(sandbox, 0o755);
      const node = path.join(sandbox, 'node');
      await fs.copyFile(process.execPath, node); // Node itself may live where nobody cannot reach (~root).
      await fs.chmod(node, 0o755);
      const userHome = path.join(sandbox, 'home');
      await fs.mkdir(userHome);
      await fs.chown(userHome, nobody.uid, nobody.gid);
      const { spawnSync } = await import('node:child_process');
      const run = (args: string[]) =>
        spawnSync(node, [path.join(repo, 'bin', 'sovi.js'), ...args], {
          uid: nobody.uid,
          gid: nobody.gid,
          env: { PATH: process.env.PATH, HOME: userHome, SOVI_HOME: path.join(userHome, '.sovi') },
          encoding: 'utf8',
          timeout: 60_000,
        });
      const migrated = run(['migrate']);
      expect(migrated.stderr).toBe('');
      expect(migrated.status).toBe(0);
      const data = await fs.stat(path.join(userHome, '.sovi', 'pg', 'data'));
      expect(data.uid).toBe(nobody.uid);
      expect(run(['db', 'status']).stdout).toMatch(/\d+ applied, 0 pending/);
    } finally {
      await fs.rm(sandbox, { recursive: true, force: true });
    }
  });
});
