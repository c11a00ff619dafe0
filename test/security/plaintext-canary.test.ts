// Plaintext canaries through everything a team does with secrets, at debug log level: no secret may reach
// a log line, an error, a listing, the event log or the activity log. (runSovi and startSoviUp scan every
// output for the canaries, raw, base64 and hex; the test database is scanned when this file ends.)
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { keyLine } from '../helpers/accounts.ts';
import { canary, canaryTotpSecret, findCanaries } from '../helpers/canary.ts';
import { runSovi, startSoviUp } from '../helpers/cli.ts';
import { useTestDatabase } from '../helpers/database.ts';

const t = useTestDatabase();
const k1 = keyLine('k1');
const k2 = keyLine('k2');
const env = (extra: Record<string, string> = {}) => ({
  DATABASE_URL: t.url,
  SOVI_VAULT_KEYS: k1,
  SOVI_LOG_LEVEL: 'debug',
  SOVI_HOST_NAME: 'canary',
  ...extra,
});

describe('plaintext canaries', () => {
  it('never leave the vault except through reveal', async () => {
    expect((await runSovi(['migrate'], env())).code).toBe(0);
    await runSovi(
      ['devices', 'add', '--name', 'canary-phone', '--udid', 'canary-phone', '--status', 'active'],
      env(),
    );
    const secrets = {
      email: `${canary('email')}@x.io`,
      password: canary('password'),
      totp_secret: canaryTotpSecret(),
      proxy_credentials: canary('proxy'),
    };
    expect(
      (
        await runSovi(['accounts', 'add', '--platform', 'tiktok', '--username', 'canary_one'], env(), {
          input: JSON.stringify(secrets),
        })
      ).code,
    ).toBe(0);

    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-canary-'));
    const file = path.join(dir, 'accounts.csv');
    const rows = Array.from(
      { length: 5 },
      (_, i) => `instagram,canary_bulk_${i},${canary('password')},${canaryTotpSecret()}`,
    );
    await fs.writeFile(file, `platform,username,password,totp_secret\n${rows.join('\n')}\n`);
    expect((await runSovi(['accounts', 'import', file], env())).code).toBe(0);
    // A bad file is refused without echoing the secrets it holds.
    await fs.writeFile(
      file,
      `platform,username,password,totp_secret\nmyspace,canary_bad,${canary('password')},${canary('bad-totp')}\n`,
    );
    expect((await runSovi(['accounts', 'import', file], env())).code).toBe(2);

    await runSovi(['accounts', 'update', 'canary_one', '--secrets'], env(), {
      input: `password=${canary('password')}\n`,
    });
    for (const args of [
      ['accounts', 'list', '--json'],
      ['accounts', 'show', 'canary_one', '--json'],
      ['accounts', 'totp', 'canary_one'],
      ['events', 'list', '--json'],
      ['keys', 'status'],
    ]) {
      expect((await runSovi(args, env())).code, args.join(' ')).toBe(0);
    }
    const reveal = await runSovi(['accounts', 'reveal', 'canary_one'], env());
    expect(findCanaries(reveal.stdout).length).toBeGreaterThan(0); // The sanctioned way out.
    expect((await runSovi(['keys', 'rotate'], env({ SOVI_VAULT_KEYS: `${k1},${k2}` }))).code).toBe(0);

    // The whole system running over these accounts: server, worker, sessions, health checks.
    const sovi = await startSoviUp(
      env({
        SOVI_VAULT_KEYS: `${k1},${k2}`,
        SOVI_EXECUTOR_OPTIONS: JSON.stringify({ minDurationMs: 10, maxDurationMs: 50 }),
      }),
    );
    try {
      await runSovi(['schedule', 'plan'], env());
      await vi.waitFor(
        async () => {
          const { rows } = await t.pool.query(
            `SELECT count(*)::int AS n FROM warming_progress WHERE completed_at IS NOT NULL`,
          );
          expect(rows[0].n).toBeGreaterThan(0);
        },
        { timeout: 30_000, interval: 250 },
      );
    } finally {
      await sovi.stop();
    }
  }, 120_000);
});
