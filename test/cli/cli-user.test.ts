// SOVI_USER: the command line acting as a sovi user. A command runs only if the user's role allows its
// action (src/cli/command-roles.ts), a disabled or unknown user runs nothing, and the audit trail names
// the user.
import { describe, expect, it } from 'vitest';
import { addUser, disableUser } from '../../src/users/users-service.ts';
import { cliTestTimeout, runSovi } from '../helpers/cli.ts';
import { useTestDatabase } from '../helpers/database.ts';

const t = useTestDatabase();

const as = (user: string, args: string[]) => runSovi(args, { DATABASE_URL: t.url, SOVI_USER: user });

describe('SOVI_USER', { timeout: cliTestTimeout(8) }, () => {
  it('runs what the role allows and refuses the rest with exit 5, naming the role needed', async () => {
    await addUser(t.db, { name: 'vera', role: 'viewer', password: 'a long password for vera' }, 'test');
    await addUser(t.db, { name: 'otto', role: 'operator', password: 'a long password for otto' }, 'test');

    const read = await as('vera', ['devices', 'list']);
    expect(read.code, read.stderr).toBe(0);

    const refused = await as('vera', ['devices', 'add', '--name', 'vera-phone', '--udid', 'vera-udid']);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/SOVI_USER: "vera" is viewer; "sovi devices add" needs the operator role/);
    expect((await t.pool.query(`SELECT 1 FROM devices WHERE name = 'vera-phone'`)).rowCount).toBe(0);

    const added = await as('otto', ['devices', 'add', '--name', 'otto-phone', '--udid', 'otto-udid']);
    expect(added.code, added.stderr).toBe(0);
    const audit = await t.pool.query<{ actor: string }>(
      `SELECT actor FROM audit_log WHERE action = 'device.create' AND target_label = 'otto-phone'`,
    );
    expect(audit.rows).toEqual([{ actor: 'user:otto (cli)' }]);

    const reveal = await as('otto', ['accounts', 'reveal', 'tiktok:nobody']);
    expect(reveal.code).toBe(5);
    expect(reveal.stderr).toMatch(/needs the admin role/);
  });

  it('runs nothing for an unknown or disabled user', async () => {
    const unknown = await as('nobody', ['devices', 'list']);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/SOVI_USER: no user "nobody"/);

    // Another admin stays: the last enabled admin cannot be disabled.
    await addUser(t.db, { name: 'ada', role: 'admin', password: 'a long password for ada' }, 'test');
    await addUser(t.db, { name: 'dora', role: 'admin', password: 'a long password for dora' }, 'test');
    await disableUser(t.db, 'dora', 'test');
    const disabled = await as('dora', ['devices', 'list']);
    expect(disabled.code).toBe(5);
    expect(disabled.stderr).toMatch(/SOVI_USER: user "dora" is disabled/);
  });
});
