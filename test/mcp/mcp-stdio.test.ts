// `sovi mcp` over stdio, driven by the SDK's own client spawning the real binary: stdout carries only the
// protocol (logs go to stderr), SOVI_USER's role bounds the tools, and actions that wait for their effect
// (the planner) answer with it; every action runs over the pipe with its effect and audit entry.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '../../src/audit/audit-service.ts';
import { getEvent, recordEvent } from '../../src/events/events-service.ts';
import { addUser } from '../../src/users/users-service.ts';
import { addAccount } from '../../src/accounts/accounts-service.ts';
import { findCanaries } from '../helpers/canary.ts';
import { accountDeps, keyLine, newAccount, vaultWith } from '../helpers/accounts.ts';
import { SOVI_BIN, cliEnv, cliTestTimeout, runSovi } from '../helpers/cli.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import { seedActionTargets } from './action-targets.ts';

const t = useTestDatabase();
const key = keyLine('k1');
const open: Client[] = [];
let stderr = '';

afterEach(async () => {
  for (const client of open.splice(0)) await client.close();
});

async function spawnMcp(env: Record<string, string> = {}): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [SOVI_BIN, 'mcp'],
    env: cliEnv({ DATABASE_URL: t.url, SOVI_VAULT_KEYS: key, SOVI_HOST_NAME: 'mcp-host', ...env }) as Record<
      string,
      string
    >,
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name: 'desk-agent', version: '1.0.0' });
  await client.connect(transport);
  open.push(client);
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}) {
  const result = await client.callTool({ name, arguments: args });
  const text = (result.content as { text: string }[]).map((c) => c.text).join('\n');
  return { isError: result.isError === true, text };
}

/** An active device on this host with a motivation account on it. */
async function deviceWithAccount() {
  const device = await factories.device(t.pool, { status: 'active', host: 'mcp-host' });
  const account = await addAccount(
    accountDeps(t.db, vaultWith(key)),
    newAccount({ device: device.id as string, niche: 'motivation' }),
  );
  return { device, account };
}

describe('sovi mcp (stdio)', () => {
  // The job engine's schema, which the planner, the retries and the approvals queue into (`sovi up` installs
  // it too).
  beforeAll(async () => {
    expect((await runSovi(['migrate'], { DATABASE_URL: t.url })).code).toBe(0);
  }, cliTestTimeout(1));

  it(
    'acts as the machine’s operator without SOVI_USER: every read, resolves, runs the planner',
    async () => {
      const { device, account } = await deviceWithAccount();
      const event = await recordEvent(t.db, {
        category: 'device',
        severity: 'warning',
        eventType: 'storage_low',
        message: 'storage at 1 GB',
        deviceId: device.id as string,
      });
      const client = await spawnMcp();
      const tools = (await client.listTools()).tools.map((tool) => tool.name);
      expect(tools).toContain('run_planner');
      expect(tools).toContain('resolve_event');

      const shown = await call(client, 'get_account', { account: account.id });
      expect(shown.isError, shown.text).toBe(false);
      expect(JSON.parse(shown.text)).toMatchObject({ username: account.username });

      // Every read tool over the pipe, each answering JSON about what is stored (a new read tool must be
      // added here: the list is checked against the tools listed).
      type Check = (answer: Record<string, unknown>) => void;
      const reads: Record<string, [Record<string, unknown>, Check]> = {
        list_events: [
          { type: 'storage_low' },
          (a) => expect(a).toMatchObject({ events: [{ id: event.id }] }),
        ],
        get_event: [{ id: event.id }, (a) => expect(a).toMatchObject({ device: { id: device.id } })],
        fleet_health: [{}, (a) => expect((a.devices as Record<string, number>).active).toBeGreaterThan(0)],
        get_device: [
          { device: device.name },
          (a) => expect(a).toMatchObject({ device: { id: device.id }, assignedAccounts: 1 }),
        ],
        get_account: [{ account: account.id }, (a) => expect(a.id).toBe(account.id)],
        schedule_status: [
          { next: 50 },
          (a) => expect(a.next).toContainEqual(expect.objectContaining({ id: account.id })),
        ],
        content_status: [{}, (a) => expect(a).toMatchObject({ failed: 0, complete: 0 })],
        list_distributions: [{ account: account.id }, (a) => expect(a.distributions).toEqual([])],
        account_metrics: [{ account: account.id }, (a) => expect(a.accountId).toBe(account.id)],
        niche_metrics: [{ niche: 'motivation', days: 2 }, (a) => expect(a).toMatchObject({ days: [] })],
        top_content: [{}, (a) => expect(a.content).toEqual([])],
        hook_leaderboard: [{}, (a) => expect(a.platform).toBe('tiktok')],
        list_trends: [{ all: true }, (a) => expect(a.trends).toEqual(expect.any(Array))],
      };
      const listed = (await client.listTools()).tools.filter((tool) => tool.annotations?.readOnlyHint);
      expect(Object.keys(reads).sort()).toEqual(listed.map((tool) => tool.name).sort());
      for (const [name, [args, check]] of Object.entries(reads)) {
        const answer = await call(client, name, args);
        expect(answer.isError, `${name}: ${answer.text}`).toBe(false);
        check(JSON.parse(answer.text));
      }

      const unknown = await call(client, 'get_event', { id: 99999999 });
      expect(unknown).toMatchObject({ isError: true });
      expect(unknown.text).toMatch(/event 99999999 does not exist/);

      const resolved = await call(client, 'resolve_event', { id: event.id, note: 'freed space' });
      expect(resolved.isError, resolved.text).toBe(false);
      const stored = await getEvent(t.db, event.id);
      expect(stored.resolvedBy).toBe('llm_agent');
      expect(String((stored.context.resolution as { actor: string }).actor)).toMatch(
        /^llm_agent:desk-agent /,
      );

      // The planner runs and answers with what it planned: the account is due and the device has room.
      const plan = await call(client, 'run_planner');
      expect(plan.isError, `${plan.text}\n${stderr}`).toBe(false);
      expect(JSON.parse(plan.text)).toMatchObject({ host: 'mcp-host', planned: 1 });
      const audit = await listAudit(t.db, { action: 'schedule.plan' });
      expect(audit.entries[0]?.actor).toMatch(/^llm_agent:desk-agent/);

      expect(findCanaries(shown.text + stderr)).toEqual([]);
    },
    cliTestTimeout(3),
  );

  it(
    'runs every action over the pipe, each with its effect and its audit entry as the agent',
    async () => {
      const { device, account } = await deviceWithAccount();
      const niche = (await t.pool.query<{ id: string }>("SELECT id FROM niches WHERE slug = 'motivation'"))
        .rows[0]?.id;
      const { failedContent, failedPost, livePost, toApprove, toReject } = await seedActionTargets(
        t.pool,
        niche,
        account.id,
      );
      const event = await recordEvent(t.db, {
        category: 'device',
        severity: 'warning',
        eventType: 'battery_low',
        message: 'battery at 4%',
        deviceId: device.id as string,
      });

      const client = await spawnMcp();
      const acted = new Set<string>();
      const act = async (name: string, args: Record<string, unknown> = {}) => {
        const answer = await call(client, name, args);
        expect(answer.isError, `${name}: ${answer.text}\n${stderr}`).toBe(false);
        acted.add(name);
        return JSON.parse(answer.text) as Record<string, unknown>;
      };
      const agent = /^llm_agent:desk-agent /;
      const auditActor = async (type: string, id: string, action: string) =>
        (await listAudit(t.db, { target: { type, id } })).entries.find((e) => e.action === action)?.actor;
      const jobs = async (key: 'contentId' | 'distributionId', id: string) =>
        (
          await t.pool.query<{ name: string }>(`SELECT name FROM pgboss.job WHERE data->>'${key}' = $1`, [id])
        ).rows.map((r) => r.name);

      expect(await act('set_device_maintenance', { device: device.name, maintenance: true })).toMatchObject({
        status: 'maintenance',
      });
      expect(await act('set_device_maintenance', { device: device.name, maintenance: false })).toMatchObject({
        status: 'active',
      });
      const deviceAudit = await listAudit(t.db, { target: { type: 'device', id: device.id as string } });
      expect(deviceAudit.entries.filter((e) => agent.test(e.actor))).toHaveLength(2);

      expect(
        await act('set_account_state', { account: account.id, state: 'cooldown', reason: 'a challenge' }),
      ).toMatchObject({ to: 'cooldown' });
      expect(await auditActor('account', account.id, 'account.state')).toMatch(agent);
      const refused = await call(client, 'set_account_state', {
        account: account.id,
        state: 'flagged',
        reason: 'odd logins',
      });
      expect(refused.isError).toBe(true);
      expect(refused.text).toMatch(/from cooldown it can go to: active, warming_p1/);

      expect(await act('retry_production', { contentId: failedContent.id })).toMatchObject({
        queued: 'generating',
      });
      expect(await jobs('contentId', failedContent.id as string)).toEqual(['content-stage']);
      expect(await auditActor('content', failedContent.id as string, 'content.retry')).toMatch(agent);

      expect(await act('retry_post', { distributionId: failedPost.id })).toMatchObject({ status: 'pending' });
      expect(await jobs('distributionId', failedPost.id as string)).toEqual(['content-publish']);
      expect(await auditActor('distribution', failedPost.id as string, 'distribution.retry')).toMatch(agent);

      expect(
        await act('mark_post_removed', { distributionId: livePost.id, reason: 'community guidelines' }),
      ).toMatchObject({ status: 'removed' });
      expect(await auditActor('distribution', livePost.id as string, 'distribution.removed')).toMatch(agent);

      const approved = await act('approve_content', { contentId: toApprove.id, note: 'checks fine' });
      expect((approved.approved as { id: string }[]).map((a) => a.id)).toEqual([toApprove.post]);
      expect(await jobs('distributionId', toApprove.post)).toEqual(['content-publish']);
      expect(await auditActor('content', toApprove.id, 'content.approve')).toMatch(agent);
      expect(await act('reject_content', { contentId: toReject.id, reason: 'off brand' })).toMatchObject({
        status: 'failed',
        review: { state: 'rejected' },
      });
      expect(await auditActor('content', toReject.id, 'content.reject')).toMatch(agent);

      expect(await act('run_planner')).toMatchObject({ host: 'mcp-host' });
      expect(await act('resolve_event', { id: event.id, note: 'charged' })).toMatchObject({
        resolvedBy: 'llm_agent',
      });
      expect(await auditActor('event', String(event.id), 'event.resolve')).toMatch(agent);

      // Every action tool the server lists was called above (a new one must be added here).
      const actions = (await client.listTools()).tools.filter((tool) => !tool.annotations?.readOnlyHint);
      expect([...acted].sort()).toEqual(actions.map((tool) => tool.name).sort());
    },
    cliTestTimeout(3),
  );

  it(
    'bounds the tools by SOVI_USER’s role: a viewer sees reads only and cannot act',
    async () => {
      const name = `mcp-viewer-${process.pid}`;
      await addUser(t.db, { name, role: 'viewer', password: 'a long password for the viewer' }, 'test');
      const device = await factories.device(t.pool, { status: 'active' });
      const client = await spawnMcp({ SOVI_USER: name });
      const tools = (await client.listTools()).tools;
      expect(tools.length).toBeGreaterThan(10);
      expect(tools.every((tool) => tool.annotations?.readOnlyHint === true)).toBe(true);
      const refused = await call(client, 'set_device_maintenance', {
        device: device.name as string,
        maintenance: true,
      });
      expect(refused.isError).toBe(true);
      expect(refused.text).toMatch(/set_device_maintenance needs the operator role; this caller is viewer/);
      const health = await call(client, 'fleet_health');
      expect(health.isError, health.text).toBe(false);
    },
    cliTestTimeout(2),
  );
});
