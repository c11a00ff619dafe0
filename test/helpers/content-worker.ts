// The content worker on the real job engine over the test database, as a host runs it (stub media, no
// sweeps on a cron), with the publisher a test gives it. Its `stop` ends the worker, the engine and the
// connections; tests collect it and call it after each test.
import { loadConfig } from '../../src/config.ts';
import type { ContentPolicy } from '../../src/content/content-policy.ts';
import { stubMedia } from '../../src/content/stub-media.ts';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { createBoss } from '../../src/db/job-engine.ts';
import { prepareDatabase } from '../../src/db/prepare.ts';
import { seededRandom } from '../../src/random.ts';
import { startContentWorker, type ContentWorker } from '../../src/jobs/content-worker.ts';
import type { Publisher } from '../../src/plugins/publisher.ts';
import type { TestDatabase } from './database.ts';
import { quietLogger } from './database.ts';

export async function startTestContentWorker(
  t: TestDatabase,
  options: {
    policy: ContentPolicy;
    publisher: (db: Database['db']) => Publisher;
    seed: number;
    name: string;
  },
): Promise<{ worker: ContentWorker; stop: () => Promise<void> }> {
  const config = loadConfig({
    DATABASE_URL: t.url,
    SOVI_JOB_POOL_MAX: '3',
    SOVI_DB_POOL_MAX: '4',
    SOVI_CONTENT_CONCURRENCY: '2',
  });
  const database = await openDatabase(config, quietLogger, { applicationName: options.name });
  await prepareDatabase(database, config, quietLogger);
  const boss = createBoss(database.connection, config.scheduler, quietLogger, {
    migrate: false,
    background: true,
  });
  await boss.start();
  const worker = await startContentWorker({
    config,
    database,
    logger: quietLogger,
    boss,
    media: stubMedia(),
    policy: options.policy,
    publisher: options.publisher(database.db),
    scheduleSweeps: false,
    random: seededRandom(options.seed),
  });
  return {
    worker,
    stop: async () => {
      await worker.stop();
      await boss.stop({ graceful: false, close: true });
      await database.close();
    },
  };
}
