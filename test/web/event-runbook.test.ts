// The dashboard in Chromium: an event's details show its runbook (what it means, what usually fixes it,
// the agent tools that do it), the same table the MCP server serves to agents, and the triage agent's work
// on it: its summary, each tool call, and a proposal a person accepts (it runs as them) or rejects.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordEvent } from '../../src/events/events-service.ts';
import { runbooks } from '../../src/events/runbooks.ts';
import { listAudit } from '../../src/audit/audit-service.ts';
import { getEvent } from '../../src/events/events-service.ts';
import { recordTriage } from '../../src/triage/triage-service.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import {
  atBothWidths,
  hasChromium,
  openDashboard,
  signInWithRole,
  visit,
  type Dashboard,
} from './browser.ts';

const t = useTestDatabase();
let dashboard: Dashboard;

describe.skipIf(!hasChromium)('dashboard: event runbooks', () => {
  beforeAll(async () => {
    dashboard = await openDashboard(t);
  });
  afterAll(async () => {
    await dashboard?.close();
  });

  it('shows the runbook of an event type in its details, and a general one for a type without', async () => {
    const device = await factories.device(t.pool, { status: 'active' });
    const battery = await recordEvent(t.db, {
      category: 'device',
      severity: 'warning',
      eventType: 'battery_low',
      message: 'battery at 8%',
      deviceId: device.id as string,
    });
    const odd = await recordEvent(t.db, {
      category: 'system',
      severity: 'error',
      eventType: 'something_unusual',
      message: 'an event nobody wrote a runbook for',
    });
    await signInWithRole(dashboard, t.db, 'viewer');
    const { page } = dashboard;
    await visit(dashboard, '/events');
    const row = page.locator(`li[data-event-id="${battery.id}"]`);
    await row.waitFor();
    expect(await row.locator('.runbook').count()).toBe(0);
    await row.getByRole('button', { name: 'details' }).click();
    const book = row.getByLabel('Runbook');
    await book.waitFor();
    const battery_low = runbooks.battery_low;
    if (!battery_low) throw new Error('battery_low has a runbook');
    expect(await book.textContent()).toContain(battery_low.meaning);
    expect(await book.locator('li').count()).toBe(battery_low.fixes.length);
    expect(await book.textContent()).toMatch(
      /Agent tools: get_device, set_device_maintenance, resolve_event/,
    );
    await atBothWidths(page, 'event-runbook', 'viewer');

    const other = page.locator(`li[data-event-id="${odd.id}"]`);
    await other.getByRole('button', { name: 'details' }).click();
    expect(await other.getByLabel('Runbook').textContent()).toMatch(
      /No runbook is written for this event type/,
    );
  });

  it('shows the agent’s proposal; an operator accepts one (it runs as them) and rejects another', async () => {
    const proposeFor = async (name: string) => {
      const device = await factories.device(t.pool, { status: 'active', name });
      const event = await recordEvent(t.db, {
        category: 'device',
        severity: 'warning',
        eventType: 'battery_low',
        message: `battery at 5% on ${name}`,
        deviceId: device.id as string,
      });
      const action = { name: 'set_device_maintenance', arguments: { device: device.id, maintenance: true } };
      const triage = await recordTriage(t.db, {
        eventId: event.id,
        fingerprint: `fp-${event.id}`,
        agent: 'llm_agent:triage (sovi)',
        mode: 'propose',
        status: 'proposed',
        summary: `The battery of ${name} is low: put it in maintenance to charge.`,
        toolCalls: [
          { name: 'get_device', arguments: { device: device.id }, ok: true, result: '{}' },
          { ...action, ok: true, result: 'recorded as a proposal' },
        ],
        proposedActions: [action],
      });
      return { device, event, triage: triage! };
    };
    const accept = await proposeFor(`agent-accept-${process.pid}`);
    const reject = await proposeFor(`agent-reject-${process.pid}`);
    await signInWithRole(dashboard, t.db, 'operator');
    const { page } = dashboard;
    await visit(dashboard, '/events');

    const row = page.locator(`li[data-event-id="${accept.event.id}"]`);
    await row.getByRole('button', { name: 'details' }).click();
    const work = row.getByLabel('Agent triage');
    await work.waitFor();
    expect(await work.textContent()).toContain('put it in maintenance to charge');
    expect(await work.locator('.agent-calls li').count()).toBe(2);
    await atBothWidths(page, 'event-proposal', 'operator');
    await work.getByRole('button', { name: 'Accept proposal' }).click();
    await row.getByText(/resolved by human/).waitFor();
    const device = await t.pool.query('SELECT status FROM devices WHERE id = $1', [accept.device.id]);
    expect(device.rows[0].status).toBe('maintenance');
    expect((await getEvent(t.db, accept.event.id)).resolvedBy).toBe('human');
    const audit = await listAudit(t.db, { target: { type: 'device', id: accept.device.id as string } });
    expect(audit.entries[0]).toMatchObject({
      action: 'device.maintenance',
      actor: expect.stringMatching(/^user:operator-/),
    });

    const other = page.locator(`li[data-event-id="${reject.event.id}"]`);
    await other.getByRole('button', { name: 'details' }).click();
    await other.getByRole('button', { name: 'Reject' }).click();
    await other.getByText(/rejected by user:operator-/).waitFor();
    const untouched = await t.pool.query('SELECT status FROM devices WHERE id = $1', [reject.device.id]);
    expect(untouched.rows[0].status).toBe('active');
    expect((await getEvent(t.db, reject.event.id)).resolved).toBe(false);

    // A reviewer may decide, but not put a phone in maintenance: no Accept, only Reject.
    const pending = await proposeFor(`agent-reviewer-${process.pid}`);
    await signInWithRole(dashboard, t.db, 'reviewer');
    await visit(dashboard, '/events');
    const theirs = page.locator(`li[data-event-id="${pending.event.id}"]`);
    await theirs.getByRole('button', { name: 'details' }).click();
    await theirs.getByText(/Accepting needs a role allowed to run every proposed action/).waitFor();
    expect(await theirs.getByRole('button', { name: 'Accept proposal' }).count()).toBe(0);
    expect(await theirs.getByRole('button', { name: 'Reject' }).count()).toBe(1);
  });
});
