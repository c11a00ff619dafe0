// `sovi notifications`, run as a user runs it: a webhook channel whose URL comes on stdin (never argv) and
// whose signing secret is printed once, rules, a test send to a local receiver, the delivery log, removal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signBody, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../src/notifications/channel-senders.ts';
import { keyLine } from '../helpers/accounts.ts';
import { canary } from '../helpers/canary.ts';
import { cliTestTimeout, runSovi, type CliResult } from '../helpers/cli.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { startHttpPeer, type HttpPeer } from '../notifications/peers.ts';

const t = useTestDatabase();
const key = keyLine('k1');
let receiver: HttpPeer;

beforeAll(async () => (receiver = await startHttpPeer()));
afterAll(async () => receiver?.close());

const sovi = (args: string[], input?: string): Promise<CliResult> =>
  runSovi(args, { DATABASE_URL: t.url, SOVI_ACTOR: 'cli-tester', SOVI_VAULT_KEYS: key }, { input });

describe('sovi notifications', { timeout: cliTestTimeout(10) }, () => {
  it('adds a webhook channel from stdin, routes a rule to it, sends a test and logs it', async () => {
    const path = `/cli/${canary('cli-webhook')}`;
    const added = await sovi(
      [
        'notifications',
        'channels',
        'add',
        'cli-hook',
        '--kind',
        'webhook',
        '--quiet',
        '22:00-07:00',
        '--time-zone',
        'Europe/Paris',
      ],
      `${receiver.url}${path}\n`,
    );
    expect(added.code, added.stderr).toBe(0);
    const secret = added.stdout.trim();
    expect(secret).toMatch(/^[\w-]{43}$/);
    expect(added.stderr).toMatch(/added webhook channel cli-hook .*shown this once/);

    const shown = await sovi(['notifications', 'channels', 'show', 'cli-hook']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/quiet hours\s+22:00–07:00/);
    expect(shown.stdout).toMatch(/secrets\s+url, signingKey \(sealed\)/);
    expect(shown.stdout).not.toContain(secret);

    const rule = await sovi([
      'notifications',
      'rules',
      'add',
      'cli-hook',
      '--min-severity',
      'error',
      '--category',
      'device,account',
      '--json',
    ]);
    expect(rule.code, rule.stderr).toBe(0);
    const ruleId = (JSON.parse(rule.stdout) as { id: string }).id;
    const rules = await sovi(['notifications', 'rules', 'list']);
    expect(rules.stdout).toMatch(/cli-hook\s+error\+\s+device,account/);

    const test = await sovi(['notifications', 'test', 'cli-hook']);
    expect(test.code, test.stderr).toBe(0);
    expect(test.stdout).toMatch(/test to cli-hook: sent \(200, \d+ ms\)/);
    const post = receiver.posts.find((p) => p.path === path)!;
    expect(post.headers[SIGNATURE_HEADER]).toBe(
      signBody(secret, String(post.headers[TIMESTAMP_HEADER]), post.body),
    );

    const log = await sovi(['notifications', 'deliveries', '--channel', 'cli-hook', '--status', 'sent']);
    expect(log.code, log.stderr).toBe(0);
    expect(log.stdout).toMatch(/cli-hook\s+test\s+sent\s+1\s+200/);

    expect((await sovi(['notifications', 'rules', 'remove', ruleId])).code).toBe(0);
    const removed = await sovi(['notifications', 'channels', 'remove', 'cli-hook']);
    expect(removed.stdout).toContain('removed channel cli-hook');
    const audit = await t.pool.query<{ action: string; changes: Record<string, unknown> }>(
      `SELECT action, changes FROM audit_log WHERE target_type LIKE 'notification_%' ORDER BY id`,
    );
    expect(audit.rows.map((r) => r.action)).toEqual([
      'notification_channel.add',
      'notification_rule.add',
      'notification_channel.test',
      'notification_rule.remove',
      'notification_channel.remove',
    ]);
    expect(audit.rows[0]!.changes.url).toBe('changed');
    expect(audit.rows[0]!.changes.signingKey).toBe('changed');
  });

  it('refuses a bad quiet-hours value and an unknown channel, naming the field', async () => {
    const bad = await sovi(
      ['notifications', 'channels', 'add', 'x', '--kind', 'slack', '--quiet', 'late'],
      'http://127.0.0.1:9/x\n',
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--quiet: expected HH:MM-HH:MM');
    const missing = await sovi(['notifications', 'test', 'nobody']);
    expect(missing.code).toBe(3);
  });
});
