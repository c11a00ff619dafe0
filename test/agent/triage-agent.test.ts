// The event-triage agent end to end, against a local OpenAI-compatible endpoint (test/fakes/fake-openai.ts)
// scripted per test: act (the device goes into maintenance and the event is resolved as llm_agent), propose
// (a person accepts or rejects through the API), ignore, its bounds (events per minute under 500 events,
// tool calls per event, the deadline), a malformed tool call and an endpoint that is down. No plaintext
// secret reaches the endpoint: not in any test's prompts, nor when the model calls every read tool on an
// account with secrets.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addAccount } from '../../src/accounts/accounts-service.ts';
import { listAudit } from '../../src/audit/audit-service.ts';
import { startTriageAgent, type TriageAgent } from '../../src/agent/triage-agent.ts';
import { agentTools } from '../../src/mcp/tools.ts';
import { createEventNotifier, type EventNotifier } from '../../src/events/event-notifier.ts';
import { getEvent, recordEvent } from '../../src/events/events-service.ts';
import { loadPolicies } from '../../src/policies.ts';
import { loadConfig } from '../../src/config.ts';
import { agentPolicySchema, type AgentPolicy } from '../../src/settings/agent-settings.ts';
import { eventTriage } from '../../src/triage/triage-service.ts';
import type { Triage } from '../../src/triage/triage-model.ts';
import { findCanaries } from '../helpers/canary.ts';
import { accountDeps, keyLine, newAccount, vaultWith } from '../helpers/accounts.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import { until } from '../helpers/until.ts';
import { startTestApp, type TestApp } from '../http/helpers.ts';
import { eventIdOf, startFakeOpenAi, toolResults, type FakeOpenAi } from '../fakes/fake-openai.ts';

const t = useTestDatabase();
const vault = vaultWith(keyLine('k1'));
let fake: FakeOpenAi;
let notifier: EventNotifier;
let api: TestApp;
let agent: TriageAgent | undefined;

beforeAll(async () => {
  fake = await startFakeOpenAi();
  notifier = createEventNotifier(t.pool, quietLogger);
  api = await startTestApp(t, { vault });
});
afterEach(async () => {
  await agent?.stop();
  agent = undefined;
});
afterAll(async () => {
  // Nothing that looks like a secret went to the model.
  expect(findCanaries(fake.requests.join('\n'))).toEqual([]);
  await api.close();
  await notifier.close();
  await fake.close();
});

async function start(policy: Partial<AgentPolicy>, url = fake.url): Promise<TriageAgent> {
  const config = loadConfig({ SOVI_HOST_NAME: 'agent-host' });
  agent = startTriageAgent({
    deps: {
      db: t.db,
      vault,
      config,
      policies: loadPolicies(config),
      logger: quietLogger,
      contentSink: async () => undefined,
      planNow: undefined,
    },
    policy: agentPolicySchema.parse(policy),
    chat: { url, model: 'gpt-test', apiKey: 'sk-test', timeoutMs: 10_000 },
    subscribe: notifier.subscribe,
    pollMs: 200,
  });
  await agent.ready;
  return agent;
}

/** A phone with a low battery, an account with canary secrets on it, and the event. */
async function batteryLow() {
  const device = await factories.device(t.pool, { status: 'active', battery_level: 7 });
  const account = await addAccount(accountDeps(t.db, vault), newAccount({ device: device.id as string }));
  const event = await recordEvent(t.db, {
    category: 'device',
    severity: 'warning',
    eventType: 'battery_low',
    message: `battery at 7% on ${device.name as string}`,
    deviceId: device.id as string,
    accountId: account.id,
  });
  return { device, account, event };
}

/** The agent's finished attempt at an event (a claim is `working` until the conversation ends). */
const triageOf = (eventId: number) =>
  until(`the agent's record of event ${eventId}`, async () => {
    const [first] = await eventTriage(t.db, eventId);
    return first?.status === 'working' ? undefined : first;
  });

/** The event a conversation is about, as the agent sent it. */
const aboutOf = (request: Parameters<FakeOpenAi['script']>[0]) => {
  const user = request.messages.find((m) => m.role === 'user');
  return JSON.parse(user?.content ?? '{}') as {
    event?: { id: number; eventType: string; deviceId: string | null };
  };
};

/** The usual fix of a battery_low: maintenance, then resolve; then the summary. Others: nothing. */
const fixBattery = (request: Parameters<FakeOpenAi['script']>[0]) => {
  const { event } = aboutOf(request);
  if (event?.eventType !== 'battery_low') return { content: 'nothing to do' };
  const done = toolResults(request);
  if (done === 0) {
    return {
      toolCalls: [
        { name: 'set_device_maintenance', arguments: { device: event.deviceId, maintenance: true } },
      ],
    };
  }
  if (done === 1) {
    return {
      toolCalls: [{ name: 'resolve_event', arguments: { id: event.id, note: 'in maintenance to charge' } }],
    };
  }
  return { content: 'Battery low: put the phone in maintenance so it can charge.' };
};

const deviceStatus = async (id: unknown) =>
  (await t.pool.query<{ status: string }>('SELECT status FROM devices WHERE id = $1', [id])).rows[0]?.status;

describe('the triage agent', () => {
  it('acts where the policy says act: maintenance, then resolved as llm_agent with a note, audited', async () => {
    fake.script = fixBattery;
    await start({ rules: [{ type: 'battery_low', mode: 'act' }] });
    const { device, event } = await batteryLow();
    const triage = await triageOf(event.id);
    expect(triage).toMatchObject({ mode: 'act', status: 'acted', agent: 'llm_agent:triage (sovi)' });
    expect(triage.summary).toMatch(/maintenance/);
    expect(triage.toolCalls.map((c) => [c.name, c.ok])).toEqual([
      ['set_device_maintenance', true],
      ['resolve_event', true],
    ]);
    expect(await deviceStatus(device.id)).toBe('maintenance');
    const resolved = await getEvent(t.db, event.id);
    expect(resolved).toMatchObject({ resolved: true, resolvedBy: 'llm_agent' });
    expect(resolved.context.resolution).toMatchObject({ note: 'in maintenance to charge' });
    const audit = await listAudit(t.db, { target: { type: 'device', id: device.id as string } });
    expect(audit.entries[0]).toMatchObject({
      action: 'device.maintenance',
      actor: 'llm_agent:triage (sovi)',
    });
    // The request carried the tools as functions and the event with its runbook.
    const first = JSON.parse(
      fake.requests.find((r) => aboutOf(JSON.parse(r)).event?.id === event.id) ?? '{}',
    );
    expect(first.tools.map((t: { function: { name: string } }) => t.function.name)).toContain(
      'set_device_maintenance',
    );
    expect(first.messages[1].content).toMatch(/"runbook"/);
  });

  it('proposes by default; a person accepts one (it runs as them) and rejects another', async () => {
    fake.script = fixBattery;
    await start({});
    const one = await batteryLow();
    const two = await batteryLow();
    const first = await triageOf(one.event.id);
    const second = await triageOf(two.event.id);
    expect(first).toMatchObject({ mode: 'propose', status: 'proposed' });
    expect(first.proposedActions).toEqual([
      { name: 'set_device_maintenance', arguments: { device: one.device.id, maintenance: true } },
      { name: 'resolve_event', arguments: { id: one.event.id, note: 'in maintenance to charge' } },
    ]);
    // Nothing ran.
    expect(await deviceStatus(one.device.id)).toBe('active');
    expect((await getEvent(t.db, one.event.id)).resolved).toBe(false);

    // A viewer cannot decide.
    const viewer = await api.call(
      'POST',
      `/api/v1/events/proposals/${first.id}/accept`,
      {},
      api.reader.secret,
    );
    expect(viewer.statusCode).toBe(403);
    const accepted = await api.call('POST', `/api/v1/events/proposals/${first.id}/accept`, {});
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(accepted.json().proposal.status).toBe('accepted');
    expect(await deviceStatus(one.device.id)).toBe('maintenance');
    const resolved = await getEvent(t.db, one.event.id);
    expect(resolved).toMatchObject({ resolved: true, resolvedBy: 'human' });
    expect(resolved.context.resolution).toMatchObject({
      note: 'in maintenance to charge',
      actor: `token:${api.admin.name}`,
    });
    const audit = await listAudit(t.db, { target: { type: 'device', id: one.device.id as string } });
    expect(audit.entries[0]).toMatchObject({
      action: 'device.maintenance',
      actor: `token:${api.admin.name}`,
    });
    const again = await api.call('POST', `/api/v1/events/proposals/${first.id}/accept`, {});
    expect(again.statusCode).toBe(409);
    expect(again.json().error.message).toMatch(/is accepted/);

    const rejected = await api.call('POST', `/api/v1/events/proposals/${second.id}/reject`, {
      note: 'it is charging already',
    });
    expect(rejected.statusCode, rejected.body).toBe(200);
    expect(rejected.json()).toMatchObject({ status: 'rejected', decisionNote: 'it is charging already' });
    expect(await deviceStatus(two.device.id)).toBe('active');
    expect((await getEvent(t.db, two.event.id)).resolved).toBe(false);
    const shown = await api.call('GET', `/api/v1/events/${two.event.id}/triage`);
    expect(shown.json().triage[0]).toMatchObject({
      status: 'rejected',
      summary: expect.stringMatching(/maintenance/),
    });
  });

  it('ignores what the policy says to ignore, and never takes up its own events', async () => {
    fake.script = () => ({ content: 'nothing to do' });
    await start({ rules: [{ type: 'storage_low', mode: 'ignore' }] });
    const before = fake.requests.length;
    const ignored = await recordEvent(t.db, {
      category: 'device',
      severity: 'warning',
      eventType: 'storage_low',
      message: 'storage low',
    });
    const own = await recordEvent(t.db, {
      category: 'agent',
      severity: 'warning',
      eventType: 'agent_note',
      message: 'x',
    });
    const later = await recordEvent(t.db, {
      category: 'system',
      severity: 'error',
      eventType: 'probe_failed',
      message: 'later',
    });
    await triageOf(later.id);
    const asked = fake.requests.slice(before).map((r) => eventIdOf(JSON.parse(r)));
    expect(asked).toEqual([later.id]);
    expect(await eventTriage(t.db, ignored.id)).toEqual([]);
    expect(await eventTriage(t.db, own.id)).toEqual([]);
  });

  it('records a malformed tool call as its own event and carries on', async () => {
    fake.script = (request) => {
      if (aboutOf(request).event?.eventType !== 'battery_low') return { content: 'nothing to do' };
      const done = toolResults(request);
      if (done === 0) return { toolCalls: [{ name: 'set_device_maintenance', arguments: '{"device": ' }] };
      if (done === 1) return { toolCalls: [{ name: 'delete_everything', arguments: {} }] };
      return { content: 'I could not make a valid call; leaving it to a person.' };
    };
    await start({ rules: [{ type: 'battery_low', mode: 'act' }] });
    const { event } = await batteryLow();
    const triage = await triageOf(event.id);
    expect(triage.toolCalls.map((c) => c.ok)).toEqual([false, false]);
    expect(triage.toolCalls[1]?.result).toMatch(/no tool named "delete_everything"/);
    const own = await until('the agent’s own events', async () => {
      const { rows } = await t.pool.query(
        "SELECT context FROM system_events WHERE event_type = 'agent_tool_call_failed' AND (context->>'eventId')::bigint = $1",
        [event.id],
      );
      return rows.length === 2 ? rows : undefined;
    });
    expect(own).toHaveLength(2);
    expect((await getEvent(t.db, event.id)).resolved).toBe(false);
  });

  it('bounds tool calls per event and the time per event', async () => {
    fake.script = (request) => {
      const about = aboutOf(request).event;
      if (about?.eventType === 'loops')
        return { toolCalls: [{ name: 'get_event', arguments: { id: about.id } }] };
      if (about?.eventType === 'slow') return { delayMs: 5_000, then: { content: 'too late' } };
      return { content: 'nothing to do' };
    };
    await start({ default: 'act', maxToolCalls: 3, deadlineSeconds: 1 });
    const looping = await recordEvent(t.db, {
      category: 'system',
      severity: 'error',
      eventType: 'loops',
      message: 'loops',
    });
    const slow = await recordEvent(t.db, {
      category: 'system',
      severity: 'error',
      eventType: 'slow',
      message: 'slow',
    });
    const capped = await triageOf(looping.id);
    expect(capped.status).toBe('failed');
    expect(capped.toolCalls).toHaveLength(3);
    expect(capped.summary).toMatch(/stopped after 3 tool calls/);
    const late = await triageOf(slow.id);
    expect(late.status).toBe('failed');
    expect(late.summary).toMatch(/deadline of 1 s/);
  });

  it('survives an endpoint that is down: its own event, the event left to people', async () => {
    // One open endpoint failure at a time: the deadline above left one; a person resolved it.
    await t.pool.query(
      "UPDATE system_events SET resolved = true, resolved_by = 'human', resolved_at = now() WHERE event_type = 'agent_endpoint_failed'",
    );
    await start({ default: 'act' }, 'http://127.0.0.1:9/v1');
    const event = await recordEvent(t.db, {
      category: 'system',
      severity: 'error',
      eventType: 'down_probe',
      message: 'x',
    });
    const triage = await triageOf(event.id);
    expect(triage.status).toBe('failed');
    expect(triage.summary).toMatch(/cannot be reached/);
    const failure = await until('an agent_endpoint_failed event', async () => {
      const { rows } = await t.pool.query(
        "SELECT message FROM system_events WHERE event_type = 'agent_endpoint_failed' AND NOT resolved",
      );
      return rows[0] as { message: string } | undefined;
    });
    expect(failure.message).toMatch(/cannot be reached/);
    // It goes on: the next event is taken up as well.
    const next = await recordEvent(t.db, {
      category: 'system',
      severity: 'error',
      eventType: 'down_probe',
      message: 'y',
    });
    expect((await triageOf(next.id)).status).toBe('failed');
  });

  it('sends the model no plaintext secret: every read tool on an account with secrets, answers included', async () => {
    const device = await factories.device(t.pool, { status: 'active' });
    const account = await addAccount(
      accountDeps(t.db, vault),
      newAccount({ device: device.id as string, niche: 'motivation' }),
    );
    const event = await recordEvent(t.db, {
      category: 'account',
      severity: 'warning',
      eventType: 'challenge',
      message: `a login challenge on ${account.username}`,
      deviceId: device.id as string,
      accountId: account.id,
    });
    // The model reads everything there is about the account, one tool at a time.
    const reads: [string, Record<string, unknown>][] = [
      ['get_event', { id: event.id }],
      ['get_account', { account: account.id }],
      ['get_account', { account: `tiktok:${account.username}` }],
      ['get_device', { device: device.id }],
      ['list_events', { account: account.id, includeResolved: true }],
      ['fleet_health', {}],
      ['schedule_status', { next: 100 }],
      ['content_status', {}],
      ['list_distributions', { account: account.id }],
      ['account_metrics', { account: account.id }],
      ['niche_metrics', { niche: 'motivation' }],
      ['top_content', {}],
      ['hook_leaderboard', {}],
      ['list_trends', { all: true }],
    ];
    const readTools = agentTools.filter((tool) => tool.action === 'read').map((tool) => tool.name);
    expect([...new Set(reads.map(([name]) => name))].sort()).toEqual(readTools.sort());
    fake.script = (request) => {
      if (eventIdOf(request) !== event.id) return { content: 'nothing to do' };
      const next = reads[toolResults(request)];
      return next ? { toolCalls: [{ name: next[0], arguments: next[1] }] } : { content: 'read it all' };
    };
    // The earlier tests' attempts count against the events-per-minute bound: older here.
    await t.pool.query("UPDATE agent_triage SET created_at = created_at - interval '1 hour'");
    await start({ maxToolCalls: reads.length });
    const triage = await triageOf(event.id);
    expect(triage.toolCalls.map((c) => [c.name, c.ok])).toEqual(reads.map(([name]) => [name, true]));
    const sent = fake.requests.filter((r) => eventIdOf(JSON.parse(r)) === event.id);
    expect(sent).toHaveLength(reads.length + 1);
    // The account reached the model (its secrets only as set or not), and none of its secrets did.
    const last = sent.at(-1) ?? '';
    expect(last).toContain(account.username);
    expect(last).toContain(device.id as string);
    expect(findCanaries(sent.join('\n'))).toEqual([]);
  });

  it('takes up at most eventsPerMinute events under 500 at once; the rest wait their turn', async () => {
    // The bound counts every attempt on the database in the last minute: the earlier tests' are older here.
    await t.pool.query("UPDATE agent_triage SET created_at = created_at - interval '1 hour'");
    const running = await start({ default: 'propose', eventsPerMinute: 5 });
    const before = fake.requests.length;
    fake.script = () => ({ content: 'nothing to do' });
    await t.pool.query(
      `INSERT INTO system_events (category, severity, event_type, message)
         SELECT 'system', 'error', 'flood', 'flood ' || n FROM generate_series(1, 500) AS n`,
    );
    const stats = await until('5 taken up and 495 waiting', async () => {
      const s = running.stats();
      return s.taken === 5 && s.waiting === 495 ? s : undefined;
    });
    expect(stats.dropped).toBe(0);
    await until('the 5 conversations', async () => (fake.requests.length - before === 5 ? true : undefined));
    // Still 5 after the 5th is recorded: the rest wait for the minute to pass.
    const { rows } = await t.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM agent_triage a JOIN system_events e ON e.id = a.event_id WHERE e.event_type = 'flood'",
    );
    expect(rows[0]?.n).toBeLessThanOrEqual(5);
    expect(running.stats().taken).toBe(5);
    expect(fake.requests.length - before).toBe(5);
  }, 60_000);
});

export type { Triage };
