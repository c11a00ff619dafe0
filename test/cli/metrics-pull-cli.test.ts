// `sovi metrics pull` from the command line: the simulator collector by default (a fresh install pulls with
// no platform account), one account with --account, and errors that name what was wrong.
import { beforeAll, describe, expect, it } from 'vitest';
import { cliTestTimeout, runSovi } from '../helpers/cli.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';

const t = useTestDatabase();
const sovi = (args: string[], env: Record<string, string> = {}) =>
  runSovi(args, { DATABASE_URL: t.url, ...env });

let a: string;
let b: string;
beforeAll(async () => {
  expect((await sovi(['migrate'])).code).toBe(0);
  const accounts = await Promise.all(
    ['tiktok', 'instagram'].map((platform) =>
      factories.account(t.pool, { platform, current_state: 'active' }),
    ),
  );
  [a, b] = accounts.map((x) => String(x.id)) as [string, string];
  for (const [i, account] of accounts.entries()) {
    for (let n = 0; n < 2; n++)
      await factories.distribution(t.pool, {
        account_id: account.id,
        platform: account.platform,
        status: 'posted',
        platform_post_id: `sim_cli_${i}_${n}`,
        posted_at: new Date(Date.now() - (n + 1) * 3_600_000),
      });
  }
});

describe('sovi metrics pull', { timeout: cliTestTimeout(4) }, () => {
  it('reads one account’s due posts, then the rest, and nothing twice', async () => {
    const one = await sovi(['metrics', 'pull', '--account', a, '--json']);
    expect(one.code, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({ accounts: 1, due: 2, read: 2, inserted: 2, failures: [] });
    const rest = await sovi(['metrics', 'pull']);
    expect(rest.code, rest.stderr).toBe(0);
    expect(rest.stdout).toMatch(
      /^read 2 of 2 due post\(s\) on 1 account\(s\) in [\d.]+ s: 2 snapshot\(s\) stored, 2 call\(s\)/,
    );
    const { rows } = await t.pool.query(
      `SELECT account_id, count(*)::int AS n FROM metric_snapshots GROUP BY account_id ORDER BY n`,
    );
    expect(rows.map((r) => [r.account_id, r.n]).sort()).toEqual(
      [
        [a, 2],
        [b, 2],
      ].sort(),
    );
    const again = await sovi(['metrics', 'pull', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ due: 0, calls: 0 });
  });

  it('names a bad account or collector', async () => {
    const nobody = await sovi(['metrics', 'pull', '--account', 'tiktok:nobody_here']);
    expect(nobody.code).toBe(3);
    expect(nobody.stderr).toContain('--account: no account "tiktok:nobody_here"');
    const bad = await sovi(['metrics', 'pull'], {
      SOVI_METRICS_COLLECTOR_INSTAGRAM: './no-such-collector.js',
    });
    expect(bad.code).toBe(78);
    expect(bad.stderr).toContain(
      'SOVI_METRICS_COLLECTOR_INSTAGRAM: expected simulator, official or a plug-in module; cannot load',
    );
  });
});
