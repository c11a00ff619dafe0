// The triage agent and the MCP endpoint in a real `sovi up`: the agent follows the log in the server's
// process and acts where its policy file says so; /mcp answers the SDK's client with a token, and the
// planner tool, which needs the server's job engine, answers with what it planned.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../src/auth/tokens-service.ts';
import { getEvent, recordEvent } from '../../src/events/events-service.ts';
import { eventTriage } from '../../src/triage/triage-service.ts';
import { startSoviUp, type RunningSoviProcess } from '../helpers/cli.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import { until } from '../helpers/until.ts';
import { chargeOnBatteryLow, startFakeOpenAi, type FakeOpenAi } from '../fakes/fake-openai.ts';

const t = useTestDatabase();
let fake: FakeOpenAi;
let sovi: RunningSoviProcess;

beforeAll(async () => {
  fake = await startFakeOpenAi();
  fake.script = chargeOnBatteryLow;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sovi-agent-up-'));
  const policy = path.join(dir, 'agent.json');
  fs.writeFileSync(policy, JSON.stringify({ rules: [{ type: 'battery_low', mode: 'act' }] }));
  sovi = await startSoviUp({
    DATABASE_URL: t.url,
    SOVI_HOME: dir,
    SOVI_HOST_NAME: 'up-host',
    SOVI_AGENT: 'openai',
    SOVI_AGENT_POLICY_FILE: policy,
    SOVI_LLM_URL: fake.url,
    SOVI_LLM_MODEL: 'gpt-test',
    SOVI_LLM_API_KEY: 'sk-test',
    SOVI_CONTENT_CONCURRENCY: '0',
  });
}, 90_000);
afterAll(async () => {
  await sovi?.stop();
  await fake.close();
});

describe('sovi up with SOVI_AGENT=openai', () => {
  it('acts on a battery_low event as its policy file says', async () => {
    const device = await factories.device(t.pool, { status: 'active', host: 'up-host' });
    const event = await recordEvent(t.db, {
      category: 'device',
      severity: 'warning',
      eventType: 'battery_low',
      message: 'battery at 6%',
      deviceId: device.id as string,
    });
    const triage = await until(
      'the agent to act',
      async () => {
        const [first] = await eventTriage(t.db, event.id);
        return first?.status === 'acted' ? first : undefined;
      },
      { timeoutMs: 40_000 },
    );
    expect(triage.toolCalls.map((c) => c.name)).toEqual(['set_device_maintenance', 'resolve_event']);
    expect((await getEvent(t.db, event.id)).resolvedBy).toBe('llm_agent');
    const { rows } = await t.pool.query('SELECT status FROM devices WHERE id = $1', [device.id]);
    expect(rows[0].status).toBe('maintenance');
  }, 60_000);

  it('serves /mcp, where run_planner answers with what the server’s planner did', async () => {
    const { secret } = await createToken(t.db, { name: `up-agent-${process.pid}` }, 'test');
    const client = new Client({ name: 'up-agent', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL('/mcp', sovi.url), {
        requestInit: { headers: { authorization: `Bearer ${secret}` } },
      }),
    );
    const result = await client.callTool({ name: 'run_planner', arguments: {} });
    const text = (result.content as { text: string }[])[0]?.text ?? '';
    expect(result.isError, text).not.toBe(true);
    expect(JSON.parse(text)).toMatchObject({ host: 'up-host' });
    await client.close();
  }, 60_000);
});
