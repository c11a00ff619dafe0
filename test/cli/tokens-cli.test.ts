// `sovi tokens create|list|revoke`, run as a user runs them.
import { describe, expect, it } from 'vitest';
import { authenticateToken } from '../../src/auth/tokens-service.ts';
import { cliTestTimeout, runSovi, type CliResult } from '../helpers/cli.ts';
import { useTestDatabase } from '../helpers/database.ts';

const t = useTestDatabase();

const sovi = (args: string[]): Promise<CliResult> =>
  runSovi(args, { DATABASE_URL: t.url, SOVI_ACTOR: 'cli-tester' });

describe('sovi tokens', { timeout: cliTestTimeout(7) }, () => {
  it('create prints the token once, on stdout alone, and it authenticates', async () => {
    const created = await sovi(['tokens', 'create', '--name', 'ops-laptop']);
    expect(created.code, created.stderr).toBe(0);
    const secret = created.stdout.trim();
    expect(secret).toMatch(/^sovi_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toMatch(/created admin token "ops-laptop" .*shown this once/);
    expect(created.stderr).not.toContain(secret);
    expect(await authenticateToken(t.db, secret)).toMatchObject({
      token: { name: 'ops-laptop', readOnly: false },
    });

    const json = await sovi(['tokens', 'create', '--name', 'grafana', '--read-only', '--json']);
    expect(json.code).toBe(0);
    const body = JSON.parse(json.stdout);
    expect(body).toMatchObject({ name: 'grafana', readOnly: true, token: expect.stringMatching(/^sovi_/) });
    expect(await authenticateToken(t.db, body.token)).toMatchObject({
      token: { name: 'grafana', readOnly: true },
    });
  });

  it('list shows tokens without their secrets', async () => {
    const created = await sovi(['tokens', 'create', '--name', 'listed']);
    const secret = created.stdout.trim();
    const list = await sovi(['tokens', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/listed\s+\(none\)\s+admin/);
    expect(list.stdout).not.toContain(secret);
    const json = JSON.parse((await sovi(['tokens', 'list', '--json'])).stdout);
    expect(json.map((x: { name: string }) => x.name)).toContain('listed');
    expect(JSON.stringify(json)).not.toContain(secret.slice(5));
  });

  it('revoke ends a token by name or id; a second revoke is a conflict (exit 4)', async () => {
    const secret = (await sovi(['tokens', 'create', '--name', 'short-lived'])).stdout.trim();
    const revoked = await sovi(['tokens', 'revoke', 'short-lived']);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toMatch(/revoked token "short-lived"/);
    expect(await authenticateToken(t.db, secret)).toMatchObject({ ok: false });
    const again = await sovi(['tokens', 'revoke', 'short-lived']);
    expect(again.code).toBe(4);
    expect(again.stderr).toMatch(/revoked already/);
    expect((await sovi(['tokens', 'list'])).stdout).not.toMatch(/short-lived/);
    expect((await sovi(['tokens', 'list', '--all'])).stdout).toMatch(/short-lived/);

    const id = JSON.parse((await sovi(['tokens', 'create', '--name', 'by-id', '--json'])).stdout).id;
    expect((await sovi(['tokens', 'revoke', id])).code).toBe(0);
  });

  it('refuses a bad or taken name, and an unknown token, with the usual exit statuses', async () => {
    expect((await sovi(['tokens', 'create', '--name', 'dup'])).code).toBe(0);
    const taken = await sovi(['tokens', 'create', '--name', 'DUP']);
    expect(taken.code).toBe(4);
    expect(taken.stdout).toBe('');
    const bad = await sovi(['tokens', 'create', '--name', 'has space']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^sovi: name: expected/);
    expect((await sovi(['tokens', 'create'])).code).toBe(2);
    expect((await sovi(['tokens', 'revoke', 'never-made'])).code).toBe(3);
  });
});
