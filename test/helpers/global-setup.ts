// Starts the test PostgreSQL once per run and migrates a template database; each test file then clones the
// template (CREATE DATABASE … TEMPLATE), which takes milliseconds instead of re-running the migrations.
//
// Default: a throwaway embedded PostgreSQL 17. With SOVI_TEST_DATABASE_URL (a superuser-ish URL of any
// database on the server), the same suite runs against that server instead.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { pino } from 'pino';
import type { TestProject } from 'vitest/node';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../../src/db/embedded/throwaway.ts';
import { migrate } from '../../src/db/migrations/migrator.ts';
import { urlWithDatabase } from './urls.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    templateDatabase: string;
    runId: string;
    serverKind: 'embedded' | 'external';
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const logger = pino({ level: 'warn' });
  const external = process.env.SOVI_TEST_DATABASE_URL;
  let throwaway: ThrowawayPostgres | undefined;
  let adminUrl: string;
  if (external) {
    adminUrl = external;
  } else {
    throwaway = await startThrowawayPostgres(logger, 'sovi-test-pg-');
    adminUrl = throwaway.server.urlFor('postgres');
  }
  const runId = randomBytes(4).toString('hex');
  const templateDatabase = `sovi_test_${runId}_template`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ server_version: string }>('SHOW server_version');
    console.log(
      `sovi tests: PostgreSQL ${rows[0]?.server_version ?? '?'} (${external ? 'SOVI_TEST_DATABASE_URL' : 'embedded'})`,
    );
    await admin.query(`CREATE DATABASE ${templateDatabase}`);
  } finally {
    await admin.end();
  }
  await migrate({ url: urlWithDatabase(adminUrl, templateDatabase) }, { logger });

  project.provide('adminUrl', adminUrl);
  project.provide('templateDatabase', templateDatabase);
  project.provide('runId', runId);
  project.provide('serverKind', external ? 'external' : 'embedded');

  return async () => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ datname: string }>(
        'SELECT datname FROM pg_database WHERE datname LIKE $1',
        [`sovi_test_${runId}_%`],
      );
      for (const { datname } of rows) {
        await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(datname)} WITH (FORCE)`);
      }
    } finally {
      await client.end();
    }
    await throwaway?.dispose();
  };
}
