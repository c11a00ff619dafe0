// The dashboard in Chromium: an event's details show its runbook (what it means, what usually fixes it,
// the agent tools that do it), the same table the MCP server serves to agents.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordEvent } from '../../src/events/events-service.ts';
import { runbooks } from '../../src/events/runbooks.ts';
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
});
