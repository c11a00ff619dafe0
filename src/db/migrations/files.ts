// The migration files: NNN_name.sql in migrations/, applied in number order, each identified by its file
// name and a checksum of its text.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { SoviError } from '../../errors.ts';

export const MIGRATIONS_TABLE = 'sovi_migrations';
export const MIGRATIONS_DIR = path.resolve(import.meta.dirname, '..', '..', '..', 'migrations');

const FILE_NAME = /^(\d{3,})_([a-z0-9_]+)\.sql$/;
/** A file that must run outside a transaction (e.g. CREATE INDEX CONCURRENTLY) says so on a line of its own. */
const NO_TRANSACTION = /^--\s*sovi:no-transaction\s*$/m;

export interface MigrationFile {
  name: string;
  version: number;
  checksum: string;
  sql: string;
  transactional: boolean;
}

/** sha256 of the text with line endings normalised, so a CRLF checkout does not read as an edit. */
export const checksumOf = (sql: string): string =>
  createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');

export async function loadMigrationFiles(dir: string = MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const entries = (await fs.readdir(dir)).filter((name) => name.endsWith('.sql')).sort();
  const files: MigrationFile[] = [];
  const seen = new Map<number, string>();
  for (const name of entries) {
    const match = FILE_NAME.exec(name);
    if (!match) {
      throw new SoviError(
        'config',
        `migration file ${name} is misnamed: expected NNN_lowercase_name.sql (e.g. 004_add_hosts.sql)`,
        { field: name },
      );
    }
    const version = Number(match[1]);
    const twin = seen.get(version);
    if (twin !== undefined) {
      throw new SoviError('config', `migrations ${twin} and ${name} share the number ${match[1]}`, { field: name });
    }
    seen.set(version, name);
    const sql = await fs.readFile(path.join(dir, name), 'utf8');
    files.push({ name, version, checksum: checksumOf(sql), sql, transactional: !NO_TRANSACTION.test(sql) });
  }
  return files.sort((a, b) => a.version - b.version);
}
