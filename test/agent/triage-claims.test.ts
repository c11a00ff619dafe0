// The triage agent's correctness when the world moves under it: agents in two processes on one database
// (one conversation per event, one shared events-per-minute bound that opens again after its window), an
// event resolved while it waits or mid-conversation, events its own actions caused, a proposal a person's
// role cannot fully run, changed and missed events (the sweep), and the endpoint's failure paths (an HTTP
// error, the per-request timeout, the deadline). Against the local OpenAI-compatible fake.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addAccount } from '../../src/accounts/accounts-service.ts';
import { startTriageAgent, type TriageAgent, type TriageAgentOptions } from '../../src/agent/triage-agent.ts';
import { createToken } from '../../src/auth/tokens-service.ts';
import { createEventNotifier, type EventNotifier } from '../../src/events/event-notifier.ts';
import { getEvent, recordEvent, resolveEvent } from '../../src/events/events-service.ts';
import { loadPolicies } from '../../src/policies.ts';
import { loadConfig } from '../../src/config.ts';
import { agentPolicySchema, type AgentPolicy } from '../../src/settings/agent-settings.ts';
import { eventTriage, recordTriage } from '../../src/triage/triage-service.ts';
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
let agents: TriageAgent[] = [];

beforeAll(async () => {
  fake = await startFakeOpenAi();
  notifier = createEventNotifier(t.pool, quietLogger);
  api = await startTestApp(t, { vault });
});
afterEach(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  agents = [];
  // Each test starts with the rate window empty and no open endpoint failure.
  await t.pool.query("UPDATE agent_triage SET created_at = created_at - interval '1 hour'");
  await t.pool.query(
    "UPDATE system_events SET resolved = true, resolved_by = 'human', resolved_at = now() WHERE NOT resolved",
  );
});
afterAll(async () => {
  await api.close();
  await notifier.close();
  await fake.close();
});

type Extra = Partial<Pick<TriageAgentOptions, 'rateWindowMs' | 'sweepMs' | 'retryAfterMs'>> & {
  timeoutMs?: number;
};

async function start(policy: Partial<AgentPolicy>, extra: Extra = {}): Promise<TriageAgent> {
  const config = loadConfig({ SOVI_HOST_NAME: 'claims-host' });
  const { timeoutMs = 10_000, ...rest } = extra;
  const agent = startTriageAgent({
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
    chat: { url: fake.url, model: 'gpt-test', apiKey: 'sk-test', timeoutMs },
    subscribe: notifier.subscribe,
    pollMs: 200,
    ...rest,
  });
  agents.push(agent);
  await agent.ready;
  return agent;
}

const event = (eventType: string, extra: { deviceId?: string; accountId?: string } = {}) =>
  recordEvent(t.db, { category: 'system', severity: 'error', eventType, message: eventType, ...extra });

/** The agent's finished attempts at an event. */
const finished = async (eventId: number) =>
  (await eventTriage(t.db, eventId)).filter((a) => a.status !== 'working');

const triageOf = (eventId: number) =>
  until(`the agent's finished attempt at event ${eventId}`, async () => (await finished(eventId))[0]);

/** How many conversations were about the event (their first request). */
const conversationsAbout = (eventId: number) =>
  fake.requests.map((r) => JSON.parse(r)).filter((r) => eventIdOf(r) === eventId && toolResults(r) === 0)
    .length;

const deviceStatus = async (id: unknown) =>
  (await t.pool.query<{ status: string }>('SELECT status FROM devices WHERE id = $1', [id])).rows[0]?.status;

const openAgentFailure = () =>
  until('an open agent_endpoint_failed event', async () => {
    const { rows } = await t.pool.query<{ message: string }>(
      "SELECT message FROM system_events WHERE event_type = 'agent_endpoint_failed' AND NOT resolved",
    );
    return rows[0];
  });

describe('two agents on one database', () => {
  it('take up each event once between them', async () => {
    fake.script = () => ({ delayMs: 30, then: { content: 'nothing to do' } });
    const [one, two] = [await start({ eventsPerMinute: 1000 }), await start({ eventsPerMinute: 1000 })];
    const events = [];
    for (let i = 0; i < 12; i++) events.push(await event('twice'));
    for (const e of events) await triageOf(e.id);
    expect(events.map((e) => conversationsAbout(e.id))).toEqual(events.map(() => 1));
    expect(one.stats().taken + two.stats().taken).toBe(12);
    for (const e of events) expect(await eventTriage(t.db, e.id)).toHaveLength(1);
  });

  it('share one events-per-minute bound', async () => {
    fake.script = () => ({ content: 'nothing to do' });
    const [one, two] = [await start({ eventsPerMinute: 4 }), await start({ eventsPerMinute: 4 })];
    const events = [];
    for (let i = 0; i < 10; i++) events.push(await event('bounded'));
    // Both have asked for a place after the 4 were taken, and were told to wait.
    await until('both agents held back by the bound', async () =>
      one.stats().throttled > 0 && two.stats().throttled > 0 ? true : undefined,
    );
    const { rows } = await t.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM agent_triage a JOIN system_events e ON e.id = a.event_id WHERE e.event_type = 'bounded'",
    );
    expect(rows[0]?.n).toBe(4);
    expect(one.stats().taken + two.stats().taken).toBe(4);
  });
});

describe('the events-per-minute bound', () => {
  it('opens again once its window has passed', async () => {
    fake.script = () => ({ content: 'nothing to do' });
    const agent = await start({ eventsPerMinute: 2 }, { rateWindowMs: 1_500 });
    const events = [];
    for (let i = 0; i < 5; i++) events.push(await event('windowed'));
    for (const e of events) await triageOf(e.id);
    expect(agent.stats().throttled).toBeGreaterThan(0);
    const { rows } = await t.pool.query<{ at: Date }>(
      "SELECT a.created_at AS at FROM agent_triage a JOIN system_events e ON e.id = a.event_id WHERE e.event_type = 'windowed' ORDER BY a.created_at",
    );
    const at = rows.map((r) => r.at.getTime());
    // Never a third start within one window of the first of two.
    for (let i = 2; i < at.length; i++) expect(at[i]! - at[i - 2]!).toBeGreaterThanOrEqual(1_500 - 5);
  });
});

describe('the event as it is now', () => {
  it('is not taken up once a person resolved it while it waited', async () => {
    fake.script = (request) =>
      aboutType(request) === 'slow_first'
        ? { delayMs: 4_000, then: { content: 'looked at it' } }
        : { content: 'nothing to do' };
    const agent = await start({});
    const first = await event('slow_first');
    await until('the first conversation', async () => (conversationsAbout(first.id) ? true : undefined));
    const waitingOne = await event('resolved_while_waiting');
    await until('the second event waiting', async () => (agent.stats().waiting === 1 ? true : undefined));
    await resolveEvent(t.db, waitingOne.id, { by: 'human', note: 'fixed it myself' });
    const marker = await event('after');
    await triageOf(marker.id);
    expect(conversationsAbout(waitingOne.id)).toBe(0);
    expect(await eventTriage(t.db, waitingOne.id)).toEqual([]);
  });

  it('is read again right before acting: resolved mid-conversation, nothing runs', async () => {
    const device = await factories.device(t.pool, { status: 'active', battery_level: 5 });
    fake.script = (request) => {
      const id = eventIdOf(request);
      return toolResults(request) === 0
        ? {
            delayMs: 1_500,
            then: {
              toolCalls: [
                { name: 'set_device_maintenance', arguments: { device: device.id, maintenance: true } },
              ],
            },
          }
        : { content: `done with ${id}` };
    };
    await start({ default: 'act' });
    const battery = await event('battery_low', { deviceId: device.id as string });
    await until('the conversation', async () => (conversationsAbout(battery.id) ? true : undefined));
    await resolveEvent(t.db, battery.id, { by: 'human', note: 'plugged it in' });
    const attempt = await triageOf(battery.id);
    expect(attempt.status).toBe('failed');
    expect(attempt.summary).toMatch(/stopped before set_device_maintenance: the event was resolved/);
    expect(attempt.toolCalls).toEqual([]);
    expect(await deviceStatus(device.id)).toBe('active');
  });
});

describe('events its own actions caused', () => {
  it('are never taken up (they carry its identity)', async () => {
    const account = await addAccount(accountDeps(t.db, vault), newAccount());
    fake.script = (request) => {
      if (aboutType(request) !== 'odd_login') return { content: 'nothing to do' };
      return toolResults(request) === 0
        ? {
            toolCalls: [
              {
                name: 'set_account_state',
                arguments: { account: account.id, state: 'flagged', reason: 'odd logins' },
              },
            ],
          }
        : { content: 'flagged it' };
    };
    await start({ default: 'act' });
    const odd = await event('odd_login', { accountId: account.id });
    expect((await triageOf(odd.id)).toolCalls.map((c) => [c.name, c.ok])).toEqual([
      ['set_account_state', true],
    ]);
    const { rows } = await t.pool.query<{ id: number; context: { actor: string } }>(
      "SELECT id, context FROM system_events WHERE event_type = 'state_changed' AND account_id = $1 AND NOT resolved",
      [account.id],
    );
    expect(rows[0]?.context.actor).toBe('llm_agent:triage (sovi)');
    const marker = await event('after_flag');
    await triageOf(marker.id);
    expect(conversationsAbout(rows[0]!.id)).toBe(0);
    expect(await eventTriage(t.db, rows[0]!.id)).toEqual([]);
  });
});

describe('accepting a proposal', () => {
  it('is refused before anything runs when the role cannot run every action; it stays pending', async () => {
    const device = await factories.device(t.pool, { status: 'active' });
    const battery = await event('battery_low', { deviceId: device.id as string });
    const proposal = await recordTriage(t.db, {
      eventId: battery.id,
      fingerprint: 'seeded',
      agent: 'llm_agent:triage (sovi)',
      mode: 'propose',
      status: 'proposed',
      summary: 'charge it',
      toolCalls: [],
      proposedActions: [
        { name: 'set_device_maintenance', arguments: { device: device.id, maintenance: true } },
        { name: 'resolve_event', arguments: { id: battery.id, note: 'charging' } },
      ],
    });
    const { secret } = await createToken(t.db, { name: 'claims-reviewer', role: 'reviewer' }, 'test');
    const shown = await api.call('GET', `/api/v1/events/${battery.id}/triage`, undefined, secret);
    expect(shown.json().triage[0].proposedActions.map((a: { action: string }) => a.action)).toEqual([
      'devices.write',
      'events.resolve',
    ]);
    const refused = await api.call('POST', `/api/v1/events/proposals/${proposal!.id}/accept`, {}, secret);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.message).toMatch(/needs the operator role for set_device_maintenance/);
    expect((await eventTriage(t.db, battery.id))[0]?.status).toBe('proposed');
    expect(await deviceStatus(device.id)).toBe('active');
    expect((await getEvent(t.db, battery.id)).resolved).toBe(false);
    // Someone who may run it all accepts it after all.
    const accepted = await api.call('POST', `/api/v1/events/proposals/${proposal!.id}/accept`, {});
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(await deviceStatus(device.id)).toBe('maintenance');
  });

  it('stays pending when an action fails, and the event open', async () => {
    const account = await addAccount(accountDeps(t.db, vault), newAccount());
    const odd = await event('odd_login', { accountId: account.id });
    const proposal = await recordTriage(t.db, {
      eventId: odd.id,
      fingerprint: 'seeded',
      agent: 'llm_agent:triage (sovi)',
      mode: 'propose',
      status: 'proposed',
      summary: 'rest it',
      toolCalls: [],
      // created → resting is not a transition.
      proposedActions: [
        { name: 'set_account_state', arguments: { account: account.id, state: 'resting', reason: 'x' } },
      ],
    });
    const failed = await api.call('POST', `/api/v1/events/proposals/${proposal!.id}/accept`, {});
    expect(failed.statusCode).toBe(409);
    expect(failed.json().error.message).toMatch(/not accepted: .*stays pending/);
    expect((await eventTriage(t.db, odd.id))[0]).toMatchObject({ status: 'proposed', decidedBy: null });
    expect((await getEvent(t.db, odd.id)).resolved).toBe(false);
  });
});

describe('the sweep', () => {
  it('takes up events from before it started, and an event again once it changed', async () => {
    fake.script = () => ({ content: 'nothing to do' });
    const missed = await event('while_down');
    await start({}, { sweepMs: 300 });
    const first = await triageOf(missed.id);
    expect(first.status).toBe('proposed');
    await t.pool.query("UPDATE system_events SET message = 'worse now' WHERE id = $1", [missed.id]);
    await until('a second attempt at the changed event', async () =>
      (await finished(missed.id)).length === 2 ? true : undefined,
    );
    expect(conversationsAbout(missed.id)).toBe(2);
  });

  it('takes up again an event the endpoint failed on, once the endpoint is back', async () => {
    fake.script = () => ({ status: 503, message: 'overloaded' });
    await start({}, { sweepMs: 300, retryAfterMs: 500 });
    const outage = await event('during_outage');
    const failed = await triageOf(outage.id);
    expect(failed.summary).toMatch(/answered 503: overloaded/);
    fake.script = () => ({ content: 'looked at it after the outage' });
    const retried = await until('the attempt after the outage', async () => {
      const [attempt] = await finished(outage.id);
      return attempt?.status === 'proposed' ? attempt : undefined;
    });
    expect(retried.summary).toBe('looked at it after the outage');
  });
});

describe('endpoint failures', () => {
  it('an HTTP error status: the attempt fails and its own event says why', async () => {
    fake.script = () => ({ status: 500, message: 'internal trouble' });
    await start({});
    const e = await event('http_error');
    expect((await triageOf(e.id)).summary).toMatch(/the chat endpoint answered 500: internal trouble/);
    expect((await openAgentFailure()).message).toMatch(/answered 500: internal trouble/);
  });

  it('the per-request timeout, well before the deadline', async () => {
    fake.script = () => ({ delayMs: 3_000, then: { content: 'too late' } });
    await start({ deadlineSeconds: 60 }, { timeoutMs: 300 });
    const e = await event('slow_request');
    const attempt = await triageOf(e.id);
    expect(attempt.summary).toMatch(/did not answer in time/);
    expect(attempt.summary).not.toMatch(/deadline/);
    expect((await openAgentFailure()).message).toMatch(/did not answer in time/);
  });

  it('the deadline per event: its own event too', async () => {
    fake.script = () => ({ delayMs: 5_000, then: { content: 'too late' } });
    await start({ deadlineSeconds: 1 });
    const e = await event('past_deadline');
    expect((await triageOf(e.id)).summary).toMatch(/deadline of 1 s/);
    expect((await openAgentFailure()).message).toMatch(/deadline of 1 s per event passed/);
  });
});

function aboutType(request: Parameters<FakeOpenAi['script']>[0]): string | undefined {
  const user = request.messages.find((m) => m.role === 'user');
  return (JSON.parse(user?.content ?? '{}') as { event?: { eventType?: string } }).event?.eventType;
}
