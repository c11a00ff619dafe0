// `sovi devices …` as the team uses it: the real binary against a real database, with the exit statuses
// and one-line messages the README promises. Each test works on devices of its own.
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeWda, type FakeWda } from '../../src/devices/fake-wda-server.ts';
import { cliTestTimeout, runSovi, type CliResult } from '../helpers/cli.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';

const t = useTestDatabase();

const fakes: FakeWda[] = [];
afterAll(() => Promise.all(fakes.map((f) => f.close())));

const sovi = (...args: string[]) =>
  // 1.5 s: long enough for the in-process fake to answer on a busy machine, short enough for the hang test.
  runSovi(['devices', ...args], { DATABASE_URL: t.url, SOVI_HEALTH_TIMEOUT_MS: '1500' });

function fails(result: CliResult, code: number, message: RegExp): void {
  expect(result.code).toBe(code);
  expect(result.stderr).toMatch(message);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

let n = 0;
const unique = (prefix: string) => `${prefix}-${++n}-${Math.random().toString(36).slice(2, 7)}`;

describe('sovi devices add, list and show', { timeout: cliTestTimeout(5) }, () => {
  it('adds a device, lists it, and shows it with its accounts and events', async () => {
    const name = unique('cli-iPhone');
    const udid = unique('00008030');
    const added = await sovi(
      'add',
      '--name',
      name,
      '--udid',
      udid,
      '--model',
      'iPhone 13',
      '--wda-port',
      '8105',
    );
    expect(added.code).toBe(0);
    expect(added.stdout).toContain(`added device ${name} (udid ${udid}`);
    expect(added.stdout).toContain('status disconnected');

    const list = await sovi('list');
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(
      /^name\s+host\s+udid\s+model\s+iOS\s+port\s+status\s+battery\s+storage\s+connected since\s+last seen$/,
    );
    expect(list.stdout).toMatch(
      new RegExp(`${name}\\s+\\S+\\s+${udid}\\s+iPhone 13\\s+8105\\s+disconnected`),
    );

    const [json] = JSON.parse((await sovi('list', '--status', 'disconnected', '--json')).stdout).filter(
      (d: { udid: string }) => d.udid === udid,
    );
    expect(json).toMatchObject({ name, udid, wdaPort: 8105, status: 'disconnected', batteryLevel: null });

    await factories.account(t.pool, { device_id: json.id });
    await factories.event(t.pool, { category: 'device', event_type: 'cable_checked', device_id: json.id });
    const show = await sovi('show', name);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/accounts\s+1 assigned/);
    expect(show.stdout).toMatch(/cable_checked\s+open/);
    const details = JSON.parse((await sovi('show', udid, '--json')).stdout);
    expect(details).toMatchObject({ device: { id: json.id }, assignedAccounts: 1 });
    expect(details.recentEvents[0]).toMatchObject({ eventType: 'cable_checked' });
  });

  it('refuses bad input with exit 2, naming the option, and writes nothing', async () => {
    const udid = unique('bad');
    const results = await Promise.all([
      sovi('add', '--name', 'x', '--udid', udid, '--wda-port', '70000'),
      sovi('add', '--name', 'x', '--udid', udid, '--status', 'sleeping'),
      sovi('add', '--udid', udid),
      sovi('list', '--status', 'lost'),
    ]);
    fails(results[0], 2, /^sovi: --wda-port: expected an integer between 1 and 65535, got "70000"$/m);
    fails(
      results[1],
      2,
      /--status: expected one of active, maintenance, failed, disconnected, got "sleeping"/,
    );
    fails(results[2], 2, /--name: a non-empty value is required/);
    fails(results[3], 2, /--status: expected one of/);
    expect((await t.pool.query('SELECT 1 FROM devices WHERE udid = $1', [udid])).rowCount).toBe(0);
  });

  it('refuses a duplicate udid with exit 4, naming it', async () => {
    const udid = unique('twice');
    expect((await sovi('add', '--name', unique('one'), '--udid', udid)).code).toBe(0);
    fails(
      await sovi('add', '--name', unique('two'), '--udid', udid),
      4,
      new RegExp(`a device with udid ${udid} already exists`),
    );
  });

  it('reports an unknown device with exit 3, naming it', async () => {
    const results = await Promise.all([
      sovi('show', 'ghost-phone'),
      sovi('update', 'ghost-phone', '--model', 'x'),
      sovi('remove', 'ghost-phone'),
    ]);
    for (const result of results) fails(result, 3, /^sovi: device "ghost-phone" does not exist$/m);
  });
});

describe('sovi devices update and remove', { timeout: cliTestTimeout(5) }, () => {
  it('updates what is given and refuses out-of-range values', async () => {
    const name = unique('upd');
    await sovi('add', '--name', name, '--udid', unique('u'));
    const updated = await sovi(
      'update',
      name,
      '--battery',
      '55',
      '--storage-free-gb',
      '9.5',
      '--status',
      'maintenance',
    );
    expect(updated.code).toBe(0);
    expect(updated.stdout).toContain('status maintenance');
    const [row] = (
      await t.pool.query('SELECT battery_level, storage_free_gb, status FROM devices WHERE name = $1', [name])
    ).rows;
    expect(row).toEqual({ battery_level: 55, storage_free_gb: 9.5, status: 'maintenance' });

    const [battery, port, nothing] = await Promise.all([
      sovi('update', name, '--battery', '101'),
      sovi('update', name, '--wda-port', 'abc'),
      sovi('update', name),
    ]);
    fails(battery, 2, /--battery: expected a number between 0 and 100, got "101"/);
    fails(port, 2, /--wda-port: expected an integer between 1 and 65535, got "abc"/);
    fails(nothing, 2, /nothing to update/);
  });

  it('shows the age of the battery reading, and an old one as unknown with why it cannot be read', async () => {
    const name = unique('age');
    await sovi('add', '--name', name, '--udid', unique('u'));
    await sovi('update', name, '--battery', '72');
    const fresh = await sovi('show', name);
    expect(fresh.stdout).toMatch(/^battery\s+72% \(\d+ s ago\)$/m);
    await t.pool.query(
      `UPDATE devices SET battery_level = NULL, battery_read_at = now() - interval '3 hours',
              battery_unknown_reason = 'WDA has no session, so the battery cannot be read' WHERE name = $1`,
      [name],
    );
    const stale = await sovi('show', name);
    expect(stale.stdout).toMatch(/^battery\s+unknown \(last read 3 h ago\)$/m);
    expect(stale.stdout).toMatch(/^not read now\s+WDA has no session, so the battery cannot be read$/m);
    const list = await sovi('list');
    expect(list.stdout).toMatch(new RegExp(`^${name} .*unknown \\(last read 3 h ago\\)`, 'm'));
  });

  it('refuses to remove a device with accounts (exit 4, naming the count) unless --force', async () => {
    const name = unique('rm');
    await sovi('add', '--name', name, '--udid', unique('u'));
    const [device] = (await t.pool.query('SELECT id FROM devices WHERE name = $1', [name])).rows;
    await factories.account(t.pool, { device_id: device.id });
    await factories.account(t.pool, { device_id: device.id });
    fails(await sovi('remove', name), 4, /has 2 accounts assigned/);
    const forced = await sovi('remove', name, '--force');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain(`removed device ${name}`);
    expect(forced.stdout).toContain('unassigned 2 accounts');
    expect((await t.pool.query('SELECT 1 FROM accounts WHERE device_id = $1', [device.id])).rowCount).toBe(0);
  });
});

describe('sovi devices check', { timeout: cliTestTimeout(4) }, () => {
  it('runs one round and says, per device, what changed', async () => {
    const healthy = await startFakeWda({ sessionId: 'S', battery: 0.64 });
    const hanging = await startFakeWda({ mode: 'hang' });
    fakes.push(healthy, hanging);
    const up = unique('check-up');
    const stuck = unique('check-stuck');
    await sovi('add', '--name', up, '--udid', unique('u'), '--wda-port', String(healthy.port));
    await sovi(
      'add',
      '--name',
      stuck,
      '--udid',
      unique('u'),
      '--wda-port',
      String(hanging.port),
      '--status',
      'active',
    );

    const check = await sovi('check');
    // One timeout, and the process exits: the round waits once for the device that never answers, and no
    // socket to it keeps the process alive after the report. (Starting Node is no part of either.)
    expect(Number(/ in (\d+) ms/.exec(check.stdout)?.[1])).toBeLessThan(5_000);
    expect(check.exitMsAfterOutput).toBeLessThan(5_000);
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(
      new RegExp(`${up}\\s+\\S+\\s+disconnected → active\\s+64%\\s+healthy; recorded device_reconnected`),
    );
    expect(check.stdout).toMatch(
      new RegExp(`${stuck}\\s+\\S+\\s+active\\s+unreachable: no answer within 1500 ms`),
    );
    expect(check.stdout).toMatch(/\d+ polled, \d+ skipped, in \d+ ms/);

    const report = JSON.parse((await sovi('check', '--json')).stdout);
    expect(report.devices.find((c: { name: string }) => c.name === up)).toMatchObject({
      before: 'active',
      after: 'active',
      outcome: 'healthy',
      batteryLevel: 64,
    });
  });
});

it('explains every devices command with --help', { timeout: cliTestTimeout(6) }, async () => {
  const commands = ['add', 'list', 'show', 'update', 'remove', 'check'];
  const results = await Promise.all(commands.map((command) => runSovi(['devices', command, '--help'])));
  results.forEach((result, i) => {
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^Usage: sovi devices ${commands[i]}`));
  });
});
