// What a tool call costs over MCP (Streamable HTTP, the SDK's client, a real socket) against the same
// service call in-process and the in-process tool call the triage agent makes, measured in one run on one
// database. The answers must agree; the figures are printed for the record (no bound is asserted: a busy
// machine changes them, not their meaning).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDeviceDetails } from '../../src/devices/devices-service.ts';
import { loadConfig } from '../../src/config.ts';
import { callTool } from '../../src/mcp/tool-kit.ts';
import { agentTools } from '../../src/mcp/tools.ts';
import { loadPolicies } from '../../src/policies.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import { startTestApp, type TestApp } from '../http/helpers.ts';

const t = useTestDatabase();
let api: TestApp;
let client: Client;
const CALLS = 200;

beforeAll(async () => {
  api = await startTestApp(t);
  const base = new URL(await api.app.listen({ host: '127.0.0.1', port: 0 }));
  client = new Client({ name: 'cost-agent', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL('/mcp', base), {
      requestInit: { headers: { authorization: `Bearer ${api.reader.secret}` } },
    }),
  );
});
afterAll(async () => {
  await client.close();
  await api.close();
});

async function timed(run: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 20; i++) await run(); // Warm up: JIT, pool connections.
  const started = performance.now();
  for (let i = 0; i < CALLS; i++) await run();
  return (performance.now() - started) / CALLS;
}

describe('the cost of a tool call over MCP', () => {
  it('get_device over MCP, in-process as a tool, and the service itself', async () => {
    const device = await factories.device(t.pool, { status: 'active' });
    const ref = String(device.name);
    const config = loadConfig({ SOVI_HOST_NAME: 'cost-host' });
    const ctx = {
      db: t.db,
      vault: api.vault,
      config,
      policies: loadPolicies(config),
      logger: quietLogger,
      contentSink: async () => undefined,
      planNow: undefined,
      caller: { role: 'viewer' as const, scope: null, agentName: 'cost', actor: 'llm_agent:cost' },
    };
    const overMcp = async () => {
      const result = await client.callTool({ name: 'get_device', arguments: { device: ref } });
      return (result.content as { text: string }[])[0]?.text ?? '';
    };
    const asTool = async () => (await callTool(agentTools, ctx, 'get_device', { device: ref })).text;
    const service = () => getDeviceDetails(t.db, ref);

    // The same answer every way.
    const expected = JSON.parse(JSON.stringify(await service())) as unknown;
    expect(JSON.parse(await overMcp())).toEqual(expected);
    expect(JSON.parse(await asTool())).toEqual(expected);

    const serviceMs = await timed(service);
    const toolMs = await timed(asTool);
    const mcpMs = await timed(overMcp);
    console.log(
      `get_device, ${CALLS} calls each: service ${serviceMs.toFixed(2)} ms, in-process tool ` +
        `${toolMs.toFixed(2)} ms (${(toolMs / serviceMs).toFixed(2)}x), MCP over HTTP ${mcpMs.toFixed(2)} ms ` +
        `(${(mcpMs / serviceMs).toFixed(2)}x the service)`,
    );
  });
});
