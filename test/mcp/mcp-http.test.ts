// The MCP server over Streamable HTTP, driven by the SDK's own client against the real app listening on a
// port: the tools a token's role allows, every read over seeded data, every action (its effect, and its audit
// entry as the agent), refusals in words, and no plaintext secret in any answer.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addAccount } from '../../src/accounts/accounts-service.ts';
import { listAudit } from '../../src/audit/audit-service.ts';
import { createToken } from '../../src/auth/tokens-service.ts';
import type { Role } from '../../src/auth/roles.ts';
import { recordEvent } from '../../src/events/events-service.ts';
import { getEvent } from '../../src/events/events-service.ts';
import { backfillRollups } from '../../src/metrics/rollup-refresh.ts';
import { addNiche } from '../../src/niches/niches-service.ts';
import { agentTools } from '../../src/mcp/tools.ts';
import { addUser } from '../../src/users/users-service.ts';
import { listPipelineSink } from '../helpers/content.ts';
import { findCanaries } from '../helpers/canary.ts';
import { accountDeps, newAccount } from '../helpers/accounts.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import { seedActionTargets } from './action-targets.ts';
import { startTestApp, type TestApp } from '../http/helpers.ts';

const t = useTestDatabase();
// The retries and approvals queue jobs: this sink keeps them in lists for the tests to read.
const sink = listPipelineSink();
let api: TestApp;
let base: URL;
const outputs: string[] = [];

beforeAll(async () => {
  api = await startTestApp(t, { contentSink: sink });
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

let people = 0;
/** A bearer secret of a new user with `role`; the agent is then named after the token. */
async function tokenFor(role: Role): Promise<{ secret: string; name: string }> {
  const name = `mcp-${role}-${process.pid}-${++people}`;
  const user = await addUser(t.db, { name, role, password: 'a long password for the agent' }, 'test');
  const { secret } = await createToken(t.db, { name, userId: user.id }, 'test');
  return { secret, name };
}

/** Who the audit trail says did `action` to a target. */
async function auditActor(type: string, id: string, action: string): Promise<string | undefined> {
  const { entries } = await listAudit(t.db, { target: { type, id } });
  return entries.find((e) => e.action === action)?.actor;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

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
    expect(resources.map((r) => r.uri)).toEqual(
      expect.arrayContaining(
        ['battery_low', 'voice_fallback', 'visual_source_failed'].map((type) => `sovi://runbooks/${type}`),
      ),
    );
    // The media stages' events each have their own runbook, not the general one.
    const voice = await client.readResource({ uri: 'sovi://runbooks/voice_fallback' });
    expect((voice.contents[0] as { text: string }).text).toMatch(/SOVI_TTS_URL[\s\S]*retry_production/);
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
    expect(await auditActor('account', account.id, 'account.state')).toMatch(
      /^llm_agent:admin-\S+ \(token:admin-/,
    );

    // And out of maintenance again, audited too.
    const back = json<{ status: string }>(
      await call(admin, 'set_device_maintenance', { device: device.name, maintenance: false }),
    );
    expect(back.status).toBe('active');
    const deviceAudit = await listAudit(t.db, { target: { type: 'device', id: device.id as string } });
    expect(deviceAudit.entries.filter((e) => e.actor.startsWith('llm_agent:'))).toHaveLength(2);

    // Without a job engine in this app, the planner says so.
    const plan = await call(admin, 'run_planner');
    expect(plan.text).toMatch(/no job engine/);

    await admin.close();
    await viewer.close();
  });

  it('answers the content, metrics, hook and trend reads with what is stored', async () => {
    const viewer = await connect(api.reader.secret);
    const niche = await addNiche(t.db, { name: 'MCP reads', slug: `mcp_reads_${process.pid}` }, 'test');
    const account = await factories.account(t.pool, { niche_id: niche.id, current_state: 'active' });
    const today = Math.floor(Date.now() / DAY) * DAY;
    const content = await factories.content(t.pool, {
      niche_id: niche.id,
      topic: 'why cats sleep all day',
      production_status: 'failed',
      asset_manifest: JSON.stringify({
        failure: { stage: 'assembling', reason: 'ffmpeg crashed', at: '2026-01-01T00:00:00.000Z' },
      }),
    });
    const post = await factories.distribution(t.pool, {
      content_id: content.id,
      account_id: account.id,
      status: 'posted',
      platform_post_id: '7300000000000000001',
      posted_at: new Date(today - 2 * DAY + HOUR),
    });
    // Cumulative views at noon two days ago and yesterday: 120 gained, then 380 more.
    for (const [ago, views] of [
      [2, 120],
      [1, 500],
    ] as const) {
      await t.pool.query(
        `INSERT INTO metric_snapshots (time, distribution_id, account_id, views, likes, comments, shares)
         VALUES ($1, $2, $3, $4, $5, 1, 1)`,
        [new Date(today - ago * DAY + 12 * HOUR), post.id, account.id, views, views / 10],
      );
    }
    await backfillRollups(t.pool, new Date(today - 5 * DAY), new Date(Date.now() + HOUR));
    const hook = await factories.hook(t.pool, {
      niche_id: niche.id,
      template: 'Nobody tells you this about {topic}',
      platform_scores: JSON.stringify({ tiktok: { score: 0.97, samples: 400 } }),
    });
    await t.pool.query(
      `INSERT INTO trending_topics (niche_id, topic, source, trend_score, overperformance_ratio)
       VALUES ($1, 'cats in boxes', 'reddit', 0.8, 3.5)`,
      [niche.id],
    );

    const counts = json<Record<string, number>>(await call(viewer, 'content_status'));
    expect(counts.failed).toBeGreaterThanOrEqual(1);
    const piece = json<{ content: { id: string; topic: string }; failure: { stage: string } }>(
      await call(viewer, 'content_status', { contentId: content.id }),
    );
    expect(piece).toMatchObject({
      content: { id: content.id, topic: 'why cats sleep all day' },
      failure: { stage: 'assembling', reason: 'ffmpeg crashed' },
    });
    const posts = json<{ distributions: { id: string; status: string }[] }>(
      await call(viewer, 'list_distributions', { contentId: content.id as string }),
    );
    expect(posts.distributions.map((d) => [d.id, d.status])).toEqual([[post.id, 'posted']]);

    const hours = json<{ accountId: string; hours: { views: number }[] }>(
      await call(viewer, 'account_metrics', { account: account.id, days: 3 }),
    );
    expect(hours.accountId).toBe(account.id);
    expect(hours.hours.map((h) => h.views)).toEqual([120, 500]);
    const days = json<{ days: { day: string; viewsGained: number }[] }>(
      await call(viewer, 'niche_metrics', { niche: niche.slug, days: 3 }),
    );
    const ymd = (ago: number) => new Date(today - ago * DAY).toISOString().slice(0, 10);
    expect(days.days.map((d) => [d.day, d.viewsGained])).toEqual([
      [ymd(2), 120],
      [ymd(1), 380],
      [ymd(0), 0],
    ]);
    const top = json<{ content: { contentId: string; viewsGained: number }[] }>(
      await call(viewer, 'top_content', { niche: niche.slug }),
    );
    expect(top.content).toEqual([expect.objectContaining({ contentId: content.id, viewsGained: 500 })]);

    const board = json<{
      platform: string;
      hooks: { rank: number; hook: { id: string }; samples: number }[];
    }>(await call(viewer, 'hook_leaderboard', { platform: 'tiktok', niche: niche.slug }));
    expect(board.platform).toBe('tiktok');
    expect(board.hooks[0]).toMatchObject({ rank: 1, hook: { id: hook.id }, samples: 400 });
    const trends = json<{ trends: { topic: string }[] }>(
      await call(viewer, 'list_trends', { niche: niche.slug }),
    );
    expect(trends.trends.map((tr) => tr.topic)).toEqual(['cats in boxes']);

    // The account is active and never warmed: due now.
    const schedule = json<{ dueAccounts: number; next: { id: string }[] }>(
      await call(viewer, 'schedule_status', { next: 100 }),
    );
    expect(schedule.dueAccounts).toBeGreaterThanOrEqual(1);
    expect(schedule.next.map((a) => a.id)).toContain(account.id);
    await viewer.close();
  });

  it('runs every content action for the role that may, with its effect and its audit entry as the agent', async () => {
    const operator = await tokenFor('operator');
    const reviewer = await tokenFor('reviewer');
    const asOperator = await connect(operator.secret);
    const asReviewer = await connect(reviewer.secret);
    const niche = await addNiche(t.db, { name: 'MCP acts', slug: `mcp_acts_${process.pid}` }, 'test');
    const account = await factories.account(t.pool, { niche_id: niche.id, current_state: 'active' });
    const { failedContent, failedPost, livePost, toApprove, toReject } = await seedActionTargets(
      t.pool,
      niche.id,
      account.id,
    );
    const agent = new RegExp(`^llm_agent:${operator.name} `);
    const reviewingAgent = new RegExp(`^llm_agent:${reviewer.name} `);

    // A reviewer may review, not retry: refused naming the role, and nothing changed.
    const refused = await call(asReviewer, 'retry_post', { distributionId: failedPost.id });
    expect(refused).toMatchObject({ isError: true });
    expect(refused.text).toMatch(/retry_post needs the operator role; this caller is reviewer/);
    const stillFailed = await t.pool.query('SELECT status FROM distributions WHERE id = $1', [failedPost.id]);
    expect(stillFailed.rows[0].status).toBe('failed');

    // retry_production: restarts at the failed stage and queues its job.
    const retried = json<{ queued: string; content: { status: string } }>(
      await call(asOperator, 'retry_production', { contentId: failedContent.id }),
    );
    expect(retried).toMatchObject({ queued: 'generating', content: { status: 'generating' } });
    expect(sink.stages).toContainEqual({ contentId: failedContent.id, stage: 'generating' });
    expect(await auditActor('content', failedContent.id as string, 'content.retry')).toMatch(agent);
    const twice = await call(asOperator, 'retry_production', { contentId: failedContent.id });
    expect(twice.text).toMatch(/is generating, not failed/);

    // retry_post: that post only, back to pending with its publish job.
    const post = json<{ id: string; status: string }>(
      await call(asOperator, 'retry_post', { distributionId: failedPost.id }),
    );
    expect(post).toMatchObject({ id: failedPost.id, status: 'pending' });
    expect(sink.publishes).toContain(failedPost.id);
    expect(sink.publishes).not.toContain(livePost.id);
    expect(await auditActor('distribution', failedPost.id as string, 'distribution.retry')).toMatch(agent);

    // mark_post_removed: only a posted post; the reason is kept.
    const notLive = await call(asOperator, 'mark_post_removed', {
      distributionId: failedPost.id,
      reason: 'gone',
    });
    expect(notLive.text).toMatch(/only a posted distribution can be marked removed/);
    const removed = json<{ status: string }>(
      await call(asOperator, 'mark_post_removed', {
        distributionId: livePost.id,
        reason: 'community guidelines',
      }),
    );
    expect(removed.status).toBe('removed');
    expect(await auditActor('distribution', livePost.id as string, 'distribution.removed')).toMatch(agent);

    // approve_content and reject_content, as a reviewer.
    const approved = json<{ approved: { id: string }[] }>(
      await call(asReviewer, 'approve_content', { contentId: toApprove.id, note: 'script and checks fine' }),
    );
    expect(approved.approved.map((a) => a.id)).toEqual([toApprove.post]);
    expect(sink.publishes).toContain(toApprove.post);
    expect(await auditActor('content', toApprove.id, 'content.approve')).toMatch(reviewingAgent);
    const rejected = json<{ status: string; review: { state: string } }>(
      await call(asReviewer, 'reject_content', { contentId: toReject.id, reason: 'off brand' }),
    );
    expect(rejected).toMatchObject({ status: 'failed', review: { state: 'rejected' } });
    const rejectedPost = await t.pool.query('SELECT review FROM distributions WHERE id = $1', [
      toReject.post,
    ]);
    expect(rejectedPost.rows[0].review).toBe('rejected');
    expect(await auditActor('content', toReject.id, 'content.reject')).toMatch(reviewingAgent);
    const decided = await call(asReviewer, 'reject_content', { contentId: toApprove.id, reason: 'late' });
    expect(decided).toMatchObject({ isError: true });

    await asOperator.close();
    await asReviewer.close();
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
