// `sovi users …` and `sovi tokens create --user`, run as a user runs them: the password comes from stdin,
// never an argument, and never reaches the output.
import { describe, expect, it } from 'vitest';
import { authenticateToken } from '../../src/auth/tokens-service.ts';
import { verifySignIn } from '../../src/users/users-service.ts';
import { canary, findCanaries, scanDatabaseForCanaries } from '../helpers/canary.ts';
import { cliTestTimeout, runSovi, type CliResult } from '../helpers/cli.ts';
import { useTestDatabase } from '../helpers/database.ts';

const t = useTestDatabase();

const sovi = (args: string[], input?: string): Promise<CliResult> =>
  runSovi(args, { DATABASE_URL: t.url, SOVI_ACTOR: 'cli-tester' }, input === undefined ? {} : { input });

describe('sovi users', { timeout: cliTestTimeout(14) }, () => {
  it('add reads the password from stdin, and the user signs in with it', async () => {
    const password = canary('password');
    const added = await sovi(['users', 'add', '--name', 'alice', '--role', 'admin'], `${password}\n`);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/added admin alice .*niches: all/);
    const verdict = await verifySignIn(t.db, { name: 'alice', password, address: '127.0.0.1' });
    expect(verdict).toMatchObject({ ok: true, user: { name: 'alice', role: 'admin' } });
    expect(findCanaries(added.stdout + added.stderr)).toEqual([]);

    const short = await sovi(['users', 'add', '--name', 'bob', '--role', 'viewer'], 'short\n');
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/at least 12 characters/);
    const badRole = await sovi(['users', 'add', '--name', 'bob', '--role', 'boss'], `${password}\n`);
    expect(badRole.code).toBe(2);
    const taken = await sovi(['users', 'add', '--name', 'ALICE', '--role', 'viewer'], `${password}\n`);
    expect(taken.code).toBe(4);
  });

  it('list, show and update a user; update without a change is an error', async () => {
    await sovi(['users', 'add', '--name', 'carol', '--role', 'viewer'], `${canary('password')}\n`);
    const list = await sovi(['users', 'list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/carol\s+viewer\s+all\s+enabled\s+never/);
    const json = JSON.parse((await sovi(['users', 'list', '--json'])).stdout);
    expect(json.map((u: { name: string }) => u.name)).toContain('carol');
    expect(JSON.stringify(json)).not.toMatch(/scrypt/);

    const updated = await sovi(['users', 'update', 'carol', '--role', 'operator']);
    expect(updated.code, updated.stderr).toBe(0);
    expect((await sovi(['users', 'show', 'carol'])).stdout).toMatch(/role\s+operator/);
    expect((await sovi(['users', 'update', 'carol'])).code).toBe(2);
    expect((await sovi(['users', 'show', 'nobody'])).code).toBe(3);
  });

  it('disable ends sign-in and the user’s tokens; enable restores them; reset-password sets a new one', async () => {
    const first = canary('password');
    await sovi(['users', 'add', '--name', 'dave', '--role', 'operator'], `${first}\n`);
    const created = await sovi([
      'tokens',
      'create',
      '--name',
      'dave-laptop',
      '--user',
      'dave',
      '--role',
      'viewer',
      '--expires-in',
      '30d',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const secret = created.stdout.trim();
    expect(created.stderr).toMatch(/viewer token "dave-laptop" .* for dave, expires/);
    expect(await authenticateToken(t.db, secret)).toMatchObject({
      ok: true,
      token: { effectiveRole: 'viewer' },
    });
    const tokens = await sovi(['tokens', 'list']);
    expect(tokens.stdout).toMatch(/dave-laptop\s+dave\s+viewer/);

    expect((await sovi(['users', 'disable', 'dave'])).code).toBe(0);
    expect(await authenticateToken(t.db, secret)).toMatchObject({ ok: false });
    expect(await verifySignIn(t.db, { name: 'dave', password: first, address: '127.0.0.1' })).toMatchObject({
      ok: false,
    });
    expect((await sovi(['users', 'enable', 'dave'])).code).toBe(0);
    expect(await authenticateToken(t.db, secret)).toMatchObject({ ok: true });

    const next = canary('password');
    const reset = await sovi(['users', 'reset-password', 'dave'], `${next}\n`);
    expect(reset.code, reset.stderr).toBe(0);
    expect(await verifySignIn(t.db, { name: 'dave', password: next, address: '127.0.0.2' })).toMatchObject({
      ok: true,
    });
    expect(await scanDatabaseForCanaries(t.pool)).toEqual([]);
  });

  it('will not disable the last enabled admin', async () => {
    const admins = JSON.parse((await sovi(['users', 'list', '--json'])).stdout).filter(
      (u: { role: string }) => u.role === 'admin',
    );
    expect(admins.map((u: { name: string }) => u.name)).toEqual(['alice']);
    const refused = await sovi(['users', 'disable', 'alice']);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/last enabled admin/);
  });
});
