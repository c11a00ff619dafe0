// Pulling trends: reading every target of a source under a deadline, recording failures as events, and
// handing what came back to ingest().
import { activeNicheSlugs, nicheIdsBySlug } from '../niches/niches-service.ts';
import { resolveNiche } from '../niches/niches-service.ts';
import type { Db } from '../db/pool.ts';
import { SoviError } from '../errors.ts';
import { bumpOpenEvent, recordEvent, resolveOpenEvents } from '../events/events-service.ts';

/**
 * Fetch failures are events (category trends). One open event per source group: an outage that lasts a day
 * adds to its count instead of adding 24 events, and the group's next good fetch resolves it.
 */
const FETCH_FAILED = 'trend_fetch_failed';
import type { Logger } from '../logger.ts';
import { TOPIC_MIN, cleanTopic, topicKey } from './trend-model.ts';
import type { TrendItem, TrendSource, TrendTarget } from '../plugins/trend-source.ts';
import { ingest, type IngestItem, type IngestResult } from './trends-service.ts';
import type { TrendsSettings } from '../settings/trends-settings.ts';
import { sleep } from '../time.ts';

export interface TrendsDeps {
  db: Db;
  logger: Logger;
  settings: TrendsSettings;
}

export interface FetchFailure {
  niche: string;
  group: string;
  message: string;
  /** The open event that records it. */
  eventId: number;
}

export interface PullResult extends IngestResult {
  source: string;
  targets: number;
  fetched: number;
  failures: FetchFailure[];
}

/**
 * Reads every target of the niches (all active niches by default) one after another, at the source's pace,
 * each under the fetch deadline, and ingests what came back. A failed target is recorded as an event and left out; the others
 * are ingested. Only bad input (an unknown niche, nothing to read) throws.
 */
export async function pullTrends(
  deps: TrendsDeps,
  source: TrendSource,
  options: { niches?: readonly string[]; now?: Date; signal?: AbortSignal } = {},
): Promise<PullResult> {
  const { db, logger, settings } = deps;
  if (options.niches) for (const n of options.niches) await resolveNiche(db, n, '--niche');
  const niches = options.niches ? [...options.niches] : await activeNicheSlugs(db);
  const targets = source.targets(niches);
  if (targets.length === 0) {
    throw options.niches
      ? new SoviError(
          'invalid_input',
          `--niche: the ${source.name} source reads nothing for ${niches.join(', ')}${source.name === 'reddit' ? ' (set its subreddits in SOVI_TRENDS_SUBREDDITS)' : ''}`,
          { field: '--niche' },
        )
      : new SoviError('config', `the ${source.name} source reads nothing for the active niches`, {
          field: 'source',
        });
  }
  const nicheIds = await nicheIdsBySlug(db, [...new Set(targets.map((t) => t.niche))]);

  const batch: IngestItem[] = [];
  const failures: FetchFailure[] = [];
  let fetched = 0;
  let lastStart: number | undefined;
  for (const target of targets) {
    options.signal?.throwIfAborted();
    // Pace the requests as the source asks; the wait is not part of the fetch's deadline.
    const wait = lastStart === undefined ? 0 : lastStart + (source.minIntervalMs ?? 0) - Date.now();
    if (wait > 0) await sleep(wait, options.signal);
    lastStart = Date.now();
    const nicheId = nicheIds.get(target.niche);
    if (!nicheId) {
      logger.warn({ niche: target.niche, source: source.name }, 'trend source target names no niche');
      continue;
    }
    let items: TrendItem[];
    try {
      items = await fetchTarget(source, target, settings.fetchTimeoutMs, options.signal);
    } catch (err) {
      if (options.signal?.aborted) throw err;
      const message = err instanceof Error ? err.message : String(err);
      failures.push({
        niche: target.niche,
        group: target.group,
        message,
        eventId: await recordFetchFailure(db, source.name, target, message, options.now ?? new Date()),
      });
      // The event is the record; the caller reports the failures (an error, or the job's warning).
      logger.info({ source: source.name, group: target.group, err: message }, 'trend fetch failed');
      continue;
    }
    await resolveOpenEvents(
      db,
      { eventType: FETCH_FAILED, context: { source: source.name, group: target.group } },
      { recovered: true },
    );
    fetched += items.length;
    for (const item of items) {
      const topic = cleanTopic(item.title);
      if (topic.length < TOPIC_MIN || topicKey(topic) === '') continue; // "🔥🔥" is no topic.
      batch.push({
        source: source.name,
        group: target.group,
        itemId: item.id,
        nicheId,
        topic,
        url: item.url ?? null,
        engagement: item.engagement,
        publishedAt: item.publishedAt ?? null,
      });
    }
  }
  const result = await ingest(db, batch, { settings, now: options.now ?? new Date() });
  return { source: source.name, targets: targets.length, fetched, failures, ...result };
}

async function fetchTarget(
  source: TrendSource,
  target: TrendTarget,
  timeoutMs: number,
  stop: AbortSignal | undefined,
): Promise<TrendItem[]> {
  const deadline = AbortSignal.timeout(timeoutMs);
  let items: unknown;
  try {
    items = await source.fetch(target, stop ? AbortSignal.any([deadline, stop]) : deadline);
  } catch (err) {
    if (deadline.aborted)
      throw new Error(`${target.group}: no answer within ${timeoutMs} ms`, { cause: err });
    if (err instanceof Error && err.name === 'TypeError' && err.cause instanceof Error) {
      // fetch() reports a refused connection or a DNS failure as "fetch failed", with the reason as cause.
      throw new Error(`${target.group}: ${err.message} (${err.cause.message})`, { cause: err });
    }
    throw err;
  }
  if (!Array.isArray(items)) throw new Error(`${target.group}: the ${source.name} source returned no list`);
  for (const [i, item] of (items as (Partial<TrendItem> | null)[]).entries()) {
    const bad = badField(item);
    if (bad) throw new Error(`${target.group}: item ${i} from the ${source.name} source has a bad ${bad}`);
  }
  return items as TrendItem[];
}

/** The first field of an item that breaks the contract (a plug-in's mistake), if any. */
function badField(item: Partial<TrendItem> | null): string | undefined {
  if (typeof item?.id !== 'string' || item.id === '') return 'id';
  if (typeof item.title !== 'string') return 'title';
  const { engagement, publishedAt, url } = item;
  if (typeof engagement !== 'number' || !Number.isFinite(engagement) || engagement < 0) return 'engagement';
  if (publishedAt != null && !(publishedAt instanceof Date && !Number.isNaN(publishedAt.getTime())))
    return 'publishedAt';
  if (url != null && typeof url !== 'string') return 'url';
  return undefined;
}

async function recordFetchFailure(
  db: Db,
  source: string,
  target: TrendTarget,
  message: string,
  at: Date,
): Promise<number> {
  const open = await bumpOpenEvent(
    db,
    { eventType: FETCH_FAILED, context: { source, group: target.group } },
    { lastError: message, lastFailedAt: at.toISOString() },
  );
  if (open !== undefined) return open;
  const event = await recordEvent(db, {
    category: 'trends',
    severity: 'warning',
    eventType: FETCH_FAILED,
    message: `trends (${source}): ${message}`,
    context: { source, group: target.group, niche: target.niche, error: message, failures: 1 },
  });
  return event.id;
}
