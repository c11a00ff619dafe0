// Choosing a plug-in from configuration: a built-in by name, or a module by path whose named factory export
// (or default export) makes one. One loader for every contract (session executor, publisher, trend source,
// metrics collector), so each refuses a bad module the same way: a config error naming the variable or
// option, exit 78.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SoviError } from '../errors.ts';
import { createRedditSource } from '../trends/reddit-source.ts';
import type { TrendsSettings } from '../settings/trends-settings.ts';
import type { ExecutorFactory, SessionExecutor } from './executor.ts';
import type { Publisher, PublisherContext, PublisherFactory } from './publisher.ts';
import { createSimulatorExecutor } from './simulator-executor.ts';
import { createSimulatorPublisher } from './simulator-publisher.ts';
import { createTikTokPublisher } from './tiktok-publisher.ts';
import { createInstagramPublisher } from './instagram-publisher.ts';
import { platforms, type Platform } from '../platforms.ts';
import type { TrendSource, TrendSourceContext, TrendSourceFactory } from './trend-source.ts';
import type {
  MetricsCollector,
  MetricsCollectorContext,
  MetricsCollectorFactory,
} from './metrics-collector.ts';
import { createSimulatorCollector } from './simulator-collector.ts';
import { createInstagramCollector } from './instagram-collector.ts';
import { createTikTokCollector } from './tiktok-collector.ts';
import type { MetricsPullSettings } from '../settings/metrics-pull-settings.ts';

type Factory<T, C> = (options: Readonly<Record<string, unknown>>, context: C) => T | Promise<T>;

interface PluginKind<T, C> {
  /** The variable (or option) that names the plug-in, for errors. */
  field: string;
  /** The module export that makes one (the default export works too), and how it is called. */
  factoryExport: string;
  factorySignature: string;
  /** Said before "cannot load …" when a module is missing: what the variable may be instead. */
  loadHint?: string;
  /** What a module must make: a description of what was wrong, or undefined when it is fine. */
  problem(plugin: unknown): string | undefined;
  builtins: Readonly<Record<string, Factory<T, C>>>;
}

async function loadPlugin<T, C>(
  kind: PluginKind<T, C>,
  spec: string,
  options: Readonly<Record<string, unknown>>,
  context: C,
  cwd: string,
): Promise<T> {
  const builtin = kind.builtins[spec];
  if (builtin) return builtin(options, context);
  const { field, factoryExport, factorySignature } = kind;
  const file = path.resolve(cwd, spec);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new SoviError(
      'config',
      `${field}: ${kind.loadHint ?? ''}cannot load ${file}: ${(err as Error).message}`,
      { field },
    );
  }
  const factory = module[factoryExport] ?? module.default;
  if (typeof factory !== 'function') {
    throw new SoviError('config', `${field}: ${file} exports no ${factorySignature} function`, {
      field,
    });
  }
  const plugin: unknown = await (factory as Factory<T, C>)(options, context);
  const problem = kind.problem(plugin);
  if (problem !== undefined) {
    throw new SoviError('config', `${field}: ${file}'s ${factoryExport}() ${problem}`, { field });
  }
  return plugin as T;
}

const has = (plugin: unknown, method: string): boolean =>
  typeof plugin === 'object' &&
  plugin !== null &&
  typeof (plugin as Record<string, unknown>)[method] === 'function';

const executors: PluginKind<SessionExecutor, undefined> = {
  field: 'SOVI_EXECUTOR',
  factoryExport: 'createExecutor',
  factorySignature: 'createExecutor(options)',
  problem: (p) => (has(p, 'runSession') ? undefined : 'did not return an executor with runSession()'),
  builtins: { simulator: (options) => createSimulatorExecutor(options) },
};

/** 'simulator', or the path of a module exporting createExecutor(options): an ExecutorFactory. */
export const loadExecutor = (
  spec: string,
  options: Readonly<Record<string, unknown>>,
  cwd: string = process.cwd(),
): Promise<SessionExecutor> => loadPlugin(executors, spec, options, undefined, cwd);

const publishers: PluginKind<Publisher, PublisherContext> = {
  field: 'SOVI_PUBLISHER',
  factoryExport: 'createPublisher',
  factorySignature: 'createPublisher(options, context)',
  problem: (p) => (has(p, 'publish') ? undefined : 'did not return a publisher with publish()'),
  builtins: { simulator: createSimulatorPublisher },
};

/** 'simulator', or the path of a module exporting createPublisher(options, context): a PublisherFactory. */
export const loadPublisher = (
  spec: string,
  options: Readonly<Record<string, unknown>>,
  context: PublisherContext,
  cwd: string = process.cwd(),
): Promise<Publisher> => loadPlugin(publishers, spec, options, context, cwd);

const officialPublishers: Record<Platform, Factory<Publisher, PublisherContext>> = {
  tiktok: createTikTokPublisher,
  instagram: createInstagramPublisher,
};

/**
 * One publisher per platform (SOVI_PUBLISHER_TIKTOK, SOVI_PUBLISHER_INSTAGRAM): 'simulator', 'official' (the
 * platform's connector), or a module path; platforms naming the same spec share one instance. The result
 * routes each post, and each status check, to its platform's publisher.
 */
export async function loadPublishers(
  specs: Readonly<Record<Platform, string>>,
  options: Readonly<Record<string, unknown>>,
  context: PublisherContext,
  cwd: string = process.cwd(),
): Promise<Publisher> {
  const shared = new Map<string, Publisher>();
  const byPlatform = {} as Record<Platform, Publisher>;
  for (const platform of platforms) {
    const spec = specs[platform];
    const field = `SOVI_PUBLISHER_${platform.toUpperCase()}`;
    if (spec === 'official') {
      byPlatform[platform] = await officialPublishers[platform](options, context);
      continue;
    }
    let publisher = shared.get(spec);
    if (!publisher) {
      publisher = await loadPlugin({ ...publishers, field }, spec, options, context, cwd);
      shared.set(spec, publisher);
    }
    byPlatform[platform] = publisher;
  }
  const distinct = [...new Set(Object.values(byPlatform))];
  if (distinct.length === 1) return distinct[0]!;
  const status = async (post: { platform: string; platformPostId: string }) => {
    const p = byPlatform[post.platform as Platform] as Publisher | undefined;
    return p?.status ? p.status(post) : ('unknown' as const);
  };
  return {
    name: platforms.map((p) => `${p}:${byPlatform[p].name}`).join(','),
    publish: (request) => byPlatform[request.platform].publish(request),
    ...(distinct.some((p) => typeof p.status === 'function') ? { status } : {}),
    close: async () => {
      for (const p of distinct) await p.close?.();
    },
  };
}

const SOURCE_NAME = /^[a-z][a-z0-9_]{0,39}$/;

const trendSources = (
  settings: TrendsSettings,
  field: string,
): PluginKind<TrendSource, TrendSourceContext> => ({
  field,
  factoryExport: 'createTrendSource',
  factorySignature: 'createTrendSource(options, context)',
  loadHint: 'expected reddit or a plug-in module; ',
  problem: (p) =>
    has(p, 'targets') && has(p, 'fetch') && SOURCE_NAME.test(String((p as { name?: unknown }).name))
      ? undefined
      : 'did not return a source with a snake_case name, targets() and fetch()',
  builtins: {
    reddit: (options) =>
      createRedditSource({
        baseUrl: settings.redditBaseUrl,
        subreddits: Object.fromEntries(Object.entries(settings.subreddits).map(([k, v]) => [k, [...v]])),
        ...options,
      }),
  },
});

/**
 * The trend source: settings.sourceSpec unless a command names another ('reddit', or a module exporting
 * createTrendSource: a TrendSourceFactory); `field` is what a bad one is reported as.
 */
export const loadTrendSource = (
  settings: TrendsSettings,
  context: TrendSourceContext,
  options: { spec?: string; field?: string; cwd?: string } = {},
): Promise<TrendSource> =>
  loadPlugin(
    trendSources(settings, options.field ?? 'SOVI_TRENDS_SOURCE'),
    options.spec ?? settings.sourceSpec,
    settings.sourceOptions,
    context,
    options.cwd ?? process.cwd(),
  );

const officialCollectors: Readonly<Record<Platform, MetricsCollectorFactory>> = {
  tiktok: createTikTokCollector,
  instagram: createInstagramCollector,
};

const collectors = (platform: Platform): PluginKind<MetricsCollector, MetricsCollectorContext> => ({
  field: `SOVI_METRICS_COLLECTOR_${platform.toUpperCase()}`,
  factoryExport: 'createMetricsCollector',
  factorySignature: 'createMetricsCollector(options, context)',
  loadHint: 'expected simulator, official or a plug-in module; ',
  problem: (p) =>
    has(p, 'readPosts') &&
    has(p, 'readFollowers') &&
    Number.isInteger((p as MetricsCollector).postsPerCall) &&
    (p as MetricsCollector).postsPerCall > 0 &&
    (p as MetricsCollector).callBudget?.calls > 0 &&
    (p as MetricsCollector).callBudget?.windowMs > 0
      ? undefined
      : 'did not return a collector with readPosts(), readFollowers(), postsPerCall and callBudget',
  builtins: { simulator: createSimulatorCollector, official: officialCollectors[platform] },
});

/**
 * The metrics collector of one platform: 'simulator' (the default), 'official' (the platform's API through
 * the account's connection), or a module exporting createMetricsCollector: a MetricsCollectorFactory.
 */
export const loadMetricsCollector = (
  settings: MetricsPullSettings,
  platform: Platform,
  context: Omit<MetricsCollectorContext, 'platform' | 'apiUrl' | 'timeoutMs'>,
  cwd: string = process.cwd(),
): Promise<MetricsCollector> =>
  loadPlugin(
    collectors(platform),
    settings.collectors[platform],
    settings.collectorOptions,
    { ...context, platform, apiUrl: settings.apiUrls[platform], timeoutMs: settings.callTimeoutMs },
    cwd,
  );

export type { ExecutorFactory, MetricsCollectorFactory, PublisherFactory, TrendSourceFactory };
