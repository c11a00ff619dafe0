// Alert latency: from an event's INSERT to its webhook delivery being received, through sovi's notifications
// worker (the dispatcher woken by NOTIFY, a delivery job on pg-boss, a signed POST), against a baseline in the
// same run of the bare path: INSERT, the NOTIFY it fires, and one HTTP POST from the listener. Events are sent
// one at a time (quiet: each waits for the previous one's arrival), so the figure is latency, not backlog.
//
//   node bench/alerts.ts [--events 200] [--print-only]
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase } from '../src/db/database.ts';
import { createBoss } from '../src/db/job-engine.ts';
import { startNotificationsWorker } from '../src/jobs/notifications-worker.ts';
import { addChannel, addRule } from '../src/notifications/notifications-service.ts';
import { createVault } from '../src/vault/vault.ts';
import {
  type BenchServer,
  logger,
  migrateBenchDatabase,
  openBenchServer,
  percentile,
  type Section,
} from './harness.ts';
import { renderSection, writeSection } from './report.ts';

const INSERT = `INSERT INTO system_events (category, severity, event_type, message)
                VALUES ('bench', 'warning', 'bench_alert', 'a bench alert') RETURNING id`;

interface Receiver {
  url: string;
  /** Resolves when a POST naming this event id arrives; returns its arrival time. */
  arrival(id: number): Promise<number>;
  close(): Promise<void>;
}

async function startReceiver(idOf: (body: string) => number): Promise<Receiver> {
  const waiting = new Map<number, (at: number) => void>();
  const arrived = new Map<number, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      res.writeHead(200).end('ok');
      const id = idOf(Buffer.concat(chunks).toString('utf8'));
      const wake = waiting.get(id);
      if (wake) wake(at);
      else arrived.set(id, at);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrival: (id) =>
      arrived.has(id)
        ? Promise.resolve(arrived.get(id)!)
        : new Promise((resolve) => waiting.set(id, resolve)),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function measure(pool: pg.Pool, receiver: Receiver, events: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < events; i++) {
    const started = performance.now();
    const { rows } = await pool.query<{ id: string }>(INSERT);
    const at = await receiver.arrival(Number(rows[0]!.id));
    latencies.push(at - started);
  }
  return latencies;
}

async function baseline(url: string, events: number): Promise<number[]> {
  const receiver = await startReceiver((body) => Number(body));
  const listener = new pg.Client({ connectionString: url });
  await listener.connect();
  listener.on('notification', (n) => {
    void fetch(receiver.url, { method: 'POST', body: n.payload ?? '' }).then((r) => r.body?.cancel());
  });
  await listener.query('LISTEN sovi_events');
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    return await measure(pool, receiver, events);
  } finally {
    await pool.end();
    await listener.end();
    await receiver.close();
  }
}

async function throughSovi(url: string, events: number): Promise<number[]> {
  const config = await migrateBenchDatabase(url);
  const receiver = await startReceiver(
    (body) => (JSON.parse(body) as { events: { id: number }[] }).events[0]!.id,
  );
  const database = await openDatabase(config, logger, { applicationName: 'bench alerts' });
  const boss = createBoss(database.connection, config.scheduler, logger, {
    migrate: false,
    background: true,
  });
  await boss.start();
  const vault = createVault({ keys: `bench:${randomBytes(32).toString('base64')}`, keyFile: undefined });
  const deps = { db: database.db, vault, actor: 'bench' };
  await addChannel(deps, { name: 'bench-hook', kind: 'webhook', url: `${receiver.url}/hook` });
  await addRule(deps, { channel: 'bench-hook', minSeverity: 'warning', categories: ['bench'] });
  const worker = await startNotificationsWorker({ database, vault, logger, boss });
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    await measure(pool, receiver, 10); // warm-up: the first job of a queue is slower.
    return await measure(pool, receiver, events);
  } finally {
    await pool.end();
    await worker.stop();
    await boss.stop({ graceful: false, close: true });
    await database.close();
    await receiver.close();
  }
}

export async function alertsBench(
  server: BenchServer,
  options: { events: number } = { events: 200 },
): Promise<Section> {
  const bare = await server.createDatabase();
  await migrateBenchDatabase(bare.url);
  const raw = await baseline(bare.url, options.events);
  const sovi = await throughSovi((await server.createDatabase()).url, options.events);
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const row = (p: number) => ({
    what: `alert latency p${p} (event INSERT → webhook received, ${options.events} events one at a time)`,
    sovi: ms(percentile(sovi, p)),
    baseline: ms(percentile(raw, p)),
    ratio: `${(percentile(sovi, p) / percentile(raw, p)).toFixed(1)}×`,
    goal: p === 50 ? '< 1 s' : undefined,
    verdict: p === 50 ? (percentile(sovi, p) < 1_000 ? ('met' as const) : ('not met' as const)) : undefined,
  });
  return {
    title: 'Alerts (bench/alerts.ts)',
    notes: [
      'sovi: the notifications worker (dispatcher on LISTEN + delivery queue on pg-boss) posting a signed ' +
        'webhook; baseline: INSERT, its NOTIFY, one POST from the listening client.',
    ],
    rows: [row(50), row(99)],
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '200' },
      'print-only': { type: 'boolean', default: false },
    },
  });
  const server = await openBenchServer();
  try {
    const section = await alertsBench(server, { events: Number(values.events) });
    process.stdout.write(`${renderSection(section)}\n`);
    if (!values['print-only']) await writeSection(section, server.label);
  } finally {
    await server.close();
  }
}
