// What an agent's tool call costs over MCP against the same service call in-process, in one run on one
// database, for three read tools (get_device, list_events, fleet_health), each called four ways:
//  - the service: the tool's own `run` (the service calls it wraps), in-process: the baseline;
//  - the in-process tool: callTool, as the triage agent calls it (role check, argument check, JSON text);
//  - MCP over stdio: the SDK's client and a spawned `sovi mcp` (JSON-RPC over a pipe);
//  - MCP over Streamable HTTP: the SDK's client and the full app (buildApp) on 127.0.0.1, a bearer token.
// Calls are sequential, one at a time, in blocks that alternate the four ways so that a machine whose load
// changes by the minute weighs on each alike; p50 and p95 over every call.
//   node bench/mcp.ts [--calls 300] [--print-only]
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type pg from 'pg';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createToken } from '../src/auth/tokens-service.ts';
import { loadConfig } from '../src/config.ts';
import { migrate } from '../src/db/migrations/migrator.ts';
import { createDb, createPool } from '../src/db/pool.ts';
import { buildApp } from '../src/http/app.ts';
import { callTool, type ToolContext } from '../src/mcp/tool-kit.ts';
import { agentTools } from '../src/mcp/tools.ts';
import { loadPolicies } from '../src/policies.ts';
import { createVault } from '../src/vault/vault.ts';
import { logger, percentile, type BenchServer, type Row, type Section } from './harness.ts';

const SOVI_BIN = path.resolve(import.meta.dirname, '..', 'bin', 'sovi.js');
const WARMUP = 30;
const BLOCK = 25;
const DEVICES = 20;
const ACCOUNTS = 200;
const EVENTS = 2_000;

const ways = ['service', 'in-process tool', 'MCP over stdio', 'MCP over HTTP'] as const;
type Way = (typeof ways)[number];

/** A small fleet: devices, accounts on them, and a busy inbox of open events. */
async function seed(pool: pg.Pool): Promise<void> {
  await pool.query(
    `INSERT INTO devices (name, udid, status, host, wda_port, battery_level, last_seen_at)
     SELECT 'bench-phone-' || i, 'bench-udid-' || i, CASE WHEN i % 5 = 0 THEN 'maintenance' ELSE 'active' END,
            'bench-host', 8100 + i, 20 + i * 3, now()
     FROM generate_series(1, $1::int) i`,
    [DEVICES],
  );
  await pool.query(
    `WITH d AS (SELECT array_agg(id ORDER BY name) AS ids FROM devices),
          nn AS (SELECT array_agg(id ORDER BY slug) AS ids FROM niches)
     INSERT INTO accounts (platform, username, current_state, niche_id, device_id, followers)
     SELECT 'tiktok', 'bench_' || i, 'active', nn.ids[1 + i % 5], d.ids[1 + i % $2::int], 100 * i
     FROM d, nn, generate_series(1, $1::int) i`,
    [ACCOUNTS, DEVICES],
  );
  await pool.query(
    `INSERT INTO system_events (category, severity, event_type, message, device_id, "timestamp")
     SELECT 'device', (ARRAY['info', 'warning', 'error'])[1 + i % 3], 'battery_low', 'battery at ' || i % 20 || '%',
            (SELECT id FROM devices ORDER BY name OFFSET i % $2::int LIMIT 1), now() - make_interval(secs => i)
     FROM generate_series(1, $1::int) i`,
    [EVENTS, DEVICES],
  );
  await pool.query('ANALYZE');
}

const textOf = (result: Awaited<ReturnType<Client['callTool']>>): string => {
  const first = (result.content as { type: string; text: string }[])[0];
  if (result.isError || first === undefined) throw new Error(`bench: tool error: ${first?.text ?? '?'}`);
  return first.text;
};

/** The answer without its clock (fleet_health says when it was read, and since when it counts). */
const comparable = (text: string): unknown => {
  const { at: _at, since: _since, ...rest } = JSON.parse(text) as Record<string, unknown>;
  return rest;
};

const ms = (values: number[]) =>
  `p50 ${percentile(values, 50).toFixed(2)} ms, p95 ${percentile(values, 95).toFixed(2)} ms`;

export async function mcpBench(server: BenchServer, options: { calls?: number } = {}): Promise<Section> {
  const calls = options.calls ?? 300;
  const { name, url } = await server.createDatabase();
  const pool = createPool(
    { url },
    { min: 1, max: 4, connectTimeoutMs: 5_000, statementTimeoutMs: 0, applicationName: 'bench mcp' },
    logger,
  );
  const keys = `k1:${randomBytes(32).toString('base64')}`;
  const clients: Client[] = [];
  let app: Awaited<ReturnType<typeof buildApp>> | undefined;
  try {
    await migrate({ url }, { logger });
    await seed(pool);
    const db = createDb(pool);
    const config = loadConfig({ SOVI_HOST_NAME: 'bench-host' });
    const vault = createVault({ keys, keyFile: undefined });
    const policies = loadPolicies(config);
    app = await buildApp({ db, pool, logger, vault, config, policies });
    const base = new URL(await app.listen({ host: '127.0.0.1', port: 0 }));
    const { secret } = await createToken(db, { name: 'bench-agent', readOnly: true }, 'bench');

    const overHttp = new Client({ name: 'bench-http', version: '1.0.0' });
    await overHttp.connect(
      new StreamableHTTPClientTransport(new URL('/mcp', base), {
        requestInit: { headers: { authorization: `Bearer ${secret}` } },
      }),
    );
    clients.push(overHttp);
    const overStdio = new Client({ name: 'bench-stdio', version: '1.0.0' });
    await overStdio.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [SOVI_BIN, 'mcp'],
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? os.homedir(),
          DATABASE_URL: url,
          SOVI_VAULT_KEYS: keys,
          SOVI_HOST_NAME: 'bench-host',
          SOVI_LOG_LEVEL: 'warn',
        },
        stderr: 'inherit',
      }),
    );
    clients.push(overStdio);

    const ctx: ToolContext = {
      db,
      vault,
      config,
      policies,
      logger,
      contentSink: async () => undefined,
      planNow: undefined,
      caller: { role: 'viewer', scope: null, agentName: 'bench', actor: 'llm_agent:bench' },
    };
    const device = 'bench-phone-7';
    const probes: { tool: string; args: Record<string, unknown> }[] = [
      { tool: 'get_device', args: { device } },
      { tool: 'list_events', args: { severity: ['warning', 'error'], limit: 20 } },
      { tool: 'fleet_health', args: {} },
    ];

    const rows: Row[] = [];
    for (const { tool: toolName, args } of probes) {
      const tool = agentTools.find((t) => t.name === toolName);
      if (!tool) throw new Error(`bench: no tool ${toolName}`);
      const parsed = tool.input.parse(args);
      const run: Record<Way, () => Promise<string>> = {
        service: async () => JSON.stringify(await tool.run(ctx, parsed)),
        'in-process tool': async () => (await callTool(agentTools, ctx, toolName, args)).text,
        'MCP over stdio': async () => textOf(await overStdio.callTool({ name: toolName, arguments: args })),
        'MCP over HTTP': async () => textOf(await overHttp.callTool({ name: toolName, arguments: args })),
      };
      // The same answer every way before anything is timed (the tool's text is indented JSON).
      const expected = JSON.stringify(comparable(await run.service()));
      for (const way of ways) {
        const got = JSON.stringify(comparable(await run[way]()));
        if (got !== expected) throw new Error(`bench: ${toolName} ${way} answers differently`);
        for (let i = 0; i < WARMUP; i++) await run[way]();
      }
      const times: Record<Way, number[]> = {
        service: [],
        'in-process tool': [],
        'MCP over stdio': [],
        'MCP over HTTP': [],
      };
      for (let round = 0; times.service.length < calls; round++) {
        // Rotate which way goes first in each round.
        for (let k = 0; k < ways.length; k++) {
          const way = ways[(round + k) % ways.length]!;
          for (let i = 0; i < BLOCK; i++) {
            const started = performance.now();
            await run[way]();
            times[way].push(performance.now() - started);
          }
        }
      }
      const baseP50 = percentile(times.service, 50);
      for (const way of ways.slice(1)) {
        const p50 = percentile(times[way], 50);
        const added = p50 - baseP50;
        rows.push({
          what: `${toolName}: ${way}`,
          sovi: ms(times[way]),
          baseline: `${ms(times.service)} (the service in-process)`,
          ratio: `${(p50 / baseP50).toFixed(2)}× (p50), ${added < 0 ? '−' : '+'}${Math.abs(added).toFixed(2)} ms`,
        });
      }
    }
    const load = os.loadavg().map((l) => l.toFixed(1));
    return {
      title: 'MCP: a tool call over MCP against the same service call in-process (bench/mcp.ts)',
      notes: [
        `${calls} sequential calls per tool and way (after ${WARMUP} warm-up calls), in blocks of ${BLOCK} that`,
        "alternate the four ways. The baseline is the tool's own run (the service calls it wraps) in the bench",
        'process; the in-process tool adds what the triage agent pays (role and argument checks, the answer as',
        "JSON text); MCP over stdio is a spawned `sovi mcp` (the SDK's client, JSON-RPC over a pipe, its own",
        'pool); MCP over HTTP is the full app on 127.0.0.1 (the bearer token looked up, a server built per',
        "request, the SDK's client). " +
          `${DEVICES} devices, ${ACCOUNTS} accounts, ${EVENTS.toLocaleString('en')} open events. Load average at the end: ` +
          `${load.join(', ')} on ${os.cpus().length} CPUs.`,
      ],
      rows,
    };
  } finally {
    for (const client of clients) await client.close().catch(() => undefined);
    await app?.close();
    await pool.end();
    await server.dropDatabase(name);
  }
}

if (import.meta.main) {
  const { parseArgs } = await import('node:util');
  const { openBenchServer } = await import('./harness.ts');
  const { renderSection, writeSection } = await import('./report.ts');
  const { values } = parseArgs({
    options: {
      calls: { type: 'string', default: '300' },
      'print-only': { type: 'boolean', default: false },
    },
  });
  const server = await openBenchServer();
  try {
    const section = await mcpBench(server, { calls: Number(values.calls) });
    process.stdout.write(`${renderSection(section)}\n`);
    if (!values['print-only']) await writeSection(section, server.label);
  } finally {
    await server.close();
  }
}
