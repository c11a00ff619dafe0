// Metrics from the command line: import with progress and a report, refresh, status, the three reads, and
// errors that name what was wrong.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliTestTimeout, runSovi } from '../helpers/cli.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';

const t = useTestDatabase();
const sovi = (...args: string[]) => runSovi(args, { DATABASE_URL: t.url });

async function tempFile(name: string, text: string) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-metrics-cli-'));
  const file = path.join(dir, name);
  await fs.writeFile(file, text);
  return file;
}

let dist: string;
let account: string;
beforeAll(async () => {
  expect((await sovi('migrate')).code).toBe(0);
  const niche = (await t.pool.query(`SELECT id FROM niches WHERE slug = 'true_crime'`)).rows[0].id;
  const content = await factories.content(t.pool, { niche_id: niche, topic: 'the cold case' });
  const a = await factories.account(t.pool, { niche_id: niche });
  const d = await factories.distribution(t.pool, { content_id: content.id, account_id: a.id });
  dist = String(d.id);
  account = String(a.id);
});

describe('sovi metrics', { timeout: cliTestTimeout(8) }, () => {
  it('imports a file, reports duplicates on a replay, and folds the rows into the rollups', async () => {
    const hour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000);
    const rows = [0, 10, 20].map(
      (m, i) =>
        `${new Date(hour.getTime() + m * 60_000).toISOString()},${dist},${100 * (i + 1)},${10 * (i + 1)}`,
    );
    const file = await tempFile('m.csv', `time,distribution_id,views,likes\n${rows.join('\n')}\n`);
    const first = await sovi('metrics', 'import', file);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/imported 3 of 3 row\(s\) .*; 0 already stored/);
    expect(first.stderr).toMatch(/importing .* \(bytes\): 100%/);
    const again = await sovi('metrics', 'import', file, '--json');
    expect(JSON.parse(again.stdout)).toMatchObject({ rows: 3, inserted: 0, duplicates: 3 });

    const status = await sovi('metrics', 'status', '--json');
    expect(JSON.parse(status.stdout)).toMatchObject({ path: 'tables', pendingRows: 3, pendingHours: 1 });
    const refresh = await sovi('metrics', 'refresh');
    expect(refresh.stdout).toMatch(/folded 3 snapshot\(s\) in 1 hour\(s\)/);

    const hourly = JSON.parse((await sovi('metrics', 'account', account, '--json')).stdout);
    expect(hourly).toEqual([
      expect.objectContaining({ views: 300, likes: 30, samples: 3, engagementRate: expect.closeTo(0.1, 9) }),
    ]);
    const niche = JSON.parse((await sovi('metrics', 'niche', 'true_crime', '--days', '7', '--json')).stdout);
    // The gain is on the day of the hour imported: yesterday when the test runs in a UTC day's first hour,
    // when today's row (the account counted) is another one.
    const day = hour.toISOString().slice(0, 10);
    expect(niche.find((d: { day: string }) => d.day === day)).toMatchObject({ viewsGained: 300 });
    expect(niche.at(-1)).toMatchObject({ accounts: 1 });
    const top = await sovi('metrics', 'top');
    expect(top.stdout).toMatch(/the cold case/);

    const backfill = await sovi('metrics', 'refresh', '--from', '2d');
    expect(backfill.code).toBe(0);
    expect(backfill.stdout).toMatch(/recomputed 3 day\(s\)/);
    expect(backfill.stderr).toMatch(/refreshing \(days\): 100% \(3\/3\)/);
  });

  it('refuses a file with bad rows, naming each line, and imports nothing', async () => {
    const file = await tempFile(
      'bad.csv',
      `time,distribution_id,views\n2026-01-01T00:00:00Z,${dist},-5\n2026-01-01T01:00:00Z,not-a-uuid,5\n`,
    );
    const result = await sovi('metrics', 'import', file);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('line 2: views: must not be negative, got -5');
    expect(result.stderr).toContain('line 3: distribution_id: expected a UUID');
    expect(result.stderr).not.toMatch(/at .*\.ts:\d+/);
    const skipped = await sovi('metrics', 'import', file, '--skip-bad');
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toMatch(/imported 0 of 2 .*skipped 2 bad row\(s\):\n {2}line 2: views/);
  });

  it.each([
    [['metrics', 'import', '/nonexistent/m.csv'], 2, /no such file/],
    [['metrics', 'import', 'm.txt'], 2, /expected \.csv or \.ndjson/],
    [['metrics', 'refresh', '--to', '1d'], 2, /--from: a backfill needs a start/],
    [['metrics', 'refresh', '--from', 'yesterday'], 2, /--from: expected an ISO-8601 time/],
    [['metrics', 'account', 'nope'], 3, /account: no account "nope"/],
    [['metrics', 'account', '00000000-0000-4000-8000-000000000000'], 3, /no account/],
    [['metrics', 'niche', 'cooking'], 3, /no niche "cooking"/],
    [['metrics', 'top', '--limit', '0'], 2, /--limit: expected an integer between 1 and 1000/],
  ])('sovi %j exits %i naming what was wrong', async (args, code, message) => {
    const result = await sovi(...args);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
  });
});
