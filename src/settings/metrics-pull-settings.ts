// What the metric pulls can be configured with, and their defaults, in one place. src/config.ts reads the
// SOVI_METRICS_COLLECTOR_* , SOVI_METRICS_PULL_* and platform API URL variables into a MetricsPullSettings.
import { platforms, type Platform } from '../platforms.ts';

export interface MetricsPullSettings {
  /**
   * Per platform: 'simulator' (the default: a fresh install and the demo need no platform account),
   * 'official' (the platform's API through the account's OAuth connection), or a plug-in module's path.
   */
  readonly collectors: Readonly<Record<Platform, string>>;
  /** A JSON object handed to every collector (a plug-in's options; the simulator's seed). */
  readonly collectorOptions: Readonly<Record<string, unknown>>;
  /** When the pull job runs (cron, UTC), or 'off'. */
  readonly pullCron: string;
  /** Posts older than this are no longer read (their numbers have settled). */
  readonly maxPostAgeDays: number;
  /** The deadline of one call to a platform. */
  readonly callTimeoutMs: number;
  /** Base URLs of the platforms' APIs: configuration, so tests point the collectors at local fakes. */
  readonly apiUrls: Readonly<Record<Platform, string>>;
}

export const defaultMetricsPullSettings: MetricsPullSettings = Object.freeze({
  collectors: Object.freeze(
    Object.fromEntries(platforms.map((p) => [p, 'simulator'])) as Record<Platform, string>,
  ),
  collectorOptions: {},
  pullCron: '*/15 * * * *',
  maxPostAgeDays: 30,
  callTimeoutMs: 15_000,
  apiUrls: Object.freeze({
    // https://developers.tiktok.com/doc/tiktok-api-v2-video-query (host open.tiktokapis.com)
    tiktok: 'https://open.tiktokapis.com',
    // https://developers.facebook.com/docs/instagram-platform/reference/ig-user (Instagram API with Instagram Login)
    instagram: 'https://graph.instagram.com',
  }),
});
