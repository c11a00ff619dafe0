// `sovi up --demo`: a simulated fleet for a first look. Fake phones (the built-in fake WebDriverAgent on
// 127.0.0.1) that the health monitor polls, a configuration that points sovi at them and speeds the
// simulators up, and (seed-demo.ts) the rows that make the dashboard come alive. Nothing here runs without
// --demo: sovi never creates fake data on its own.
import path from 'node:path';
import type { Config } from '../config.ts';
import { loadPolicies, type Policies } from '../policies.ts';
import { defaultWarmingPolicy, type WarmingPolicy } from '../warming/warming-policy.ts';
import { startFakeWda, type FakeWda } from '../devices/fake-wda-server.ts';

/**
 * The demo's phones: name, udid, model, battery (0–1), free storage (GB). Every one answers its health
 * checks with values inside the alert thresholds: the demo must not fill the inbox with warnings about its
 * own stand-ins. One is in maintenance, which the monitor leaves alone.
 */
export const demoPhones: readonly {
  name: string;
  udid: string;
  model: string;
  battery: number;
  storageGb: number;
  maintenance?: boolean;
}[] = [
  { name: 'demo-iphone-01', udid: '00008110-DEMO01', model: 'iPhone 13', battery: 0.92, storageGb: 48.2 },
  { name: 'demo-iphone-02', udid: '00008110-DEMO02', model: 'iPhone 13', battery: 0.67, storageGb: 21.7 },
  { name: 'demo-iphone-03', udid: '00008110-DEMO03', model: 'iPhone 12', battery: 0.41, storageGb: 9.3 },
  { name: 'demo-iphone-04', udid: '00008110-DEMO04', model: 'iPhone 12', battery: 0.28, storageGb: 4.6 },
  { name: 'demo-iphone-05', udid: '00008110-DEMO05', model: 'iPhone SE', battery: 0.55, storageGb: 12 },
  {
    name: 'demo-iphone-06',
    udid: '00008110-DEMO06',
    model: 'iPhone 11',
    battery: 0.8,
    storageGb: 30,
    maintenance: true,
  },
];

/** Sessions every few minutes instead of hours, so the warming scheduler visibly works. */
const demoWarmingPolicy: WarmingPolicy = {
  ...defaultWarmingPolicy,
  created: { sessionsPerDay: 48, minGapMinutes: 0 },
  warming_p1: { ...defaultWarmingPolicy.warming_p1, sessionsPerDay: 48, minGapMinutes: 2 },
  warming_p2: { ...defaultWarmingPolicy.warming_p2, sessionsPerDay: 48, minGapMinutes: 3 },
  warming_p3: { ...defaultWarmingPolicy.warming_p3, sessionsPerDay: 48, minGapMinutes: 3 },
  active: { sessionsPerDay: 48, minGapMinutes: 4 },
};

export interface DemoFleet {
  /**
   * The configuration sovi runs with: the demo's own home (config.demoHome), pointed at the fake phones,
   * with quick simulators.
   */
  readonly config: Config;
  /** The policies to run with: the demo's quick warming unless SOVI_WARMING_POLICY_FILE is set. */
  readonly policies: Policies;
  /** Each phone's fake WebDriverAgent port, by name. */
  readonly ports: ReadonlyMap<string, number>;
  stop(): Promise<void>;
}

export async function startDemoFleet(userConfig: Config): Promise<DemoFleet> {
  // Everything under the demo's home: its embedded database and its media.
  const mediaDir = path.join(userConfig.demoHome, 'media');
  const { store } = userConfig.media;
  const config: Config = {
    ...userConfig,
    home: userConfig.demoHome,
    content: { ...userConfig.content, mediaDir },
    // The default media store is the media folder: the demo's own, never the real one's.
    media: {
      ...userConfig.media,
      store:
        store.kind === 'file' && store.dir === userConfig.content.mediaDir
          ? { kind: 'file', dir: mediaDir }
          : store,
    },
  };
  const fakes: FakeWda[] = [];
  const ports = new Map<string, number>();
  try {
    for (const phone of demoPhones) {
      const fake = await startFakeWda({
        mode: 'healthy',
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
  // A policy file the user set wins; otherwise the demo's quick one, kept in memory: the demo writes
  // nothing before its guard has looked at the database (demo-guard.ts).
  const loaded = loadPolicies(config);
  const policies: Policies =
    config.scheduler.policyFile === undefined ? { ...loaded, warming: demoWarmingPolicy } : loaded;
  const executorOptions =
    Object.keys(config.scheduler.executorOptions).length > 0
      ? config.scheduler.executorOptions
      : {
          seed: 'demo',
          minDurationMs: 4_000,
          maxDurationMs: 15_000,
          // No dropped phones: a device warning would be about the demo's own stand-ins.
          deviceDropRate: 0,
          loginFailureRate: 0.01,
          challengeRate: 0.005,
        };
  return {
    config: {
      ...config,
      scheduler: { ...config.scheduler, executorOptions },
      health: {
        ...config.health,
        wdaHost: '127.0.0.1',
        intervalMs: Math.min(config.health.intervalMs, 5_000),
      },
      // No pulls from Reddit: the demo imports its own topics, and a first look should need no internet.
      trends: { ...config.trends, pullCron: 'off' },
    },
    policies,
    ports,
    stop: async () => {
      await Promise.all(fakes.map((f) => f.close()));
    },
  };
}
