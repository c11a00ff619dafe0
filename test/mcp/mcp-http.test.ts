// The MCP server over Streamable HTTP, driven by the SDK's own client against the real app listening on a
// port: the tools a token's role allows, reads, actions (audited as the agent), refusals in words, and no
// plaintext secret in any answer.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addAccount } from '../../src/accounts/accounts-service.ts';
import { listAudit } from '../../src/audit/audit-service.ts';
import { createToken } from '../../src/auth/tokens-service.ts';
import { recordEvent } from '../../src/events/events-service.ts';
import { getEvent } from '../../src/events/events-service.ts';
import { addNiche } from '../../src/niches/niches-service.ts';
import { agentTools } from '../../src/mcp/tools.ts';
import { findCanaries } from '../helpers/canary.ts';
import { accountDeps, newAccount } from '../helpers/accounts.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import { startTestApp, type TestApp } from '../http/helpers.ts';

const t = useTestDatabase();
let api: TestApp;
let base: URL;
const outputs: string[] = [];

beforeAll(async () => {
  api = await startTestApp(t);
  base = new URL(await api.app.listen({ host: '127.0.0.1', port: 0 }));
});
afterAll(() => api.close());

async function connect(secret: string, name = 'test-agent'): Promise<Client> {
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL('/mcp', base), {
      requestInit: { headers: { authorization: `Bearer ${secret}` } },
    }),
  );
  return client;
}

interface Answer {
  isError: boolean;
  text: string;
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<Answer> {
  const result = await client.callTool({ name, arguments: args });
  const content = result.content as { type: string; text: string }[];
  const text = content.map((c) => c.text).join('\n');
  outputs.push(text);
  return { isError: result.isError === true, text };
}

const json = <T = Record<string, unknown>>(answer: Answer): T => {
  expect(answer.isError, answer.text).toBe(false);
  return JSON.parse(answer.text) as T;
};

describe('MCP over HTTP', () => {
  it('refuses a request without a token, and one with a bad token, before any MCP', async () => {
    const none = await fetch(new URL('/mcp', base), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(none.status).toBe(401);
    expect(await none.text()).toMatch(/needs a token/);
    const bad = await fetch(new URL('/mcp', base), {
      method: 'POST',
      headers: { authorization: 'Bearer sovi_nope', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(bad.status).toBe(401);
    // Stateless: no server-to-client stream to hold open.
    const stream = await fetch(new URL('/mcp', base), {
      headers: { authorization: `Bearer ${api.admin.secret}`, accept: 'text/event-stream' },
    });
    expect(stream.status).toBe(405);
    expect(stream.headers.get('allow')).toBe('POST');
  });

  it('lists every tool for an operator, read-only ones for a viewer, and none that reveals or deletes', async () => {
    const admin = await connect(api.admin.secret);
    const all = (await admin.listTools()).tools;
    expect(all.map((t) => t.name).sort()).toEqual(agentTools.map((t) => t.name).sort());
    for (const tool of all) {
      expect(tool.description?.length, tool.name).toBeGreaterThan(40);
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.name).not.toMatch(/secret|totp|reveal|user|token|key|delete/);
    }
    const viewer = await connect(api.reader.secret);
    const read = (await viewer.listTools()).tools;
    expect(read.length).toBeGreaterThan(10);
    expect(read.every((t) => t.annotations?.readOnlyHint === true)).toBe(true);
    expect(read.map((t) => t.name)).not.toContain('resolve_event');
    await admin.close();
    await viewer.close();
  });

  it('serves the runbooks as resources', async () => {
    const client = await connect(api.reader.secret);
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toContain('sovi://runbooks/battery_low');
    const page = await client.readResource({ uri: 'sovi://runbooks/battery_low' });
    const text = (page.contents[0] as { text: string }).text;
    expect(text).toMatch(/^# battery_low/);
    expect(text).toMatch(/set_device_maintenance/);
    await expect(client.readResource({ uri: 'sovi://runbooks/nope' })).rejects.toThrow(/no resource/);
    await client.close();
  });

  it('answers every read, acts as the agent, audits it, and refuses in words', async () => {
    const admin = await connect(api.admin.secret, 'night-shift');
    const viewer = await connect(api.reader.secret);
    const niche = await addNiche(t.db, { name: 'MCP cats', slug: `mcp_cats_${process.pid}` }, 'test');
    const device = await factories.device(t.pool, { status: 'active', battery_level: 9 });
    const account = await addAccount(
      accountDeps(t.db, api.vault),
      newAccount({ niche: niche.slug, device: device.id as string }),
    );
    const battery = await recordEvent(t.db, {
      category: 'device',
      severity: 'warning',
      eventType: 'battery_low',
      message: 'battery at 9%',
      deviceId: device.id as string,
      accountId: account.id,
    });

    // Reads.
    const inbox = json<{ events: { id: number }[] }>(
      await call(admin, 'list_events', { type: 'battery_low' }),
    );
    expect(inbox.events.map((e) => e.id)).toContain(battery.id);
    const full = json<{
      device: { id: string };
      account: { username: string };
      runbook: { tools: string[] };
    }>(await call(viewer, 'get_event', { id: battery.id }));
    expect(full.device.id).toBe(device.id);
    expect(full.account.username).toBe(account.username);
    expect(full.runbook.tools).toContain('set_device_maintenance');
    const reads: [string, Record<string, unknown>][] = [
      ['fleet_health', {}],
      ['get_device', { device: device.name }],
      ['get_account', { account: `tiktok:${account.username}` }],
      ['schedule_status', {}],
      ['content_status', {}],
      ['list_distributions', { account: account.id }],
      ['account_metrics', { account: account.id, days: 2 }],
      ['niche_metrics', { niche: niche.slug }],
      ['top_content', {}],
      ['hook_leaderboard', { platform: 'tiktok' }],
      ['list_trends', { all: true }],
    ];
    for (const [name, args] of reads) json(await call(viewer, name, args));
    const health = json<{ devices: Record<string, number> }>(await call(viewer, 'fleet_health'));
    expect(health.devices.active).toBeGreaterThanOrEqual(1);

    // A viewer cannot act: the tool is not listed, and a call is refused naming the role it needs.
    const refused = await call(viewer, 'set_device_maintenance', { device: device.name, maintenance: true });
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(/needs the operator role; this caller is viewer/);

    // Bad input: named, never a stack.
    const unknown = await call(admin, 'get_event', { id: 987654321 });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toMatch(/event 987654321 does not exist \(argument: id\)/);
    expect(unknown.text).not.toMatch(/\n\s+at /);
    const noNote = await call(admin, 'resolve_event', { id: battery.id });
    expect(noNote.isError).toBe(true);
    expect(noNote.text).toMatch(/note/);
    const extra = await call(admin, 'get_device', { device: device.name, force: true });
    expect(extra.isError).toBe(true);
    expect(extra.text).toMatch(/force/);
    const badUuid = await call(admin, 'content_status', { contentId: 'not-a-uuid' });
    expect(badUuid.text).toMatch(/contentId/);

    // Actions: the device into maintenance, the event resolved as the agent, each audited with its name.
    const inMaintenance = json<{ status: string }>(
      await call(admin, 'set_device_maintenance', { device: device.name, maintenance: true }),
    );
    expect(inMaintenance.status).toBe('maintenance');
    const resolved = json<{ resolvedBy: string }>(
      await call(admin, 'resolve_event', { id: battery.id, note: 'put in maintenance to charge' }),
    );
    expect(resolved.resolvedBy).toBe('llm_agent');
    const stored = await getEvent(t.db, battery.id);
    expect(stored.context.resolution).toMatchObject({ note: 'put in maintenance to charge' });
    const again = await call(admin, 'resolve_event', { id: battery.id, note: 'twice' });
    expect(again.text).toMatch(/already resolved/);

    const audit = await listAudit(t.db, { target: { type: 'device', id: device.id as string } });
    const entry = audit.entries.find((e) => e.action === 'device.maintenance');
    expect(entry?.actor).toMatch(/^llm_agent:admin-\S+ \(token:admin-/);
    const eventAudit = await listAudit(t.db, { target: { type: 'event', id: String(battery.id) } });
    expect(eventAudit.entries[0]?.actor).toMatch(/^llm_agent:/);

    // A transition the lifecycle does not allow lists the allowed ones.
    const state = await call(admin, 'set_account_state', {
      account: account.id,
      state: 'active',
      reason: 'skip warming',
    });
    expect(state.isError).toBe(true);
    expect(state.text).toMatch(/from created it can go to: warming_p1, cooldown/);
    const cooled = json<{ to: string }>(
      await call(admin, 'set_account_state', { account: account.id, state: 'cooldown', reason: 'challenge' }),
    );
    expect(cooled.to).toBe('cooldown');

    // Without a job engine in this app, the planner says so.
    const plan = await call(admin, 'run_planner');
    expect(plan.text).toMatch(/no job engine/);

    await admin.close();
    await viewer.close();
  });

  it('limits a niche-limited user to their niches', async () => {
    const mine = await addNiche(t.db, { name: 'Mine', slug: `mine_${process.pid}` }, 'test');
    const other = await addNiche(t.db, { name: 'Other', slug: `other_${process.pid}` }, 'test');
    const { addUser } = await import('../../src/users/users-service.ts');
    const user = await addUser(
      t.db,
      {
        name: `limited-${process.pid}`,
        role: 'operator',
        password: 'a long password here',
        niches: [mine.slug],
      },
      'test',
    );
    const token = await createToken(t.db, { name: `limited-${process.pid}`, userId: user.id }, 'test');
    const hidden = await addAccount(accountDeps(t.db, api.vault), newAccount({ niche: other.slug }));
    const client = await connect(token.secret);
    const answer = await call(client, 'get_account', { account: hidden.id });
    expect(answer.isError).toBe(true);
    expect(answer.text).toMatch(/no account/);
    const state = await call(client, 'set_account_state', {
      account: hidden.id,
      state: 'cooldown',
      reason: 'x',
    });
    expect(state.text).toMatch(/no account/);
    await client.close();
  });

  it('never answers with a plaintext secret', () => {
    expect(outputs.length).toBeGreaterThan(10);
    expect(findCanaries(outputs.join('\n'))).toEqual([]);
    expect(findCanaries(api.log())).toEqual([]);
  });
});
