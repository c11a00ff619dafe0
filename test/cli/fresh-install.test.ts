// One-shot commands on a database that is behind the code: a fresh install before the first `sovi up`, or a
// checkout newer than the database. The embedded database is brought up to date; an existing server is
// refused with one line saying what to run, never PostgreSQL's "relation does not exist" and a stack.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { cliTestTimeout, runSovi } from '../helpers/cli.ts';
import { createDatabase, dropDatabase } from '../helpers/database.ts';

const created: string[] = [];
afterAll(() => Promise.all(created.map(dropDatabase)));

const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);

describe('an existing server that is behind the code', { timeout: cliTestTimeout(6) }, () => {
  it('refuses one-shot commands with one line saying to run sovi migrate, then works after it', async () => {
    const { name, url } = await createDatabase({ template: false });
    created.push(name);
    for (const args of [
      ['devices', 'list'],
      ['devices', 'add', '--name', 'p1', '--udid', 'u1'],
    ]) {
      const result = await runSovi(args, { DATABASE_URL: url });
      expect(result.code, result.stderr).toBe(69);
      expect(result.stderr).toMatch(
        /^sovi: the database is not ready \(\d+ migration\(s\) pending\): run `sovi migrate`/,
      );
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).not.toMatch(/does not exist/);
      noStack(result.stderr);
    }
    expect((await runSovi(['migrate'], { DATABASE_URL: url })).code).toBe(0);
    const listed = await runSovi(['devices', 'list'], { DATABASE_URL: url });
    expect(listed.code, listed.stderr).toBe(0);

    // A newer checkout: the database lacks the last migration.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`DELETE FROM sovi_migrations WHERE name = (SELECT max(name) FROM sovi_migrations)`);
    await client.end();
    const behind = await runSovi(['devices', 'list'], { DATABASE_URL: url });
    expect(behind.code).toBe(69);
    expect(behind.stderr).toMatch(/not ready \(1 migration\(s\) pending\): run `sovi migrate`/);
  });
});

describe('the embedded database of a fresh install', { timeout: cliTestTimeout(4) }, () => {
  it('is created and migrated by the first one-shot command, as sovi up would', async () => {
    const home = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-fresh-'));
    await fs.chmod(home, 0o755); // As root, the server's OS user must be able to enter it.
    const env = { SOVI_HOME: home, SOVI_HOST_NAME: 'fresh-host' };
    try {
      const listed = await runSovi(['devices', 'list'], env);
      expect(listed.code, listed.stderr).toBe(0);
      noStack(listed.stderr);
      const added = await runSovi(['devices', 'add', '--name', 'phone-1', '--udid', 'udid-1'], env);
      expect(added.code, added.stderr).toBe(0);
      const status = await runSovi(['db', 'status'], env);
      expect(status.stdout).toMatch(/\d+ applied, 0 pending/);
    } finally {
      await runSovi(['db', 'stop'], env);
      await fs.rm(home, { recursive: true, force: true });
    }
  });
});
