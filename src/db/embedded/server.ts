// The embedded PostgreSQL 17 that sovi uses when no DATABASE_URL is given, with its data in $SOVI_HOME/pg.
//
// sovi drives the package's binaries with pg_ctl instead of using the package's EmbeddedPostgres class: the
// class installs a process-exit hook that stops the server and exits on SIGINT before sovi has closed its
// own work, and it cannot join a server that another sovi process already started. Here, every sovi process
// registers itself as a client under a lock; the server starts with the first client and stops when the
// last live one leaves, so `sovi migrate` in a second terminal neither fails nor pulls the server from under
// a running `sovi up`. A client that was killed is pruned by pid, so its server does not linger forever.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import lockfile from 'proper-lockfile';
import { childEnvironment } from '../../child-env.ts';
import { SoviError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import {
  binariesReachableBy,
  canReach,
  ensureOsUser,
  isRoot,
  locateBinaries,
  type Binaries,
  type OsUser,
} from './binaries.ts';
import { sleep } from '../../time.ts';
import { isDuplicateDatabase } from '../pg-errors.ts';
import { archiveDirUsable, archiveSettings, writeSoviConf } from './sovi-conf.ts';

const execFileAsync = promisify(execFile);

export const SUPERUSER = 'sovi';

export interface EmbeddedOptions {
  /** SOVI_HOME: the cluster lives in <home>/pg. */
  home: string;
  /** Listen port; when unset, the port chosen when the cluster was created. */
  port?: number | undefined;
  /** The OS user the server runs as when sovi runs as root. */
  osUser: string;
  /** The database to create if missing. */
  database: string;
  /** Extra postgresql.conf settings, written when the cluster is created. */
  settings?: Record<string, string>;
  /** The WAL archive: when set, each start switches on continuous archiving into it (src/backup). */
  archiveDir?: string | undefined;
  logger: Logger;
}

export interface EmbeddedPostgres {
  readonly port: number;
  readonly dataDir: string;
  readonly logFile: string;
  /** A superuser URL for a database of this cluster. */
  urlFor(database: string): string;
  /** Leaves the server; stops it when no other live sovi process uses it. */
  release(): Promise<void>;
}

interface Paths {
  pgDir: string;
  dataDir: string;
  logFile: string;
  passwordFile: string;
  clientsDir: string;
}

const pathsFor = (pgDir: string): Paths => {
  return {
    pgDir,
    dataDir: path.join(pgDir, 'data'),
    logFile: path.join(pgDir, 'postgres.log'),
    passwordFile: path.join(pgDir, 'superuser.password'),
    clientsDir: path.join(pgDir, 'clients'),
  };
};

/** How the cluster's binaries are run: which ones, and as which OS user (when sovi runs as root). */
export interface Runner {
  bins: Binaries;
  user: OsUser | undefined;
}

/** The runner for clusters other than $SOVI_HOME/pg (restores, drills): same binaries, same OS user. */
export async function clusterRunner(osUserName: string): Promise<Runner> {
  let bins = await locateBinaries();
  let user: OsUser | undefined;
  if (isRoot()) {
    user = await ensureOsUser(osUserName);
    bins = await binariesReachableBy(bins, user);
  }
  return { bins, user };
}

/** The paths of the embedded cluster under a SOVI_HOME, without creating anything. */
export async function embeddedPaths(home: string): Promise<{ dataDir: string; passwordFile: string }> {
  const pgDir = await fs.realpath(path.join(home, 'pg')).catch(() => path.join(home, 'pg'));
  const p = pathsFor(pgDir);
  return { dataDir: p.dataDir, passwordFile: p.passwordFile };
}

/** Whether a server runs on this data directory. */
export async function isClusterRunning(runner: Runner, dataDir: string): Promise<boolean> {
  try {
    await run(runner, runner.bins.pgCtl, ['status', '-D', dataDir]);
    return true;
  } catch {
    return false;
  }
}

export async function useEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedPostgres> {
  const { paths, runner } = await prepare(options.home, options.osUser, options.logger);
  const release = await lock(paths);
  let port: number;
  try {
    if (!(await exists(path.join(paths.dataDir, 'PG_VERSION')))) {
      await initCluster(paths, runner, options);
    }
    const running = await runningPort(paths, runner);
    if (running !== undefined) {
      port = running;
      options.logger.debug({ port }, 'joining the running embedded PostgreSQL');
    } else {
      if (options.archiveDir !== undefined && (await archiveDirUsable(options.archiveDir, runner.user))) {
        await writeSoviConf(paths.dataDir, archiveSettings(options.archiveDir), runner.user);
      } else {
        if (options.archiveDir !== undefined) {
          options.logger.warn(
            { archiveDir: options.archiveDir },
            'WAL archiving is off: the server cannot use SOVI_BACKUP_DIR (see `sovi db backup`)',
          );
        }
        await writeSoviConf(paths.dataDir, {}, runner.user);
      }
      port = await startServer(paths, runner, options);
    }
    await fs.mkdir(paths.clientsDir, { recursive: true, mode: 0o700 });
    await fs.writeFile(path.join(paths.clientsDir, String(process.pid)), '');
  } finally {
    await release();
  }

  const password = (await fs.readFile(paths.passwordFile, 'utf8')).trim();
  const urlFor = (database: string) =>
    `postgresql://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  try {
    await waitForConnections(urlFor('postgres'));
    await ensureDatabase(urlFor('postgres'), options.database);
  } catch (err) {
    await leave(paths, runner, options.logger);
    throw err;
  }

  let released = false;
  return {
    port,
    dataDir: paths.dataDir,
    logFile: paths.logFile,
    urlFor,
    release: async () => {
      if (released) return;
      released = true;
      await leave(paths, runner, options.logger);
    },
  };
}

/** `sovi db stop`: stops the embedded server even if clients are registered (e.g. left by a killed process). */
export async function stopEmbeddedPostgres(home: string, osUser: string): Promise<'stopped' | 'not_running'> {
  if (!(await exists(path.join(home, 'pg', 'data', 'PG_VERSION')))) return 'not_running';
  const { paths, runner } = await prepare(home, osUser);
  const release = await lock(paths);
  try {
    if ((await runningPort(paths, runner)) === undefined) return 'not_running';
    await pgCtl(runner, ['stop', '-D', paths.dataDir, '-m', 'fast', '-w', '-t', '60', '-s']);
    await fs.rm(paths.clientsDir, { recursive: true, force: true });
    return 'stopped';
  } finally {
    await release();
  }
}

/** As root, clusters whose SOVI_HOME the server's OS user cannot reach live here, linked from $SOVI_HOME/pg. */
const ROOT_CLUSTERS_DIR = '/var/lib/sovi/clusters';

async function prepare(
  home: string,
  osUserName: string,
  logger?: Logger,
): Promise<{ paths: Paths; runner: Runner }> {
  const { bins, user } = await clusterRunner(osUserName);
  // SOVI_HOME keeps the default mode; only the cluster's own directory is private.
  await fs.mkdir(home, { recursive: true });
  const link = path.join(home, 'pg');
  if (user && !(await exists(link)) && !(await canReach(home, user))) {
    // A checkout under /root (or a private temporary directory): PostgreSQL's user cannot enter it, so the
    // cluster goes where it can, and $SOVI_HOME/pg points there.
    const real = path.join(
      ROOT_CLUSTERS_DIR,
      createHash('sha256').update(path.resolve(home)).digest('hex').slice(0, 16),
    );
    await fs.mkdir(path.dirname(ROOT_CLUSTERS_DIR), { recursive: true, mode: 0o755 });
    await fs.mkdir(ROOT_CLUSTERS_DIR, { recursive: true, mode: 0o755 });
    await fs.mkdir(real, { recursive: true, mode: 0o700 });
    await fs.symlink(real, link);
    logger?.info(
      { cluster: real, link },
      `OS user ${user.name} cannot reach SOVI_HOME; the cluster lives in ${real}`,
    );
  } else {
    await fs.mkdir(link, { recursive: true, mode: 0o700 });
  }
  const paths = pathsFor(await fs.realpath(link));
  if (user) {
    await fs.chown(paths.pgDir, user.uid, user.gid);
    if (!(await canReach(paths.pgDir, user))) {
      throw new SoviError(
        'unavailable',
        `sovi runs as root, so the embedded PostgreSQL runs as OS user "${user.name}", which cannot reach ` +
          `${paths.pgDir}. Set SOVI_HOME to a directory that user can reach (e.g. /var/lib/sovi), or set DATABASE_URL`,
        { field: 'SOVI_HOME' },
      );
    }
  }
  return { paths, runner: { bins, user } };
}

async function lock(paths: Paths): Promise<() => Promise<void>> {
  return lockfile.lock(paths.pgDir, {
    lockfilePath: path.join(paths.pgDir, 'lifecycle.lock'),
    stale: 15_000,
    retries: { retries: 600, minTimeout: 50, maxTimeout: 500 },
  });
}

async function initCluster(paths: Paths, runner: Runner, options: EmbeddedOptions): Promise<void> {
  options.logger.info(
    { dataDir: paths.dataDir },
    `creating the embedded PostgreSQL ${runner.bins.version.split('-')[0] ?? ''} cluster`,
  );
  const password = randomBytes(24).toString('base64url');
  const pwfile = path.join(paths.pgDir, '.initdb-password');
  await fs.writeFile(paths.passwordFile, `${password}\n`, { mode: 0o600 });
  await fs.writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  if (runner.user) await fs.chown(pwfile, runner.user.uid, runner.user.gid);
  try {
    await fs.rm(paths.dataDir, { recursive: true, force: true }); // A half-made cluster from a crashed init.
    await run(runner, runner.bins.initdb, [
      `--pgdata=${paths.dataDir}`,
      `--username=${SUPERUSER}`,
      `--pwfile=${pwfile}`,
      '--auth=scram-sha-256',
      '--encoding=UTF8',
      '--locale-provider=builtin',
      '--builtin-locale=C.UTF-8',
      '--locale=C',
      '--no-instructions',
    ]);
  } finally {
    await fs.rm(pwfile, { force: true });
  }
  const port = options.port ?? (await freePort());
  const settings: Record<string, string> = {
    listen_addresses: "'127.0.0.1'",
    port: String(port),
    // TCP only: no socket files to collide with a system PostgreSQL's.
    unix_socket_directories: "''",
    ...options.settings,
  };
  const lines = Object.entries(settings).map(([k, v]) => `${k} = ${v}`);
  await fs.appendFile(
    path.join(paths.dataDir, 'postgresql.conf'),
    `\n# Added by sovi\n${lines.join('\n')}\n`,
  );
}

async function startServer(paths: Paths, runner: Runner, options: EmbeddedOptions): Promise<number> {
  const args = ['start', '-D', paths.dataDir, '-l', paths.logFile, '-w', '-t', '60', '-s'];
  if (options.port !== undefined) args.push('-o', `-p ${options.port}`);
  try {
    await pgCtl(runner, args);
  } catch {
    const tail = await logTail(paths.logFile);
    const portHint = /could not bind|already in use/i.test(tail)
      ? ' Its port is taken: choose another with SOVI_EMBEDDED_PG_PORT.'
      : '';
    throw new SoviError(
      'unavailable',
      `the embedded PostgreSQL did not start (server log: ${paths.logFile}).${portHint}\n${tail}`,
      { field: portHint ? 'SOVI_EMBEDDED_PG_PORT' : 'SOVI_HOME' },
    );
  }
  const port = await runningPort(paths, runner);
  if (port === undefined)
    throw new SoviError('unavailable', 'the embedded PostgreSQL stopped right after starting');
  options.logger.info({ port, log: paths.logFile }, 'embedded PostgreSQL started');
  return port;
}

async function leave(paths: Paths, runner: Runner, logger: Logger): Promise<void> {
  const release = await lock(paths);
  try {
    await fs.rm(path.join(paths.clientsDir, String(process.pid)), { force: true });
    if ((await liveClients(paths)) > 0) return;
    if ((await runningPort(paths, runner)) === undefined) return;
    await pgCtl(runner, ['stop', '-D', paths.dataDir, '-m', 'fast', '-w', '-t', '60', '-s']);
    logger.info('embedded PostgreSQL stopped');
  } finally {
    await release();
  }
}

/** Counts registered clients whose process still lives, forgetting the dead ones. */
async function liveClients(paths: Paths): Promise<number> {
  let names: string[];
  try {
    names = await fs.readdir(paths.clientsDir);
  } catch {
    return 0;
  }
  let live = 0;
  for (const name of names) {
    if (isAlive(Number(name))) live++;
    else await fs.rm(path.join(paths.clientsDir, name), { force: true });
  }
  return live;
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The port of the server running on this data directory, or undefined when none runs. */
async function runningPort(paths: Paths, runner: Runner): Promise<number | undefined> {
  try {
    await pgCtl(runner, ['status', '-D', paths.dataDir]);
  } catch {
    return undefined; // pg_ctl status exits 3 when no server runs.
  }
  const pidFile = await fs.readFile(path.join(paths.dataDir, 'postmaster.pid'), 'utf8').catch(() => '');
  const port = Number(pidFile.split('\n')[3]);
  return Number.isInteger(port) && port > 0 ? port : undefined;
}

export async function pgCtl(runner: Runner, args: string[]): Promise<void> {
  await run(runner, runner.bins.pgCtl, args);
}

async function run(runner: Runner, file: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync(file, args, {
    // A clean environment: PGDATA, PGPORT and friends from the caller must not steer the cluster.
    env: childEnvironment({ PATH: '/usr/local/bin:/usr/bin:/bin', LC_ALL: 'C', LANG: 'C' }),
    ...(runner.user ? { uid: runner.user.uid, gid: runner.user.gid } : {}),
    timeout: 120_000,
  });
  return stdout;
}

async function waitForConnections(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (err) {
      // 57P03: the server is still starting up or recovering.
      if (Date.now() > deadline) {
        throw new SoviError(
          'unavailable',
          `the embedded PostgreSQL does not accept connections: ${(err as Error).message}`,
        );
      }
      await sleep(100);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`).catch((err: unknown) => {
        if (!isDuplicateDatabase(err)) throw err; // Another process created it first.
      });
    }
  } finally {
    await client.end();
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not find a free port'));
      });
    });
  });
}

async function logTail(file: string, lines = 15): Promise<string> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}
