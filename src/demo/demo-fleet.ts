// `sovi up --demo`: a simulated fleet for a first look. Fake phones (the built-in fake WebDriverAgent on
// 127.0.0.1) that the health monitor polls, a configuration that points sovi at them and speeds the
// simulators up, and (seed-demo.ts) the rows that make the dashboard come alive. Nothing here runs without
// --demo: sovi never creates fake data on its own.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.ts';
import { startFakeWda, type FakeWda, type FakeWdaMode } from '../devices/fake-wda-server.ts';

/** The demo's phones: name, model, what their WebDriverAgent does, battery (0–1), free storage (GB). */
export const demoPhones: readonly {
  name: string;
  model: string;
  mode: FakeWdaMode;
  battery: number;
  storageGb: number;
  maintenance?: boolean;
}[] = [
  { name: 'demo-iphone-01', model: 'iPhone 13', mode: 'healthy', battery: 0.92, storageGb: 48.2 },
  { name: 'demo-iphone-02', model: 'iPhone 13', mode: 'healthy', battery: 0.67, storageGb: 21.7 },
  { name: 'demo-iphone-03', model: 'iPhone 12', mode: 'healthy', battery: 0.41, storageGb: 9.3 },
  { name: 'demo-iphone-04', model: 'iPhone 12', mode: 'healthy', battery: 0.14, storageGb: 1.4 },
  { name: 'demo-iphone-05', model: 'iPhone SE', mode: 'error', battery: 0.55, storageGb: 12 },
  {
    name: 'demo-iphone-06',
    model: 'iPhone 11',
    mode: 'healthy',
    battery: 0.8,
    storageGb: 30,
    maintenance: true,
  },
];

/** Sessions every few minutes instead of hours, so the warming scheduler visibly works. */
const demoWarmingPolicy = {
  created: { sessionsPerDay: 48, minGapMinutes: 0 },
  warming_p1: { sessionsPerDay: 48, minGapMinutes: 2 },
  warming_p2: { sessionsPerDay: 48, minGapMinutes: 3 },
  warming_p3: { sessionsPerDay: 48, minGapMinutes: 3 },
  active: { sessionsPerDay: 48, minGapMinutes: 4 },
};

export interface DemoFleet {
  /** The configuration sovi runs with: pointed at the fake phones, with quick simulators. */
  readonly config: Config;
  /** Each phone's fake WebDriverAgent port, by name. */
  readonly ports: ReadonlyMap<string, number>;
  stop(): Promise<void>;
}

export async function startDemoFleet(config: Config): Promise<DemoFleet> {
  const fakes: FakeWda[] = [];
  const ports = new Map<string, number>();
  try {
    for (const phone of demoPhones) {
      const fake = await startFakeWda({
        mode: phone.mode,
        battery: phone.battery,
        sessionId: `demo-${phone.name}`,
      });
      fakes.push(fake);
      ports.set(phone.name, fake.port);
    }
  } catch (err) {
    await Promise.all(fakes.map((f) => f.close()));
    throw err;
  }
  // A policy file the user set wins; otherwise the demo's own, kept in SOVI_HOME.
  let policyFile = config.scheduler.policyFile;
  if (policyFile === undefined) {
    policyFile = path.join(config.home, 'demo', 'warming-policy.json');
    fs.mkdirSync(path.dirname(policyFile), { recursive: true });
    fs.writeFileSync(policyFile, `${JSON.stringify(demoWarmingPolicy, null, 2)}\n`);
  }
  const executorOptions =
    Object.keys(config.scheduler.executorOptions).length > 0
      ? config.scheduler.executorOptions
      : {
          seed: 'demo',
          minDurationMs: 4_000,
          maxDurationMs: 15_000,
          deviceDropRate: 0.01,
          loginFailureRate: 0.01,
          challengeRate: 0.005,
        };
  return {
    config: {
      ...config,
      scheduler: { ...config.scheduler, policyFile, executorOptions },
      health: {
        ...config.health,
        wdaHost: '127.0.0.1',
        intervalMs: Math.min(config.health.intervalMs, 5_000),
      },
      // No pulls from Reddit: the demo imports its own topics, and a first look should need no internet.
      trends: { ...config.trends, pullCron: 'off' },
    },
    ports,
    stop: async () => {
      await Promise.all(fakes.map((f) => f.close()));
    },
  };
}
