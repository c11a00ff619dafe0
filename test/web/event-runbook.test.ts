// The dashboard in Chromium: an event's details show its runbook (what it means, what usually fixes it,
// the agent tools that do it), the same table the MCP server serves to agents, and the triage agent's work
// on it: its summary, each tool call, and a proposal a person accepts (it runs as them) or rejects. The
// proposals come from the real triage agent, asking a local OpenAI-compatible endpoint (test/fakes).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTriageAgent } from '../../src/agent/triage-agent.ts';
import { loadConfig } from '../../src/config.ts';
import { createEventNotifier } from '../../src/events/event-notifier.ts';
import { recordEvent } from '../../src/events/events-service.ts';
import { runbooks } from '../../src/events/runbooks.ts';
import { listAudit } from '../../src/audit/audit-service.ts';
import { getEvent } from '../../src/events/events-service.ts';
import { loadPolicies } from '../../src/policies.ts';
import { agentPolicySchema } from '../../src/settings/agent-settings.ts';
import { eventTriage } from '../../src/triage/triage-service.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import { until } from '../helpers/until.ts';
import { startFakeOpenAi, toolResults, type ChatRequest } from '../fakes/fake-openai.ts';
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
    // The model's side: read the device, propose maintenance, then say why.
    const fake = await startFakeOpenAi();
    fake.script = (request: ChatRequest) => {
      const user = request.messages.find((m) => m.role === 'user');
      const { event } = JSON.parse(user?.content ?? '{}') as {
        event: { deviceId: string; message: string };
      };
      const done = toolResults(request);
      if (done === 0) return { toolCalls: [{ name: 'get_device', arguments: { device: event.deviceId } }] };
      if (done === 1) {
        return {
          toolCalls: [
            { name: 'set_device_maintenance', arguments: { device: event.deviceId, maintenance: true } },
          ],
        };
      }
      return { content: `${event.message}: put it in maintenance to charge.` };
    };
    const notifier = createEventNotifier(t.pool, quietLogger);
    const config = loadConfig({ SOVI_HOST_NAME: 'dashboard-agent-host' });
    // The default policy: propose only.
    const agent = startTriageAgent({
      deps: {
        db: t.db,
        vault: dashboard.api.vault,
        config,
        policies: loadPolicies(config),
        logger: quietLogger,
        contentSink: async () => undefined,
        planNow: undefined,
      },
      policy: agentPolicySchema.parse({}),
      chat: { url: fake.url, model: 'gpt-test', apiKey: 'sk-test', timeoutMs: 30_000 },
      subscribe: notifier.subscribe,
      pollMs: 200,
    });
    try {
      await agent.ready;
      const proposeFor = async (name: string) => {
        const device = await factories.device(t.pool, { status: 'active', name });
        const event = await recordEvent(t.db, {
          category: 'device',
          severity: 'warning',
          eventType: 'battery_low',
          message: `battery at 5% on ${name}`,
          deviceId: device.id as string,
        });
        const triage = await until(
          `the agent's proposal for event ${event.id}`,
          async () => (await eventTriage(t.db, event.id)).find((x) => x.status === 'proposed'),
          { timeoutMs: 60_000 },
        );
        expect(triage.proposedActions).toEqual([
          { name: 'set_device_maintenance', arguments: { device: device.id, maintenance: true } },
        ]);
        // Proposed, not done.
        const still = await t.pool.query('SELECT status FROM devices WHERE id = $1', [device.id]);
        expect(still.rows[0].status).toBe('active');
        return { device, event };
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
      expect(await work.textContent()).toContain(`battery at 5% on ${accept.device.name as string}: put it`);
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
    } finally {
      await agent.stop();
      await notifier.close();
      await fake.close();
    }
  }, 120_000);
});
