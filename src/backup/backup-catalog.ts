// The backup directory is its own catalog, readable when the database is lost: base/<id>/manifest.json
// and verified.json, base/.partial-<id> while a backup is written, and wal/ (the archive). A backup appears
// under its id only by a rename after its manifest is written, so a killed one never looks like a good one.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { SoviError } from '../errors.ts';
import { MANIFEST_FORMAT, type Manifest, type Verification } from './backup-model.ts';

export const walDir = (backupDir: string): string => path.join(backupDir, 'wal');
const baseDir = (backupDir: string): string => path.join(backupDir, 'base');
export const backupPath = (backupDir: string, id: string): string => path.join(baseDir(backupDir), id);
export const dataPath = (backupDir: string, id: string): string =>
  path.join(backupPath(backupDir, id), 'data');

const PARTIAL = '.partial-';
const ID_PATTERN = /^\d{8}T\d{6}Z-[0-9a-f]{4}$/;

export function newBackupId(at: Date = new Date()): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

/** A directory to write a backup into; `commit` renames it into place once the manifest is in it. */
export async function partialBackup(
  backupDir: string,
  id: string,
): Promise<{ dir: string; commit(): Promise<void> }> {
  await fs.mkdir(baseDir(backupDir), { recursive: true, mode: 0o700 });
  const dir = path.join(baseDir(backupDir), `${PARTIAL}${id}`);
  await fs.mkdir(dir, { mode: 0o700 });
  return { dir, commit: () => fs.rename(dir, backupPath(backupDir, id)) };
}

export async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  await writeJsonAtomically(path.join(dir, 'manifest.json'), manifest);
}

/** Every complete backup's manifest, oldest first. */
export async function readManifests(backupDir: string): Promise<Manifest[]> {
  const names = await fs.readdir(baseDir(backupDir)).catch(() => [] as string[]);
  const manifests: Manifest[] = [];
  for (const name of names.filter((n) => ID_PATTERN.test(n)).sort()) {
    const manifest = await readManifestFile(backupDir, name).catch(() => undefined);
    if (manifest) manifests.push(manifest);
  }
  return manifests;
}

export async function readManifest(backupDir: string, id: string): Promise<Manifest> {
  // Checked before it becomes part of a path. Whatever its shape, an id that names no backup is not found
  // (exit 3), as every other missing thing is.
  if (!ID_PATTERN.test(id)) {
    throw new SoviError(
      'not_found',
      `backup id: no backup "${id}"; expected an id as \`sovi db backups\` lists it`,
      {
        field: 'id',
      },
    );
  }
  try {
    return await readManifestFile(backupDir, id);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new SoviError('not_found', `no backup "${id}" in ${backupDir} (see \`sovi db backups\`)`, {
        field: 'id',
      });
    }
    throw new SoviError(
      'invalid_input',
      `backup "${id}" has an unreadable manifest: ${(err as Error).message}`,
      {
        field: 'id',
      },
    );
  }
}

async function readManifestFile(backupDir: string, id: string): Promise<Manifest> {
  const manifest = JSON.parse(
    await fs.readFile(path.join(backupPath(backupDir, id), 'manifest.json'), 'utf8'),
  ) as Manifest;
  if (manifest.format !== MANIFEST_FORMAT || manifest.id !== id) {
    throw new Error(
      `manifest format ${String(manifest.format)} of ${manifest.id} is not one this sovi reads`,
    );
  }
  return manifest;
}

export async function readVerification(backupDir: string, id: string): Promise<Verification | null> {
  try {
    return JSON.parse(
      await fs.readFile(path.join(backupPath(backupDir, id), 'verified.json'), 'utf8'),
    ) as Verification;
  } catch {
    return null;
  }
}

export async function writeVerification(backupDir: string, id: string, v: Verification): Promise<void> {
  await writeJsonAtomically(path.join(backupPath(backupDir, id), 'verified.json'), v);
}

/** Partial backups left by killed runs. */
export async function partialBackups(backupDir: string): Promise<string[]> {
  const names = await fs.readdir(baseDir(backupDir)).catch(() => [] as string[]);
  return names.filter((n) => n.startsWith(PARTIAL)).map((n) => path.join(baseDir(backupDir), n));
}

/** The archived WAL files (segments and timeline history), with their modification times. */
export async function archivedWal(backupDir: string): Promise<{ name: string; mtime: Date }[]> {
  const dir = walDir(backupDir);
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const files: { name: string; mtime: Date }[] = [];
  for (const name of names) {
    if (!/^[0-9A-F]{24}$/.test(name)) continue;
    const st = await fs.stat(path.join(dir, name)).catch(() => undefined);
    if (st) files.push({ name, mtime: st.mtime });
  }
  return files.sort((a, b) => a.name.localeCompare(b.name));
}

async function writeJsonAtomically(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.tmp`;
  const handle = await fs.open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(value, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, file);
}
