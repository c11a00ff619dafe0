// The CLI as a user meets it: help everywhere, clear errors with exit statuses, migrate and status.
import { execFileSync, spawnSync } from 'node:child_process';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMigrationFiles } from '../../src/db/migrations/files.ts';
import { SOVI_BIN, cliEnv, cliTestTimeout, runSovi, startSoviUp } from '../helpers/cli.ts';
import { createDatabase, dropDatabase } from '../helpers/database.ts';

const created: string[] = [];
afterAll(() => Promise.all(created.map(dropDatabase)));

async function emptyDatabase(): Promise<string> {
  const { name, url } = await createDatabase({ template: false });
  created.push(name);
  return url;
}

const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);

describe('help', () => {
  it.each(['', 'up', 'migrate', 'db', 'db status', 'db stop'])(
    'sovi %s --help explains the command',
    async (command) => {
      const args = command.split(' ').filter(Boolean);
      const result = await runSovi([...args, '--help']);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^Usage: sovi ${command}`));
    },
  );
});

describe('a reader that stops early', () => {
  it('ends the command quietly, with status 0, when its pipe closes (`sovi --help | head -1`)', () => {
    // `true` reads nothing and exits at once, long before sovi has started: its writes fail with EPIPE.
    const script = `"${process.execPath}" "${SOVI_BIN}" --help | true; exit \${PIPESTATUS[0]}`;
    const result = spawnSync('bash', ['-c', script], {
      env: cliEnv({}),
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('bad input', () => {
  it('names a bad environment variable, exits 78, and prints no stack', async () => {
    const result = await runSovi(['migrate'], { SOVI_DB_POOL_MAX: 'lots' });
    expect(result.code).toBe(78);
    expect(result.stderr).toMatch(/SOVI_DB_POOL_MAX: expected an integer between 1 and 1000 \(got "lots"\)/);
    noStack(result.stderr);
  });

  it.each([
    ['worker', { SOVI_PLAN_CRON: 'every minute' }, 'SOVI_PLAN_CRON'],
    ['up', { SOVI_ROLLUP_REFRESH_CRON: '61 * * * *' }, 'SOVI_ROLLUP_REFRESH_CRON'],
    ['devices list', { SOVI_TRENDS_PULL_CRON: 'hourly' }, 'SOVI_TRENDS_PULL_CRON'],
  ])(
    'sovi %s refuses a bad cron value with exit 78, naming it, before touching the database',
    async (command, env, variable) => {
      const result = await runSovi(command.split(' '), {
        DATABASE_URL: 'postgres://x@127.0.0.1:1/x',
        ...env,
      });
      expect(result.code).toBe(78);
      expect(result.stderr).toMatch(new RegExp(`${variable}: expected a cron expression of five fields`));
      noStack(result.stderr);
    },
  );

  // The machine's Debian Node (v20 here) is what a user without a new Node runs sovi with.
  const oldNode = ['/usr/bin/node', '/usr/local/bin/node'].find((file) => {
    try {
      const version = execFileSync(file, ['--version'], { encoding: 'utf8' }).trim();
      const [major, minor] = version.slice(1).split('.').map(Number);
      return major! < 22 || (major === 22 && minor! < 12);
    } catch {
      return false;
    }
  });
  it.runIf(oldNode !== undefined)(
    'under a Node older than 22.12, says which Node is needed and how to get it',
    () => {
      const result = spawnSync(oldNode!, [SOVI_BIN, 'devices', 'list'], {
        encoding: 'utf8',
        env: cliEnv({}),
      });
      expect(result.status).toBe(69);
      expect(result.stderr).toMatch(/sovi: needs Node\.js 22\.12 or newer; this is Node v?\d+\./);
      expect(result.stderr).toMatch(/npm install --prefix ~\/\.cache\/node24 node@24/);
      expect(result.stderr).not.toMatch(/bad option/);
    },
  );

  it('names a bad --port and exits 2', async () => {
    const result = await runSovi(['up', '--port', 'http'], { DATABASE_URL: 'postgres://x@127.0.0.1:1/x' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--port: expected an integer between 0 and 65535, got "http"/);
  });

  it('reports an unreachable database clearly, with exit 69 and no stack', async () => {
    const result = await runSovi(['db', 'status'], {
      DATABASE_URL: 'postgres://nobody:secret-pw@127.0.0.1:1/none',
      SOVI_DB_CONNECT_TIMEOUT_MS: '1000',
    });
    expect(result.code).toBe(69);
    expect(result.stderr).toMatch(/the database is unavailable/);
    expect(result.stderr).not.toContain('secret-pw');
    noStack(result.stderr);
  });

  it.each([
    [['accounts', 'list', '--limit', 'ten'], /--limit: expected an integer/],
    [['events', 'list', '--since', 'yesterday'], /--since: expected an ISO-8601 time/],
    [['content', 'list', '--status', 'done'], /--status: expected one of scripting/],
    [['hooks', 'add', '--category', 'x', '--template', 'y', '--score', 'high'], /--score: expected a number/],
  ])('refuses a bad option value for %j with exit 2, naming it, no stack', async (args, message) => {
    const result = await runSovi(args, { DATABASE_URL: 'postgres://x@127.0.0.1:1/x' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    noStack(result.stderr);
  });

  it('refuses unknown commands and options', async () => {
    expect((await runSovi(['migrat'])).code).toBe(2);
    expect((await runSovi(['migrate', '--force'])).stderr).toMatch(/unknown option '--force'/);
  });

  it('will not stop a server it does not run', async () => {
    const result = await runSovi(['db', 'stop'], { DATABASE_URL: 'postgres://x@127.0.0.1:1/x' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/DATABASE_URL is set/);
  });
});

describe('sovi migrate and sovi db status', { timeout: cliTestTimeout(4) }, () => {
  it('migrates an empty database, then reports it up to date', async () => {
    const url = await emptyDatabase();
    const files = await loadMigrationFiles();
    const first = await runSovi(['migrate'], { DATABASE_URL: url });
    expect(first.code).toBe(0);
    for (const f of files) expect(first.stdout).toContain(`applied ${f.name}`);
    const second = await runSovi(['migrate'], { DATABASE_URL: url });
    expect(second.stdout).toContain(`database is up to date (${files.length} migrations applied)`);

    const status = await runSovi(['db', 'status'], { DATABASE_URL: url });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/server\s+PostgreSQL 1[5-9]/);
    expect(status.stdout).toMatch(/timescaledb\s+(absent|available|installed)/);
    expect(status.stdout).toContain(`${files.length} applied, 0 pending`);
    const json = JSON.parse((await runSovi(['db', 'status', '--json'], { DATABASE_URL: url })).stdout);
    expect(json.migrations.applied.map((m: { name: string }) => m.name)).toEqual(files.map((f) => f.name));
    expect(json.database).not.toContain(new URL(url).password || '\u0000'); // No password in the description.
  });

  it('lets three processes migrate one database at once: all exit 0, each file applied once', async () => {
    const url = await emptyDatabase();
    const results = await Promise.all([1, 2, 3].map(() => runSovi(['migrate'], { DATABASE_URL: url })));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
    const files = await loadMigrationFiles();
    const appliedLines = results.flatMap((r) =>
      r.stdout.split('\n').filter((l) => l.startsWith('applied 0')),
    );
    expect(appliedLines.length).toBe(files.length);
  });

  it('refuses, naming the file, when the database has a migration this checkout lacks', async () => {
    const url = await emptyDatabase();
    await runSovi(['migrate'], { DATABASE_URL: url });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(
      `INSERT INTO sovi_migrations (name, checksum) VALUES ('099_from_the_future.sql', 'abc')`,
    );
    await client.end();
    const result = await runSovi(['migrate'], { DATABASE_URL: url });
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/099_from_the_future\.sql applied, but migrations\/ has no such file/);
    noStack(result.stderr);
    const status = await runSovi(['db', 'status'], { DATABASE_URL: url });
    expect(status.code).toBe(4);
    expect(status.stdout).toMatch(/applied\s+099_from_the_future\.sql .* UNKNOWN/);
  });
});

describe('sovi up against an existing server', () => {
  it('migrates, serves /healthz and /readyz, and stops cleanly on SIGTERM', async () => {
    const url = await emptyDatabase();
    const sovi = await startSoviUp({ DATABASE_URL: url });
    try {
      // No SOVI_VAULT_KEYS: said at start, before anyone adds an account with secrets.
      expect(sovi.output().stdout + sovi.output().stderr).toMatch(
        /no vault key is configured.*sovi keys generate.*SOVI_VAULT_KEYS/,
      );
      expect(await (await fetch(`${sovi.url}/healthz`)).json()).toEqual({ status: 'ok' });
      expect((await fetch(`${sovi.url}/readyz`)).status).toBe(200);
      const status = await runSovi(['db', 'status'], { DATABASE_URL: url });
      expect(status.stdout).toMatch(/\d+ applied, 0 pending/);
    } finally {
      expect(await sovi.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    }
  });
});
