// Accounts, keys and events from the command line, as a user runs them.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { keyLine } from '../helpers/accounts.ts';
import { canary, canaryTotpSecret } from '../helpers/canary.ts';
import { SOVI_BIN, cliEnv, cliTestTimeout, runSovi } from '../helpers/cli.ts';
import { useTestDatabase } from '../helpers/database.ts';

const t = useTestDatabase();
const k1 = keyLine('k1');
const env = (extra: Record<string, string> = {}) => ({
  DATABASE_URL: t.url,
  SOVI_VAULT_KEYS: k1,
  SOVI_ACTOR: 'cli-tester',
  ...extra,
});
const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);

describe('sovi accounts', { timeout: cliTestTimeout(5) }, () => {
  it('adds an account with secrets from stdin, shows it without them, and reveals them only on request', async () => {
    const secrets = {
      email: `${canary('email')}@x.io`,
      password: canary('password'),
      totp_secret: canaryTotpSecret(),
    };
    const add = await runSovi(
      ['accounts', 'add', '--platform', 'tiktok', '--username', 'cli_alice', '--niche', 'motivation'],
      env(),
      {
        input: JSON.stringify(secrets),
      },
    );
    expect(add.code).toBe(0);
    expect(add.stdout).toMatch(/added tiktok:cli_alice \([0-9a-f-]{36}\)/);

    const show = await runSovi(['accounts', 'show', 'cli_alice'], env());
    expect(show.stdout).toMatch(/password\s+set \(key k1\)/);
    expect(show.stdout).toMatch(/proxy_credentials\s+not set/);

    const reveal = await runSovi(['accounts', 'reveal', 'tiktok:cli_alice', '--json'], env());
    expect(JSON.parse(reveal.stdout)).toEqual(secrets);

    const totp = await runSovi(['accounts', 'totp', 'cli_alice'], env());
    expect(totp.stdout).toMatch(/^\d{6}\n$/);

    const audit = JSON.parse(
      (await runSovi(['events', 'list', '--category', 'auth', '--json'], env())).stdout,
    );
    expect(
      audit.events.map((e: { eventType: string; context: { actor: string } }) => [
        e.eventType,
        e.context.actor,
      ]),
    ).toEqual([
      ['totp_generated', 'cli-tester'],
      ['secret_revealed', 'cli-tester'],
    ]);
  });

  it('without a vault key, refuses secrets saying how to configure one, and adds nothing', async () => {
    const { SOVI_VAULT_KEYS: _unused, ...noKey } = env();
    const add = await runSovi(['accounts', 'add', '--platform', 'tiktok', '--username', 'cli_nokey'], noKey, {
      input: JSON.stringify({ password: canary('password') }),
    });
    expect(add.code).toBe(69);
    expect(add.stderr).toMatch(/no vault key is configured.*sovi keys generate.*SOVI_VAULT_KEYS/);
    noStack(add.stderr);
    expect((await runSovi(['accounts', 'show', 'cli_nokey'], env())).code).toBe(3);
  });

  it('takes KEY=value lines on stdin, and refuses unknown secrets by name', async () => {
    const ok = await runSovi(['accounts', 'add', '--platform', 'instagram', '--username', 'cli_kv'], env(), {
      input: `password=${canary('password')}\nproxy_credentials=${canary('proxy')}\n`,
    });
    expect(ok.code).toBe(0);
    const bad = await runSovi(
      ['accounts', 'add', '--platform', 'instagram', '--username', 'cli_kv2'],
      env(),
      {
        input: 'pasword=oops\n',
      },
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown secret "pasword"/);
    expect(bad.stderr).not.toContain('oops');
  });

  it('has no option that takes a secret on the command line', async () => {
    const help = await runSovi(['accounts', 'add', '--help']);
    expect(help.stdout).not.toMatch(/--(password|email|totp|proxy)/);
    const result = await runSovi(
      ['accounts', 'add', '--platform', 'tiktok', '--username', 'x', '--password', 'p'],
      env(),
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/unknown option '--password'/);
  });

  it('explains refused transitions with the allowed ones, and applies legal ones', async () => {
    await runSovi(
      ['accounts', 'add', '--platform', 'tiktok', '--username', 'cli_states', '--no-secrets'],
      env(),
    );
    const illegal = await runSovi(
      ['accounts', 'set-state', 'cli_states', 'active', '--reason', 'skip ahead'],
      env(),
    );
    expect(illegal.code).toBe(4);
    expect(illegal.stderr).toMatch(
      /cannot go from created to active; from created it can go to: warming_p1, cooldown, flagged, suspended, banned/,
    );
    noStack(illegal.stderr);
    const legal = await runSovi(
      ['accounts', 'set-state', 'cli_states', 'warming_p1', '--reason', 'first session', '--from', 'created'],
      env(),
    );
    expect(legal.stdout).toContain('cli_states: created → warming_p1');
    const stale = await runSovi(
      ['accounts', 'set-state', 'cli_states', 'warming_p2', '--reason', 'x', '--from', 'created'],
      env(),
    );
    expect(stale.stderr).toMatch(/is warming_p1 now, not created/);
    const noReason = await runSovi(['accounts', 'set-state', 'cli_states', 'warming_p2'], env());
    expect(noReason.stderr).toMatch(/required option '--reason <text>' not specified/);
  });

  it('imports a CSV all or nothing, listing every bad line', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-import-'));
    const bad = path.join(dir, 'bad.csv');
    await fs.writeFile(
      bad,
      `platform,username,password\ntiktok,cli_imp_1,${canary('password')}\nmyspace,cli_imp_2,x\ntiktok,cli imp,y\n`,
    );
    const refused = await runSovi(['accounts', 'import', bad], env());
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/2 problem\(s\) in 2 row\(s\); nothing was imported/);
    expect(refused.stderr).toMatch(/line 3: platform: expected one of tiktok, instagram, got "myspace"/);
    expect(refused.stderr).toMatch(/line 4: username/);
    const listed = await runSovi(['accounts', 'list', '--json'], env());
    expect(JSON.parse(listed.stdout).accounts.map((a: { username: string }) => a.username)).not.toContain(
      'cli_imp_1',
    );

    const good = path.join(dir, 'good.csv');
    const rows = Array.from(
      { length: 3000 },
      (_, i) => `instagram,cli_bulk_${i},true_crime,${canary('password')}`,
    );
    await fs.writeFile(good, `platform,username,niche,password\n${rows.join('\n')}\n`);
    const imported = await runSovi(['accounts', 'import', good], env());
    expect(imported.stdout).toContain(`imported 3000 accounts from ${good}`);
    expect(imported.stderr).toMatch(/import good\.csv: 100% \(3000\/3000\)/); // Progress on a non-terminal.
    const page = JSON.parse(
      (await runSovi(['accounts', 'list', '--niche', 'true_crime', '--limit', '2', '--json'], env())).stdout,
    );
    expect(page.accounts).toHaveLength(2);
    expect(page.nextCursor).toEqual(expect.any(String));
    await fs.rm(dir, { recursive: true });
  });

  it('deletes and restores', async () => {
    await runSovi(
      ['accounts', 'add', '--platform', 'tiktok', '--username', 'cli_del', '--no-secrets'],
      env(),
    );
    const id = JSON.parse((await runSovi(['accounts', 'show', 'cli_del', '--json'], env())).stdout)
      .id as string;
    expect((await runSovi(['accounts', 'delete', 'cli_del', '--reason', 'sold'], env())).code).toBe(0);
    expect((await runSovi(['accounts', 'show', 'cli_del'], env())).code).toBe(3);
    expect((await runSovi(['accounts', 'restore', id], env())).stdout).toContain('restored tiktok:cli_del');
  });
});

describe('sovi keys', { timeout: cliTestTimeout(4) }, () => {
  it('generates a key, rotates to it with progress, and reports values per key', async () => {
    const generated = await runSovi(['keys', 'generate', '--id', 'k2']);
    expect(generated.stdout).toMatch(/^k2:[A-Za-z0-9+/]{43}=\n$/);
    const k2 = generated.stdout.trim();
    const before = JSON.parse((await runSovi(['keys', 'status', '--json'], env())).stdout);
    expect(before.find((r: { keyId: string }) => r.keyId === 'k1')).toMatchObject({
      configured: true,
      newest: true,
    });

    const rotated = await runSovi(
      ['keys', 'rotate', '--batch-size', '100'],
      env({ SOVI_VAULT_KEYS: `${k1},${k2}` }),
    );
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(
      /rotated to key k2: \d+ values re-encrypted .*; 0 values left on older keys/,
    );
    expect(rotated.stderr).toMatch(/rotate: 100%/);
    const after = JSON.parse(
      (await runSovi(['keys', 'status', '--json'], env({ SOVI_VAULT_KEYS: k2 }))).stdout,
    );
    expect(after).toEqual([{ keyId: 'k2', values: expect.any(Number), configured: true, newest: true }]);
  });

  it('refuses bad key configuration by variable, without echoing key material', async () => {
    const result = await runSovi(
      ['accounts', 'reveal', 'cli_alice'],
      env({ SOVI_VAULT_KEYS: 'k1:c2hvcnQ=' }),
    );
    expect(result.code).toBe(78);
    expect(result.stderr).toMatch(/SOVI_VAULT_KEYS: key "k1" must be 32 bytes/);
    expect(result.stderr).not.toContain('c2hvcnQ=');
  });
});

describe('sovi events', { timeout: cliTestTimeout(7) }, () => {
  it('lists, resolves, and follows with tail -f', async () => {
    // Info events are facts, recorded resolved; a warning waits in the inbox.
    const info = JSON.parse(
      (await runSovi(['events', 'list', '--type', 'state_changed', '--json'], env())).stdout,
    );
    expect(info.events[0]).toMatchObject({ severity: 'info', resolved: true, resolvedBy: 'auto' });
    await t.pool.query(
      `INSERT INTO system_events (category, severity, event_type, message) VALUES ('device', 'warning', 'battery_low', 'low')`,
    );
    const inbox = JSON.parse((await runSovi(['events', 'list', '--unresolved', '--json'], env())).stdout);
    const id = inbox.events[0].id as number;
    const resolved = await runSovi(
      ['events', 'resolve', String(id), '--by', 'human', '--note', 'checked'],
      env(),
    );
    expect(resolved.stdout).toMatch(new RegExp(`resolved #${id} \\(battery_low\\) by human`));
    const again = await runSovi(['events', 'resolve', String(id), '--by', 'human'], env());
    expect(again.code).toBe(4);
    expect((await runSovi(['events', 'resolve', String(id), '--by', 'me'], env())).stderr).toMatch(
      /argument 'me' is invalid. Allowed choices are human, llm_agent, auto/,
    );
    expect((await runSovi(['events', 'list', '--since', 'yesterday'], env())).stderr).toMatch(
      /--since: expected an ISO-8601 time/,
    );

    const tail = spawn(
      process.execPath,
      [SOVI_BIN, 'events', 'tail', '-f', '-n', '0', '--type', 'tail_probe'],
      {
        env: cliEnv(env()),
      },
    );
    let out = '';
    const seen = new Promise<void>((resolve) => {
      tail.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('tail probe 2')) resolve();
      });
    });
    // Once the follower says it listens, record two events.
    await new Promise<void>((resolve) => {
      let err = '';
      tail.stderr.on('data', (chunk: Buffer) => {
        err += chunk.toString();
        if (err.includes('following new events')) resolve();
      });
    });
    for (const n of [1, 2]) {
      await t.pool.query(
        `INSERT INTO system_events (category, severity, event_type, message) VALUES ('system', 'info', 'tail_probe', $1)`,
        [`tail probe ${n}`],
      );
    }
    await seen;
    tail.kill('SIGINT');
    const code = await new Promise((resolve) => tail.on('exit', resolve));
    expect(code).toBe(0);
    expect(out).toMatch(/tail probe 1[\s\S]*tail probe 2/);
  });
});
