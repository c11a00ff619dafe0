// A throwaway embedded cluster in a temporary directory, for the test suite, benchmarks and type generation.
// Durability is switched off: nothing in it outlives the run.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../../logger.ts';
import { useEmbeddedPostgres, type EmbeddedPostgres } from './server.ts';

export interface ThrowawayPostgres {
  readonly server: EmbeddedPostgres;
  readonly home: string;
  dispose(): Promise<void>;
}

export async function startThrowawayPostgres(
  logger: Logger,
  prefix = 'sovi-pg-',
  /** More postgresql.conf settings (a bench's shared_preload_libraries, say). */
  settings: Record<string, string> = {},
): Promise<ThrowawayPostgres> {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  // mkdtemp makes the directory private; as root, the server's own OS user must be able to enter it.
  await fs.chmod(home, 0o755);
  const server = await useEmbeddedPostgres({
    home,
    osUser: 'postgres',
    database: 'postgres',
    logger,
    settings: {
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
      max_connections: '300',
      shared_buffers: "'256MB'",
      ...settings,
    },
  });
  return {
    server,
    home,
    dispose: async () => {
      await server.release();
      await fs.rm(home, { recursive: true, force: true });
    },
  };
}
