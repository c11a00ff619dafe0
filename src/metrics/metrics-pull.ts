// Pulling metrics from the platforms: every due post's counts and each account's follower count, read
// through the platform's collector (src/plugins/metrics-collector.ts) and written as snapshots through the
// same ingest path as file imports (ingestSnapshots), so the rollups, the hook feedback and the dashboard
// see them at once.
//
// Which posts are due is pull-cadence.ts's rule (newer posts more often). Every call is taken from a budget
// first (call-budget.ts, shared by every sovi process through the database): the collector's declared limit,
// per token or per app; a full budget or a platform's "slow down" (a pause on the token's key, or on the
// app's when the platform said the whole app must wait) leaves the rest for the next pull with no extra
// call. A platform that is down is one open event (bumped on each failure, resolved when a call goes through
// again), not one per post; the rest of that platform waits. A refused token is reported once to the token
// provider (which refreshes it or marks the connection for reconnection), and that account is left for the
// next pull.
import type pg from 'pg';
import { recordFollowers } from '../accounts/account-activity.ts';
import type { Db } from '../db/pool.ts';
import { bumpOpenEvent, recordEvent, resolveOpenEvents } from '../events/events-service.ts';
import type { Logger } from '../logger.ts';
import { isPlatform, type Platform } from '../platforms.ts';
import {
  CollectorError,
  type CollectorAccount,
  type CollectorPost,
  type MetricsCollector,
  type PostCounts,
  type TokenProvider,
} from '../plugins/metrics-collector.ts';
import type { MetricsPullSettings } from '../settings/metrics-pull-settings.ts';
import { type CallBudget } from './call-budget.ts';
import { isPullDue } from './pull-cadence.ts';
import {
  openPullFailureScopes,
  pullablePosts,
  PULL_FAILED,
  type PullablePostRow,
} from './metrics-pull-repository.ts';
import { ingestSnapshots, type IngestSettings } from './snapshot-ingest.ts';

export interface MetricsPullDeps {
  db: Db;
  pool: pg.Pool;
  logger: Logger;
  settings: MetricsPullSettings;
  ingest: IngestSettings;
  collectors: Readonly<Record<Platform, MetricsCollector>>;
  /** The connections domain's tokens (official collectors); see TokenProvider. */
  tokens: TokenProvider;
  /** Shared by every pull of every process (in the database), so pulls stay within the limits together. */
  budget: CallBudget;
}

export interface PullFailure {
  platform: Platform;
  accountId: string | null;
  failure: CollectorError['failure'];
  message: string;
  platformCode: string | null;
}

export interface PullReport {
  /** Accounts with due posts. */
  accounts: number;
  /** Posts due. */
  due: number;
  /** Posts whose counts came back. */
  read: number;
  /** Snapshots stored (a post read twice at the same instant is stored once). */
  inserted: number;
  /** Calls made to the platforms. */
  calls: number;
  /** Due posts left for the next pull: a full budget, a rate limit, an outage, a refused token. */
  deferred: number;
  /** Accounts an official collector was not given: they have no connection. */
  notConnected: number;
  failures: PullFailure[];
  durationMs: number;
}

/** Tokens for a fleet with no connections domain wired: official collectors get no account. */
export const noConnections: TokenProvider = {
  accessFor: async () => null,
  rejected: async () => undefined,
  succeeded: async () => undefined,
};

/** Snapshots are written in batches of this many rows. */
const INGEST_BATCH = 10_000;

interface AccountGroup {
  account: Omit<CollectorAccount, 'access'>;
  posts: CollectorPost[];
}

export async function pullMetrics(
  deps: MetricsPullDeps,
  options: {
    accountId?: string;
    now?: Date;
    signal?: AbortSignal;
    onProgress?: (done: number, total: number) => void;
  } = {},
): Promise<PullReport> {
  const started = Date.now();
  const now = options.now ?? new Date();
  const signal = options.signal ?? new AbortController().signal;
  const since = new Date(now.getTime() - deps.settings.maxPostAgeDays * 86_400_000);
  const rows = await pullablePosts(deps.db, { since, accountId: options.accountId });
  const groups = groupByAccount(
    rows.filter((r) =>
      isPullDue({ postedAt: r.posted_at, lastReadAt: r.last_read_at }, now, deps.settings.maxPostAgeDays),
    ),
  );
  const report: PullReport = {
    accounts: groups.length,
    due: groups.reduce((n, g) => n + g.posts.length, 0),
    read: 0,
    inserted: 0,
    calls: 0,
    deferred: 0,
    notConnected: 0,
    failures: [],
    durationMs: 0,
  };
  const down = new Set<Platform>();
  // Only scopes with an open failure event need resolving when they answer: known up front, one query.
  const open = groups.length > 0 ? await openPullFailureScopes(deps.db) : new Set<string>();
  if (groups.length > 0) await deps.budget.prune();
  const followers: { accountId: string; followers: number }[] = [];
  let batch: Record<string, unknown>[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const rowsNow = batch;
    batch = [];
    report.inserted += (await ingestSnapshots(deps.pool, rowsNow, deps.ingest)).inserted;
  };
  let done = 0;
  options.onProgress?.(0, report.due);

  for (const group of groups) {
    signal.throwIfAborted();
    const { platform } = group.account;
    const collector = deps.collectors[platform];
    const result = await pullAccount(deps, collector, group, { down, open, report, signal, now });
    batch.push(...result.rows);
    report.read += result.rows.length;
    if (result.followers !== null)
      followers.push({ accountId: group.account.id, followers: result.followers });
    if (batch.length >= INGEST_BATCH) await flush();
    done += group.posts.length;
    options.onProgress?.(done, report.due);
  }
  await flush();
  await recordFollowers(deps.db, followers);
  report.durationMs = Date.now() - started;
  return report;
}

function groupByAccount(rows: PullablePostRow[]): AccountGroup[] {
  const groups = new Map<string, AccountGroup>();
  for (const row of rows) {
    if (!isPlatform(row.platform)) continue;
    let group = groups.get(row.account_id);
    if (!group) {
      group = { account: { id: row.account_id, platform: row.platform, username: row.username }, posts: [] };
      groups.set(row.account_id, group);
    }
    group.posts.push({
      distributionId: row.distribution_id,
      platformPostId: row.platform_post_id,
      postedAt: row.posted_at,
    });
  }
  return [...groups.values()];
}

interface PullState {
  down: Set<Platform>;
  /** The failure scopes with an open event ("tiktok:platform", "tiktok:<account id>"), until resolved. */
  open: Set<string>;
  report: PullReport;
  signal: AbortSignal;
  now: Date;
}

/** Reads one account's due posts and followers; returns its snapshot rows and follower count. */
async function pullAccount(
  deps: MetricsPullDeps,
  collector: MetricsCollector,
  group: AccountGroup,
  state: PullState,
): Promise<{ rows: Record<string, unknown>[]; followers: number | null }> {
  const { report } = state;
  const { id, platform } = group.account;
  if (state.down.has(platform)) {
    report.deferred += group.posts.length;
    return { rows: [], followers: null };
  }
  let access = null;
  if (collector.needsConnection) {
    access = await deps.tokens.accessFor(id, platform);
    if (!access) {
      report.notConnected += 1;
      report.deferred += group.posts.length;
      return { rows: [], followers: null };
    }
  }
  const account: CollectorAccount = { ...group.account, access };
  const budgetKey = collector.callBudget.per === 'token' ? `${platform}:${id}` : platform;
  // A per-token key also waits while the whole app is paused.
  const appKey = budgetKey === platform ? undefined : platform;
  const counts = new Map<string, PostCounts>();
  let answered = false;
  let stopped = false;

  /** One call under the budget; false when the account must stop here (its reason already handled). */
  const attempt = async <T>(call: () => Promise<T>): Promise<{ value: T } | undefined> => {
    if (!(await deps.budget.take(budgetKey, collector.callBudget, appKey))) return undefined;
    report.calls += 1;
    try {
      const value = await call();
      answered = true;
      await recover(deps, platform, 'platform', state);
      return { value };
    } catch (err) {
      if (state.signal.aborted) throw err;
      await fail(deps, collector, account, budgetKey, err, state);
      return undefined;
    }
  };

  for (let i = 0; i < group.posts.length; i += collector.postsPerCall) {
    const chunk = group.posts.slice(i, i + collector.postsPerCall);
    const result = await attempt(() => collector.readPosts(account, chunk, state.signal));
    if (!result) {
      report.deferred += group.posts.length - i;
      stopped = true;
      break;
    }
    for (const c of result.value) counts.set(c.platformPostId, c);
  }
  let followers: number | null = null;
  if (!stopped) {
    const result = await attempt(() => collector.readFollowers(account, state.signal));
    if (result) followers = result.value;
  }
  if (answered) {
    await recover(deps, platform, id, state);
    if (collector.needsConnection) await deps.tokens.succeeded(id, platform);
  }
  const time = state.now.toISOString();
  const rows = group.posts.flatMap((post) => {
    const c = counts.get(post.platformPostId);
    if (!c) return [];
    const row: Record<string, unknown> = { time, distribution_id: post.distributionId, account_id: id };
    for (const [column, value] of [
      ['views', c.views],
      ['likes', c.likes],
      ['comments', c.comments],
      ['shares', c.shares],
      ['saves', c.saves],
      ['follower_count_at', followers],
    ] as const) {
      if (typeof value === 'number') row[column] = value;
    }
    return [row];
  });
  return { rows, followers };
}

async function recover(
  deps: MetricsPullDeps,
  platform: Platform,
  scope: string,
  state: PullState,
): Promise<void> {
  const key = `${platform}:${scope}`;
  if (!state.open.has(key)) return;
  state.open.delete(key);
  const resolved = await resolveOpenEvents(
    deps.db,
    { eventType: PULL_FAILED, context: { platform, scope } },
    { recovered: true },
  );
  if (resolved.length > 0) deps.logger.info({ platform, scope }, 'metric pulls answer again');
}

async function fail(
  deps: MetricsPullDeps,
  collector: MetricsCollector,
  account: CollectorAccount,
  budgetKey: string,
  err: unknown,
  state: PullState,
): Promise<void> {
  const error =
    err instanceof CollectorError
      ? err
      : new CollectorError(
          'unavailable',
          `the ${collector.name} collector failed: ${err instanceof Error ? err.message : String(err)}`,
        );
  const { platform, id } = account;
  state.report.failures.push({
    platform,
    accountId: error.failure === 'unavailable' ? null : id,
    failure: error.failure,
    message: error.message,
    platformCode: error.platformCode ?? null,
  });
  switch (error.failure) {
    case 'unauthorized':
      // Once per account and pull: the provider refreshes the token or marks the connection.
      await deps.tokens.rejected(id, platform);
      return;
    case 'rate_limited':
      await deps.budget.pause(
        error.appWide ? platform : budgetKey,
        error.retryAfterMs ?? collector.callBudget.windowMs,
      );
      deps.logger.info(
        { platform, account: id, code: error.platformCode, appWide: error.appWide },
        'metric pull rate-limited; deferred',
      );
      return;
    case 'unavailable':
      state.down.add(platform);
      await recordPullFailure(deps, collector, platform, null, error, state.now);
      state.open.add(`${platform}:platform`);
      return;
    case 'refused':
      await recordPullFailure(deps, collector, platform, id, error, state.now);
      state.open.add(`${platform}:${id}`);
      return;
  }
}

async function recordPullFailure(
  deps: MetricsPullDeps,
  collector: MetricsCollector,
  platform: Platform,
  accountId: string | null,
  error: CollectorError,
  at: Date,
): Promise<void> {
  const scope = accountId ?? 'platform';
  const open = { eventType: PULL_FAILED, context: { platform, scope } };
  const detail = {
    lastError: error.message,
    platformCode: error.platformCode ?? null,
    lastFailedAt: at.toISOString(),
  };
  if ((await bumpOpenEvent(deps.db, open, detail)) !== undefined) return;
  await recordEvent(deps.db, {
    category: 'metrics',
    severity: accountId ? 'warning' : 'error',
    eventType: PULL_FAILED,
    accountId,
    message: accountId
      ? `metric pull for an account on ${platform} refused: ${error.message}`
      : `metric pulls from ${platform} are failing: ${error.message}`,
    context: {
      platform,
      scope,
      collector: collector.name,
      failure: error.failure,
      platformCode: error.platformCode ?? null,
      failures: 1,
    },
  });
}
