// Copying a data directory file by file with a sha256 of each, for a base backup (out of a running cluster)
// and a restore (out of a backup, checking each file against the manifest as it goes).
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SoviError } from '../errors.ts';
import type { ManifestFile } from './backup-model.ts';

/**
 * What a base backup leaves out (PostgreSQL's "Making a Base Backup Using the Low Level API"): the WAL
 * (it comes from the archive), runtime state the server rebuilds, and the label files of an earlier backup.
 * sovi.conf goes too: a restore writes its own.
 */
const SKIP_CONTENTS = new Set([
  'pg_wal',
  'pg_replslot',
  'pg_dynshmem',
  'pg_notify',
  'pg_serial',
  'pg_snapshots',
  'pg_stat_tmp',
  'pg_subtrans',
]);
const SKIP_FILES = new Set([
  'postmaster.pid',
  'postmaster.opts',
  'backup_label',
  'tablespace_map',
  'backup_label.old',
  'current_logfiles',
  'recovery.signal',
  'standby.signal',
  'sovi.conf',
]);

export interface SourceFile {
  rel: string;
  size: number;
}

/** The files and the (kept, emptied) directories of a data directory a base backup copies. */
export async function listDataDir(
  dataDir: string,
  exclude: (abs: string) => boolean = () => false,
): Promise<{ files: SourceFile[]; dirs: string[] }> {
  const files: SourceFile[] = [];
  const dirs: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await fs
      .readdir(path.join(dataDir, rel), { withFileTypes: true })
      .catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      });
    for (const e of entries) {
      const childRel = rel === '' ? e.name : `${rel}/${e.name}`;
      const abs = path.join(dataDir, childRel);
      if (e.name.startsWith('pgsql_tmp') || e.name === 'pg_internal.init' || exclude(abs)) continue;
      if (e.isSymbolicLink()) {
        throw new SoviError(
          'invalid_input',
          `the data directory holds a symbolic link (${childRel}): tablespaces and linked directories are not supported by sovi's backup`,
        );
      }
      if (e.isDirectory()) {
        dirs.push(childRel);
        if (rel === '' && SKIP_CONTENTS.has(e.name)) continue;
        await walk(childRel);
      } else if (e.isFile()) {
        if (rel === '' && SKIP_FILES.has(e.name)) continue;
        const st = await fs.stat(abs).catch(() => undefined);
        if (st) files.push({ rel: childRel, size: st.size });
      }
    }
  };
  await walk('');
  return { files, dirs };
}

/**
 * Copies one file, hashing what it writes. A file the server deleted meanwhile (a dropped table) is skipped:
 * WAL replay from the backup's start recreates or removes it, as PostgreSQL's own base backups rely on.
 */
export async function copyHashed(
  from: string,
  to: string,
): Promise<{ size: number; sha256: string } | undefined> {
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  try {
    await pipeline(createReadStream(from), tap, createWriteStream(to, { mode: 0o600 }));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      await fs.rm(to, { force: true });
      return undefined;
    }
    throw err;
  }
  return { size, sha256: hash.digest('hex') };
}

export async function hashFile(file: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: hash.digest('hex') };
}

/** Which manifest files do not match what is on disk (missing, other size, other checksum). */
export async function checkFiles(
  dir: string,
  files: readonly ManifestFile[],
  onFile?: (done: number) => void,
): Promise<string[]> {
  const problems: string[] = [];
  let done = 0;
  for (const f of files) {
    const actual = await hashFile(path.join(dir, f.path)).catch(() => undefined);
    if (!actual) problems.push(`${f.path} is missing`);
    else if (actual.size !== f.size || actual.sha256 !== f.sha256) {
      problems.push(`${f.path} does not match its checksum in the manifest`);
    }
    onFile?.((done += f.size));
  }
  return problems;
}
