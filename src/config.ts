// The only reader of process.env. Everything sovi can be configured with is declared here, validated once,
// and handed out as one frozen object. A bad value is refused with the variable's name and what was expected.
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { SoviError, type OneOf } from './errors.ts';
import {
  defaultMaintenanceSettings,
  maintenanceLimits,
  type MaintenanceSettings,
} from './settings/maintenance-settings.ts';
import { defaultTrendsSettings, parseSubreddits, type TrendsSettings } from './settings/trends-settings.ts';
import { defaultApiSettings, parseTrustProxy, type ApiSettings } from './settings/api-settings.ts';
import { cronSetting } from './settings/cron-setting.ts';
import { backupLimits, defaultBackupSettings, type BackupSettings } from './settings/backup-settings.ts';
import {
  defaultMediaUrlTtlSeconds,
  parseMediaStore,
  parseSigningKey,
  type MediaSettings,
} from './settings/media-settings.ts';
import { defaultMetricsPullSettings, type MetricsPullSettings } from './settings/metrics-pull-settings.ts';
import {
  defaultConnectorSettings as connectorDefaults,
  type AppCredentials,
  type ConnectorSettings,
} from './settings/connector-settings.ts';
import { readConnectorKeyFile } from './settings/connector-key-file.ts';

const postgresUrl = z
  .string()
  .trim()
  .refine((value) => {
    try {
      return ['postgres:', 'postgresql:'].includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, 'expected a postgres:// or postgresql:// URL');

const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `expected an integer between ${min} and ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

// An empty variable counts as unset, as it does in most shells' ${VAR:-default}.
const blankAsUnset = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema);

const jsonObject = z
  .string()
  .refine((v) => {
    try {
      const parsed: unknown = JSON.parse(v);
      return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed);
    } catch {
      return false;
    }
  }, 'expected a JSON object')
  .transform((v) => JSON.parse(v) as Record<string, unknown>);

const httpUrl = z
  .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
  .transform((v) => v.replace(/\/+$/, ''));

const bool = (d: 'true' | 'false') =>
  z
    .enum(['true', 'false'], { error: 'expected true or false' })
    .default(d)
    .transform((v) => v === 'true');

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const envSchema = z.object({
  DATABASE_URL: blankAsUnset(postgresUrl.optional()),
  PGHOST: blankAsUnset(z.string().optional()),
  PGPORT: blankAsUnset(integer(1, 65535).optional()),
  PGUSER: blankAsUnset(z.string().optional()),
  PGPASSWORD: blankAsUnset(z.string().optional()),
  PGDATABASE: blankAsUnset(z.string().optional()),
  SOVI_MIGRATION_DATABASE_URL: blankAsUnset(postgresUrl.optional()),
  SOVI_DB_APP_ROLE: blankAsUnset(
    z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_$-]*$/, 'expected a role name')
      .optional(),
  ),
  SOVI_DB_POOL_MIN: blankAsUnset(integer(0, 1000).default(2)),
  SOVI_DB_POOL_MAX: blankAsUnset(integer(1, 1000).default(10)),
  SOVI_DB_CONNECT_TIMEOUT_MS: blankAsUnset(integer(100, 600_000).default(5_000)),
  SOVI_DB_STATEMENT_TIMEOUT_MS: blankAsUnset(integer(0, 86_400_000).default(60_000)),
  SOVI_HOME: blankAsUnset(z.string().default('.sovi')),
  SOVI_HOST: blankAsUnset(z.string().default('127.0.0.1')),
  SOVI_PORT: blankAsUnset(integer(0, 65535).default(8080)),
  SOVI_LOG_LEVEL: blankAsUnset(
    z.enum(logLevels, { error: `expected one of ${logLevels.join(', ')}` }).optional(),
  ),
  SOVI_LOG_FORMAT: blankAsUnset(
    z.enum(['auto', 'json', 'pretty'], { error: 'expected auto, json or pretty' }).default('auto'),
  ),
  SOVI_ACTOR: blankAsUnset(z.string().max(100).optional()),
  SOVI_USER: blankAsUnset(z.string().max(200).optional()),
  SOVI_PASSWORD_COST: blankAsUnset(integer(12, 22).optional()),
  SOVI_VAULT_KEYS: blankAsUnset(z.string().optional()),
  SOVI_VAULT_KEY_FILE: blankAsUnset(z.string().optional()),
  SOVI_WDA_HOST: blankAsUnset(z.string().default('127.0.0.1')),
  SOVI_HEALTH_INTERVAL_MS: blankAsUnset(integer(1_000, 86_400_000).default(30_000)),
  SOVI_HEALTH_TIMEOUT_MS: blankAsUnset(integer(100, 120_000).default(3_000)),
  SOVI_HEALTH_CONCURRENCY: blankAsUnset(integer(1, 1_000).default(16)),
  SOVI_HEALTH_FAILURES_BEFORE_DISCONNECT: blankAsUnset(integer(1, 100).default(2)),
  SOVI_BATTERY_LOW_PERCENT: blankAsUnset(integer(0, 100).default(20)),
  SOVI_BATTERY_STALE_MINUTES: blankAsUnset(integer(1, 10_080).default(15)),
  SOVI_STORAGE_LOW_GB: blankAsUnset(
    z
      .string()
      .trim()
      .regex(/^\d+(\.\d+)?$/, 'expected a number of GB')
      .transform(Number)
      .default(2),
  ),
  SOVI_HOST_NAME: blankAsUnset(
    z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,100}$/, 'expected a host name of letters, digits, . _ - (at most 100)')
      .optional(),
  ),
  SOVI_WARMING_POLICY_FILE: blankAsUnset(z.string().optional()),
  SOVI_EXECUTOR: blankAsUnset(z.string().default('simulator')),
  SOVI_EXECUTOR_OPTIONS: blankAsUnset(jsonObject.optional()),
  SOVI_PLAN_CRON: blankAsUnset(cronSetting('* * * * *')),
  SOVI_WORKER_CONCURRENCY: blankAsUnset(integer(1, 1_000).default(32)),
  SOVI_DEVICE_QUEUE_DEPTH: blankAsUnset(integer(1, 100).default(2)),
  SOVI_JOB_HEARTBEAT_SECONDS: blankAsUnset(integer(10, 3_600).default(10)),
  SOVI_JOB_SUPERVISE_SECONDS: blankAsUnset(integer(1, 600).default(5)),
  SOVI_JOB_POOL_MAX: blankAsUnset(integer(1, 100).default(10)),
  SOVI_CONTENT_POLICY_FILE: blankAsUnset(z.string().optional()),
  SOVI_CONTENT_CONCURRENCY: blankAsUnset(integer(0, 64).default(2)),
  SOVI_FFMPEG: blankAsUnset(z.string().optional()),
  SOVI_FFPROBE: blankAsUnset(z.string().optional()),
  SOVI_ESPEAK: blankAsUnset(z.string().optional()),
  SOVI_MEDIA_LIBRARY: blankAsUnset(z.string().optional()),
  SOVI_MUSIC_LIBRARY: blankAsUnset(z.string().optional()),
  SOVI_TTS_URL: blankAsUnset(z.url({ error: 'expected an http(s) URL' }).optional()),
  SOVI_TTS_API_KEY: blankAsUnset(z.string().optional()),
  SOVI_TTS_TIMEOUT_MS: blankAsUnset(integer(100, 600_000).default(30_000)),
  SOVI_PEXELS_URL: blankAsUnset(
    z.url({ error: 'expected an http(s) URL' }).default('https://api.pexels.com'),
  ),
  SOVI_PEXELS_API_KEY: blankAsUnset(z.string().optional()),
  SOVI_SCRIPT_WRITER: blankAsUnset(
    z.enum(['template', 'openai'], { error: 'expected template or openai' }).default('template'),
  ),
  SOVI_AGENT: blankAsUnset(z.enum(['off', 'openai'], { error: 'expected off or openai' }).default('off')),
  SOVI_AGENT_POLICY_FILE: blankAsUnset(z.string().optional()),
  SOVI_LLM_URL: blankAsUnset(z.url({ error: 'expected an http(s) URL' }).optional()),
  SOVI_LLM_MODEL: blankAsUnset(z.string().optional()),
  SOVI_LLM_API_KEY: blankAsUnset(z.string().optional()),
  SOVI_LLM_TIMEOUT_MS: blankAsUnset(integer(100, 600_000).default(30_000)),
  SOVI_PUBLISHER: blankAsUnset(z.string().default('simulator')),
  SOVI_PUBLISHER_OPTIONS: blankAsUnset(jsonObject.optional()),
  SOVI_PUBLISHER_TIKTOK: blankAsUnset(z.string().optional()),
  SOVI_PUBLISHER_INSTAGRAM: blankAsUnset(z.string().optional()),
  SOVI_PUBLIC_URL: blankAsUnset(httpUrl.optional()),
  SOVI_TIKTOK_CLIENT_KEY: blankAsUnset(z.string().trim().min(1).max(500).optional()),
  SOVI_TIKTOK_CLIENT_SECRET: blankAsUnset(z.string().trim().min(1).max(500).optional()),
  SOVI_META_APP_ID: blankAsUnset(z.string().trim().min(1).max(500).optional()),
  SOVI_META_APP_SECRET: blankAsUnset(z.string().trim().min(1).max(500).optional()),
  SOVI_CONNECTOR_KEY_FILE: blankAsUnset(z.string().optional()),
  SOVI_TIKTOK_AUTH_URL: blankAsUnset(httpUrl.default(connectorDefaults.tiktokAuthUrl)),
  SOVI_TIKTOK_API_URL: blankAsUnset(httpUrl.default(connectorDefaults.tiktokApiUrl)),
  SOVI_TIKTOK_PUBLISH_INITS_PER_MINUTE: blankAsUnset(
    integer(1, 6).default(connectorDefaults.tiktokPublishInitsPerMinute),
  ),
  SOVI_INSTAGRAM_AUTH_URL: blankAsUnset(httpUrl.default(connectorDefaults.instagramAuthUrl)),
  SOVI_INSTAGRAM_TOKEN_URL: blankAsUnset(httpUrl.default(connectorDefaults.instagramTokenUrl)),
  SOVI_INSTAGRAM_GRAPH_URL: blankAsUnset(httpUrl.default(connectorDefaults.instagramGraphUrl)),
  SOVI_CONNECTIONS_REFRESH_CRON: blankAsUnset(cronSetting(connectorDefaults.refreshCron)),
  SOVI_CONNECTIONS_REFRESH_AHEAD_SECONDS: blankAsUnset(
    integer(60, 30 * 86_400).default(connectorDefaults.refreshAheadSeconds),
  ),
  SOVI_PLATFORM_TIMEOUT_MS: blankAsUnset(integer(100, 600_000).default(connectorDefaults.requestTimeoutMs)),
  SOVI_POST_LATE_SECONDS: blankAsUnset(integer(0, 86_400).default(300)),
  SOVI_STUB_MEDIA: blankAsUnset(jsonObject.optional()),
  SOVI_METRICS_FUTURE_TOLERANCE_SECONDS: blankAsUnset(integer(0, 86_400).default(300)),
  SOVI_METRICS_ON_BAD_ROWS: blankAsUnset(
    z.enum(['reject', 'skip'], { error: 'expected reject or skip' }).default('reject'),
  ),
  SOVI_ROLLUP_LATE_WINDOW_HOURS: blankAsUnset(integer(1, 24 * 366).default(72)),
  SOVI_ROLLUP_REFRESH_CRON: blankAsUnset(cronSetting('* * * * *')),
  SOVI_FEEDBACK_CRON: blankAsUnset(cronSetting('23 * * * *')),
  SOVI_FEEDBACK_WINDOW_DAYS: blankAsUnset(integer(1, 366).default(30)),
  SOVI_MEDIA_STORE: blankAsUnset(z.string().trim().optional()),
  SOVI_MEDIA_S3_ENDPOINT: blankAsUnset(
    z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
  ),
  SOVI_MEDIA_S3_REGION: blankAsUnset(z.string().trim().default('us-east-1')),
  SOVI_MEDIA_S3_FORCE_PATH_STYLE: blankAsUnset(bool('true')),
  SOVI_MEDIA_S3_ACCESS_KEY_ID: blankAsUnset(z.string().trim().optional()),
  SOVI_MEDIA_S3_SECRET_ACCESS_KEY: blankAsUnset(z.string().optional()),
  SOVI_MEDIA_SIGNING_KEY: blankAsUnset(z.string().optional()),
  SOVI_MEDIA_URL_TTL_SECONDS: blankAsUnset(integer(60, 7 * 86_400).default(defaultMediaUrlTtlSeconds)),
  SOVI_METRICS_COLLECTOR_TIKTOK: blankAsUnset(z.string().trim().default('simulator')),
  SOVI_METRICS_COLLECTOR_INSTAGRAM: blankAsUnset(z.string().trim().default('simulator')),
  SOVI_METRICS_COLLECTOR_OPTIONS: blankAsUnset(jsonObject.optional()),
  SOVI_METRICS_PULL_CRON: blankAsUnset(cronSetting(defaultMetricsPullSettings.pullCron, { allowOff: true })),
  SOVI_METRICS_PULL_MAX_AGE_DAYS: blankAsUnset(
    integer(1, 366).default(defaultMetricsPullSettings.maxPostAgeDays),
  ),
  SOVI_METRICS_PULL_TIMEOUT_MS: blankAsUnset(
    integer(100, 600_000).default(defaultMetricsPullSettings.callTimeoutMs),
  ),
  SOVI_PARTITION_MONTHS_AHEAD: blankAsUnset(
    integer(maintenanceLimits.monthsAhead.min, maintenanceLimits.monthsAhead.max).default(
      defaultMaintenanceSettings.partitionMonthsAhead,
    ),
  ),
  SOVI_ACTIVITY_RETENTION_DAYS: blankAsUnset(
    integer(maintenanceLimits.activityRetentionDays.min, maintenanceLimits.activityRetentionDays.max).default(
      defaultMaintenanceSettings.activityRetentionDays,
    ),
  ),
  SOVI_SNAPSHOT_RETENTION_DAYS: blankAsUnset(
    integer(
      maintenanceLimits.snapshotRetentionDays.min,
      maintenanceLimits.snapshotRetentionDays.max,
    ).optional(),
  ),
  SOVI_MAINTENANCE_CRON: blankAsUnset(cronSetting(defaultMaintenanceSettings.cron)),
  SOVI_BACKUP_DIR: blankAsUnset(z.string().optional()),
  SOVI_BACKUP_CRON: blankAsUnset(cronSetting(defaultBackupSettings.cron, { allowOff: true })),
  SOVI_BACKUP_KEEP: blankAsUnset(
    integer(backupLimits.keep.min, backupLimits.keep.max).default(defaultBackupSettings.keep),
  ),
  SOVI_BACKUP_MAX_AGE_HOURS: blankAsUnset(
    integer(backupLimits.maxAgeHours.min, backupLimits.maxAgeHours.max).default(
      defaultBackupSettings.maxAgeHours,
    ),
  ),
  SOVI_TRENDS_SOURCE: blankAsUnset(z.string().default(defaultTrendsSettings.sourceSpec)),
  SOVI_TRENDS_SOURCE_OPTIONS: blankAsUnset(jsonObject.optional()),
  SOVI_TRENDS_REDDIT_URL: blankAsUnset(
    z
      .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
      .default(defaultTrendsSettings.redditBaseUrl),
  ),
  SOVI_TRENDS_SUBREDDITS: blankAsUnset(z.string().optional()),
  SOVI_TRENDS_WINDOW_DAYS: blankAsUnset(integer(1, 90).default(defaultTrendsSettings.windowDays)),
  SOVI_TRENDS_INACTIVE_AFTER_HOURS: blankAsUnset(
    integer(1, 8_760).default(defaultTrendsSettings.inactiveAfterHours),
  ),
  SOVI_TRENDS_PULL_CRON: blankAsUnset(cronSetting(defaultTrendsSettings.pullCron, { allowOff: true })),
  SOVI_TRENDS_FETCH_TIMEOUT_MS: blankAsUnset(
    integer(100, 600_000).default(defaultTrendsSettings.fetchTimeoutMs),
  ),
  SOVI_SESSION_TTL_HOURS: blankAsUnset(integer(1, 2_160).default(12)),
  SOVI_METRICS_TOKEN_REQUIRED: blankAsUnset(bool('true')),
  SOVI_AUTH_FAILURES_PER_MINUTE: blankAsUnset(integer(1, 100_000).default(20)),
  SOVI_SIGNIN_ATTEMPTS_PER_MINUTE: blankAsUnset(integer(1, 100_000).default(10)),
  SOVI_TRUST_PROXY: blankAsUnset(
    z
      .string()
      .default('false')
      .transform((value, ctx) => {
        const parsed = parseTrustProxy(value);
        if ('error' in parsed) {
          ctx.addIssue({ code: 'custom', message: parsed.error });
          return z.NEVER;
        }
        return parsed.value;
      }),
  ),
  SOVI_HTTP_REQUEST_TIMEOUT_MS: blankAsUnset(integer(100, 600_000).default(15_000)),
  SOVI_STREAMS_PER_TOKEN: blankAsUnset(integer(1, 100_000).default(defaultApiSettings.streamsPerToken)),
  SOVI_STREAMS_PER_ADDRESS: blankAsUnset(integer(1, 100_000).default(defaultApiSettings.streamsPerAddress)),
  SOVI_STREAMS_MAX: blankAsUnset(integer(1, 100_000).default(defaultApiSettings.streamsTotal)),
  SOVI_STREAM_MAX_BUFFER_BYTES: blankAsUnset(
    integer(16_384, 1_073_741_824).default(defaultApiSettings.streamMaxBufferBytes),
  ),
  SOVI_HTTP_RECEIVE_TIMEOUT_MS: blankAsUnset(
    integer(1_000, 3_600_000).default(defaultApiSettings.receiveTimeoutMs),
  ),
  SOVI_HTTP_IDLE_TIMEOUT_MS: blankAsUnset(
    integer(1_000, 3_600_000).default(defaultApiSettings.idleTimeoutMs),
  ),
  SOVI_SLOW_REQUEST_MS: blankAsUnset(integer(1, 3_600_000).default(defaultApiSettings.slowRequestMs)),
  SOVI_HTTP_KEEP_ALIVE_TIMEOUT_MS: blankAsUnset(
    integer(100, 3_600_000).default(defaultApiSettings.keepAliveTimeoutMs),
  ),
  SOVI_EMBEDDED_PG_PORT: blankAsUnset(integer(1, 65535).optional()),
  SOVI_EMBEDDED_PG_OS_USER: blankAsUnset(
    z
      .string()
      .regex(/^[a-z_][a-z0-9_-]*$/, 'expected an OS user name')
      .default('postgres'),
  ),
});

export type LogLevel = OneOf<typeof logLevels>;

/** Where sovi's database is: an existing server, or the embedded one under SOVI_HOME. */
export type DatabaseTarget =
  | { kind: 'external'; connection: ConnectionSettings; migrationConnection: ConnectionSettings }
  | { kind: 'embedded'; port: number | undefined; osUser: string };

/** Either a URL or discrete fields (from the standard PG* variables); never both. */
export type ConnectionSettings =
  { url: string } | { host?: string; port?: number; user?: string; password?: string; database?: string };

export interface Config {
  readonly home: string;
  /**
   * Where `sovi up --demo` keeps its data: SOVI_HOME when it is set explicitly, else ./.sovi-demo, so the
   * demo never shares the default ./.sovi with real data.
   */
  readonly demoHome: string;
  readonly database: {
    readonly target: DatabaseTarget;
    readonly appRole: string | undefined;
    readonly pool: { readonly min: number; readonly max: number };
    readonly connectTimeoutMs: number;
    readonly statementTimeoutMs: number;
  };
  readonly http: { readonly host: string; readonly port: number };
  /** Who this process acts as in audit events (SOVI_ACTOR, else the OS user). */
  readonly actor: string;
  /**
   * The sovi user the command line acts as (SOVI_USER): their role limits which commands run, and the audit
   * trail names them. Unset: the machine's operator, who holds the database and the keys anyway.
   */
  readonly cliUser: string | undefined;
  /**
   * log2 of scrypt's cost N for new password hashes (SOVI_PASSWORD_COST); unset: the recommended 17
   * (src/users/password.ts). Only a test suite should lower it: each sign-in of a test then costs
   * milliseconds instead of half a second of CPU.
   */
  readonly passwordCost: number | undefined;
  /** Raw key material; parsed and checked by the vault when it is first needed. */
  readonly vault: { readonly keys: string | undefined; readonly keyFile: string | undefined };
  /** This machine's name in the fleet: devices plugged into it carry it, and its worker runs only them. */
  readonly host: string;
  readonly scheduler: {
    /** A JSON file overriding parts of the default warming policy. */
    readonly policyFile: string | undefined;
    /** 'simulator', or the path of a module exporting createExecutor(options). */
    readonly executor: string;
    readonly executorOptions: Readonly<Record<string, unknown>>;
    readonly planCron: string;
    /** Sessions one worker runs at once. */
    readonly concurrency: number;
    /** Sessions the planner keeps queued per device. */
    readonly deviceQueueDepth: number;
    readonly heartbeatSeconds: number;
    /** How often the job engine looks for expired heartbeats and dead jobs. */
    readonly superviseSeconds: number;
    /** Connections of the job engine's own pool, per process. */
    readonly poolMax: number;
  };
  readonly content: {
    /** A JSON file overriding parts of the default content policy. */
    readonly policyFile: string | undefined;
    /** Production stages this host runs at once (rendering is CPU-heavy); 0: this host produces nothing. */
    readonly concurrency: number;
    /** Where rendered videos and their assets go: $SOVI_HOME/media. */
    readonly mediaDir: string;
    /** A folder of background clips to use instead of generated scenes (keywords.json: clips per keyword). */
    readonly mediaLibrary: string | undefined;
    /** A folder of music tracks with a music.json manifest (mood, tempo, licence, attribution). */
    readonly musicLibrary: string | undefined;
    /** $SOVI_HOME/cache: paid-for responses kept so that a retried production does not pay twice. */
    readonly cacheDir: string;
    /** An OpenAI-compatible text-to-speech endpoint (…/v1), for the openai voices of the policy. */
    readonly tts: {
      readonly url: string | undefined;
      readonly apiKey: string | undefined;
      readonly timeoutMs: number;
    };
    /** The Pexels API, for the pexels visual source. */
    readonly pexels: { readonly url: string; readonly apiKey: string | undefined };
    /** Explicit tool paths; otherwise found on PATH, then in the npm packages that ship them. */
    readonly tools: {
      readonly ffmpeg: string | undefined;
      readonly ffprobe: string | undefined;
      readonly espeak: string | undefined;
    };
    readonly scriptWriter: {
      readonly kind: 'template' | 'openai';
      /** An OpenAI-compatible chat endpoint: the base URL (…/v1) or the full …/chat/completions URL. */
      readonly url: string | undefined;
      readonly model: string | undefined;
      readonly apiKey: string | undefined;
      readonly timeoutMs: number;
    };
    /** 'simulator', or the path of a module exporting createPublisher(options). */
    readonly publisher: string;
    readonly publisherOptions: Readonly<Record<string, unknown>>;
    /** A post published more than this after its slot records a post_late warning. */
    readonly postLateSeconds: number;
    /** Test-only: `sovi worker` renders nothing, with the stub media's options (src/content/stub-media.ts). */
    readonly stubMedia: Readonly<Record<string, unknown>> | undefined;
  };
  readonly metrics: {
    /** How far ahead of the server clock a snapshot's time may be. */
    readonly futureToleranceSeconds: number;
    /** A batch with a bad row: write nothing ('reject'), or the good rows with the bad ones reported ('skip'). */
    readonly onBadRows: 'reject' | 'skip';
    /** Rows arriving up to this late are folded in by the refresh job; older ones need a backfill. */
    readonly lateWindowHours: number;
    readonly refreshCron: string;
    /** When hook scores are recomputed from the rollups. */
    readonly feedbackCron: string;
    /** Distributions posted in this many days feed the hook scores. */
    readonly feedbackWindowDays: number;
  };
  /** Metric pulls from the platforms: collectors per platform, the cron, API base URLs. */
  readonly metricsPull: MetricsPullSettings;
  /** The media store rendered videos go to, and the signed URLs the platforms fetch them by. */
  readonly media: MediaSettings;
  /** The official platform connectors: app credentials, API URLs, the public URL, publishers per platform. */
  readonly connectors: ConnectorSettings;
  /** The event-triage agent (src/agent/): off, or an OpenAI-compatible chat endpoint (the SOVI_LLM_* ones). */
  readonly agent: {
    readonly kind: 'off' | 'openai';
    /** A JSON or YAML file: per event type and severity act, propose or ignore, and the bounds (agent-settings.ts). */
    readonly policyFile: string | undefined;
  };
  /** The daily maintenance job: activity_log partitions and data retention. */
  readonly maintenance: MaintenanceSettings;
  /** Base backups and the WAL archive of the embedded PostgreSQL (src/backup). */
  readonly backup: BackupSettings;
  /** The HTTP API: sessions, /metrics auth, rate limits (see src/http/api-settings.ts). */
  readonly api: ApiSettings;
  /** Trend ingestion: the source, subreddits per niche, the median's window, ageing, the pull cron. */
  readonly trends: TrendsSettings;
  readonly health: {
    readonly wdaHost: string;
    readonly intervalMs: number;
    readonly timeoutMs: number;
    readonly concurrency: number;
    readonly failuresBeforeDisconnect: number;
    readonly batteryLowPercent: number;
    /** A battery reading older than this is shown as unknown, and raises no battery_low. */
    readonly batteryStaleMinutes: number;
    readonly storageLowGb: number;
  };
  readonly log: {
    /** Unset: long-running commands log at info, one-shot commands at warn. */
    readonly level: LogLevel | undefined;
    readonly format: 'auto' | 'json' | 'pretty';
  };
}

export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  cwd: string = process.cwd(),
): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      return { field: name, message: `${name}: ${issue.message} (got ${shown(name, env[name])})` };
    });
    throw new SoviError('config', `invalid configuration:\n  ${issues.map((i) => i.message).join('\n  ')}`, {
      field: issues[0]?.field,
      issues,
    });
  }
  const e = parsed.data;
  if (e.SOVI_DB_POOL_MIN > e.SOVI_DB_POOL_MAX) {
    throw new SoviError(
      'config',
      `SOVI_DB_POOL_MIN (${e.SOVI_DB_POOL_MIN}) must not exceed SOVI_DB_POOL_MAX (${e.SOVI_DB_POOL_MAX})`,
      { field: 'SOVI_DB_POOL_MIN' },
    );
  }

  if (
    e.SOVI_SNAPSHOT_RETENTION_DAYS !== undefined &&
    e.SOVI_SNAPSHOT_RETENTION_DAYS * 24 <= e.SOVI_ROLLUP_LATE_WINDOW_HOURS
  ) {
    throw new SoviError(
      'config',
      `SOVI_SNAPSHOT_RETENTION_DAYS (${e.SOVI_SNAPSHOT_RETENTION_DAYS} days) must be longer than ` +
        `SOVI_ROLLUP_LATE_WINDOW_HOURS (${e.SOVI_ROLLUP_LATE_WINDOW_HOURS} h): the rollup refresh re-reads the raw ` +
        'snapshots of every hour that late',
      { field: 'SOVI_SNAPSHOT_RETENTION_DAYS' },
    );
  }

  if (e.SOVI_AGENT === 'openai') {
    for (const name of ['SOVI_LLM_URL', 'SOVI_LLM_MODEL'] as const) {
      if (e[name] === undefined) {
        throw new SoviError('config', `SOVI_AGENT=openai needs ${name}: the chat endpoint the agent asks`, {
          field: name,
        });
      }
    }
  }

  let target: DatabaseTarget;
  if (e.DATABASE_URL !== undefined || e.PGHOST !== undefined) {
    const connection: ConnectionSettings =
      e.DATABASE_URL !== undefined
        ? { url: e.DATABASE_URL }
        : { host: e.PGHOST, port: e.PGPORT, user: e.PGUSER, password: e.PGPASSWORD, database: e.PGDATABASE };
    const migrationConnection =
      e.SOVI_MIGRATION_DATABASE_URL !== undefined ? { url: e.SOVI_MIGRATION_DATABASE_URL } : connection;
    target = { kind: 'external', connection, migrationConnection };
  } else {
    if (e.SOVI_MIGRATION_DATABASE_URL !== undefined) {
      throw new SoviError(
        'config',
        'SOVI_MIGRATION_DATABASE_URL is set but DATABASE_URL is not: set both, or neither to use the embedded PostgreSQL',
        { field: 'SOVI_MIGRATION_DATABASE_URL' },
      );
    }
    target = { kind: 'embedded', port: e.SOVI_EMBEDDED_PG_PORT, osUser: e.SOVI_EMBEDDED_PG_OS_USER };
  }

  return deepFreeze({
    home: path.resolve(cwd, e.SOVI_HOME),
    demoHome: path.resolve(cwd, env.SOVI_HOME ? e.SOVI_HOME : '.sovi-demo'),
    database: {
      target,
      appRole: e.SOVI_DB_APP_ROLE ?? inferAppRole(target),
      pool: { min: e.SOVI_DB_POOL_MIN, max: e.SOVI_DB_POOL_MAX },
      connectTimeoutMs: e.SOVI_DB_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: e.SOVI_DB_STATEMENT_TIMEOUT_MS,
    },
    http: { host: e.SOVI_HOST, port: e.SOVI_PORT },
    actor: e.SOVI_ACTOR ?? osUserName(),
    cliUser: e.SOVI_USER,
    passwordCost: e.SOVI_PASSWORD_COST,
    vault: {
      keys: e.SOVI_VAULT_KEYS,
      keyFile: e.SOVI_VAULT_KEY_FILE === undefined ? undefined : path.resolve(cwd, e.SOVI_VAULT_KEY_FILE),
    },
    host: e.SOVI_HOST_NAME ?? hostName(),
    scheduler: {
      policyFile:
        e.SOVI_WARMING_POLICY_FILE === undefined ? undefined : path.resolve(cwd, e.SOVI_WARMING_POLICY_FILE),
      executor: e.SOVI_EXECUTOR,
      executorOptions: e.SOVI_EXECUTOR_OPTIONS ?? {},
      planCron: e.SOVI_PLAN_CRON,
      concurrency: e.SOVI_WORKER_CONCURRENCY,
      deviceQueueDepth: e.SOVI_DEVICE_QUEUE_DEPTH,
      heartbeatSeconds: e.SOVI_JOB_HEARTBEAT_SECONDS,
      superviseSeconds: e.SOVI_JOB_SUPERVISE_SECONDS,
      poolMax: e.SOVI_JOB_POOL_MAX,
    },
    content: {
      policyFile:
        e.SOVI_CONTENT_POLICY_FILE === undefined ? undefined : path.resolve(cwd, e.SOVI_CONTENT_POLICY_FILE),
      concurrency: e.SOVI_CONTENT_CONCURRENCY,
      mediaDir: path.join(path.resolve(cwd, e.SOVI_HOME), 'media'),
      mediaLibrary: e.SOVI_MEDIA_LIBRARY === undefined ? undefined : path.resolve(cwd, e.SOVI_MEDIA_LIBRARY),
      musicLibrary: e.SOVI_MUSIC_LIBRARY === undefined ? undefined : path.resolve(cwd, e.SOVI_MUSIC_LIBRARY),
      cacheDir: path.join(path.resolve(cwd, e.SOVI_HOME), 'cache'),
      tts: { url: e.SOVI_TTS_URL, apiKey: e.SOVI_TTS_API_KEY, timeoutMs: e.SOVI_TTS_TIMEOUT_MS },
      pexels: { url: e.SOVI_PEXELS_URL, apiKey: e.SOVI_PEXELS_API_KEY },
      tools: { ffmpeg: e.SOVI_FFMPEG, ffprobe: e.SOVI_FFPROBE, espeak: e.SOVI_ESPEAK },
      scriptWriter: {
        kind: e.SOVI_SCRIPT_WRITER,
        url: e.SOVI_LLM_URL,
        model: e.SOVI_LLM_MODEL,
        apiKey: e.SOVI_LLM_API_KEY,
        timeoutMs: e.SOVI_LLM_TIMEOUT_MS,
      },
      publisher: e.SOVI_PUBLISHER,
      publisherOptions: e.SOVI_PUBLISHER_OPTIONS ?? {},
      postLateSeconds: e.SOVI_POST_LATE_SECONDS,
      stubMedia: e.SOVI_STUB_MEDIA,
    },
    connectors: connectorSettings(e, cwd),
    agent: {
      kind: e.SOVI_AGENT,
      policyFile:
        e.SOVI_AGENT_POLICY_FILE === undefined ? undefined : path.resolve(cwd, e.SOVI_AGENT_POLICY_FILE),
    },
    metrics: {
      futureToleranceSeconds: e.SOVI_METRICS_FUTURE_TOLERANCE_SECONDS,
      onBadRows: e.SOVI_METRICS_ON_BAD_ROWS,
      lateWindowHours: e.SOVI_ROLLUP_LATE_WINDOW_HOURS,
      refreshCron: e.SOVI_ROLLUP_REFRESH_CRON,
      feedbackCron: e.SOVI_FEEDBACK_CRON,
      feedbackWindowDays: e.SOVI_FEEDBACK_WINDOW_DAYS,
    },
    metricsPull: {
      collectors: { tiktok: e.SOVI_METRICS_COLLECTOR_TIKTOK, instagram: e.SOVI_METRICS_COLLECTOR_INSTAGRAM },
      collectorOptions: e.SOVI_METRICS_COLLECTOR_OPTIONS ?? {},
      pullCron: e.SOVI_METRICS_PULL_CRON,
      maxPostAgeDays: e.SOVI_METRICS_PULL_MAX_AGE_DAYS,
      callTimeoutMs: e.SOVI_METRICS_PULL_TIMEOUT_MS,
      apiUrls: {
        tiktok: e.SOVI_TIKTOK_API_URL.replace(/\/+$/, ''),
        instagram: e.SOVI_INSTAGRAM_GRAPH_URL.replace(/\/+$/, ''),
      },
    },
    media: {
      store: parseMediaStore(e.SOVI_MEDIA_STORE, path.join(path.resolve(cwd, e.SOVI_HOME), 'media'), cwd, {
        endpoint: e.SOVI_MEDIA_S3_ENDPOINT,
        region: e.SOVI_MEDIA_S3_REGION,
        forcePathStyle: e.SOVI_MEDIA_S3_FORCE_PATH_STYLE,
        accessKeyId: e.SOVI_MEDIA_S3_ACCESS_KEY_ID,
        secretAccessKey: e.SOVI_MEDIA_S3_SECRET_ACCESS_KEY,
      }),
      publicUrl: e.SOVI_PUBLIC_URL,
      signingKey: parseSigningKey(e.SOVI_MEDIA_SIGNING_KEY),
      urlTtlSeconds: e.SOVI_MEDIA_URL_TTL_SECONDS,
    },
    api: {
      sessionTtlHours: e.SOVI_SESSION_TTL_HOURS,
      metricsTokenRequired: e.SOVI_METRICS_TOKEN_REQUIRED,
      authFailuresPerMinute: e.SOVI_AUTH_FAILURES_PER_MINUTE,
      signInAttemptsPerMinute: e.SOVI_SIGNIN_ATTEMPTS_PER_MINUTE,
      trustProxy: e.SOVI_TRUST_PROXY,
      requestTimeoutMs: e.SOVI_HTTP_REQUEST_TIMEOUT_MS,
      streamsPerToken: e.SOVI_STREAMS_PER_TOKEN,
      streamsPerAddress: e.SOVI_STREAMS_PER_ADDRESS,
      streamsTotal: e.SOVI_STREAMS_MAX,
      streamMaxBufferBytes: e.SOVI_STREAM_MAX_BUFFER_BYTES,
      receiveTimeoutMs: e.SOVI_HTTP_RECEIVE_TIMEOUT_MS,
      idleTimeoutMs: e.SOVI_HTTP_IDLE_TIMEOUT_MS,
      keepAliveTimeoutMs: e.SOVI_HTTP_KEEP_ALIVE_TIMEOUT_MS,
      slowRequestMs: e.SOVI_SLOW_REQUEST_MS,
    },
    maintenance: {
      partitionMonthsAhead: e.SOVI_PARTITION_MONTHS_AHEAD,
      activityRetentionDays: e.SOVI_ACTIVITY_RETENTION_DAYS,
      snapshotRetentionDays: e.SOVI_SNAPSHOT_RETENTION_DAYS,
      cron: e.SOVI_MAINTENANCE_CRON,
    },
    backup: {
      dir:
        e.SOVI_BACKUP_DIR === undefined
          ? path.join(path.resolve(cwd, e.SOVI_HOME), defaultBackupSettings.dirName)
          : path.resolve(cwd, e.SOVI_BACKUP_DIR),
      cron: e.SOVI_BACKUP_CRON,
      keep: e.SOVI_BACKUP_KEEP,
      maxAgeHours: e.SOVI_BACKUP_MAX_AGE_HOURS,
    },
    trends: {
      sourceSpec: e.SOVI_TRENDS_SOURCE,
      sourceOptions: e.SOVI_TRENDS_SOURCE_OPTIONS ?? {},
      redditBaseUrl: e.SOVI_TRENDS_REDDIT_URL,
      subreddits:
        e.SOVI_TRENDS_SUBREDDITS === undefined
          ? defaultTrendsSettings.subreddits
          : parseSubreddits(e.SOVI_TRENDS_SUBREDDITS),
      windowDays: e.SOVI_TRENDS_WINDOW_DAYS,
      inactiveAfterHours: e.SOVI_TRENDS_INACTIVE_AFTER_HOURS,
      pullCron: e.SOVI_TRENDS_PULL_CRON,
      fetchTimeoutMs: e.SOVI_TRENDS_FETCH_TIMEOUT_MS,
    },
    health: {
      wdaHost: e.SOVI_WDA_HOST,
      intervalMs: e.SOVI_HEALTH_INTERVAL_MS,
      timeoutMs: e.SOVI_HEALTH_TIMEOUT_MS,
      concurrency: e.SOVI_HEALTH_CONCURRENCY,
      failuresBeforeDisconnect: e.SOVI_HEALTH_FAILURES_BEFORE_DISCONNECT,
      batteryLowPercent: e.SOVI_BATTERY_LOW_PERCENT,
      batteryStaleMinutes: e.SOVI_BATTERY_STALE_MINUTES,
      storageLowGb: e.SOVI_STORAGE_LOW_GB,
    },
    log: { level: e.SOVI_LOG_LEVEL, format: e.SOVI_LOG_FORMAT },
  });
}

/** App credentials from the variables, or else the key file; half a pair is an error naming the other half. */
function connectorSettings(e: z.infer<typeof envSchema>, cwd: string): ConnectorSettings {
  const file =
    e.SOVI_CONNECTOR_KEY_FILE === undefined
      ? {}
      : readConnectorKeyFile(path.resolve(cwd, e.SOVI_CONNECTOR_KEY_FILE));
  const pair = (
    idName: string,
    secretName: string,
    id: string | undefined,
    secret: string | undefined,
    fromFile: AppCredentials | undefined,
  ): AppCredentials | undefined => {
    if (id === undefined && secret === undefined) return fromFile;
    if (id === undefined || secret === undefined) {
      const missing = id === undefined ? idName : secretName;
      throw new SoviError(
        'config',
        `${missing} is not set: set both ${idName} and ${secretName}, or neither`,
        {
          field: missing,
        },
      );
    }
    return { id, secret };
  };
  const publisher = (value: string | undefined) => value ?? e.SOVI_PUBLISHER;
  return {
    publicUrl: e.SOVI_PUBLIC_URL,
    tiktok: {
      app: pair(
        'SOVI_TIKTOK_CLIENT_KEY',
        'SOVI_TIKTOK_CLIENT_SECRET',
        e.SOVI_TIKTOK_CLIENT_KEY,
        e.SOVI_TIKTOK_CLIENT_SECRET,
        file.tiktok && { id: file.tiktok.clientKey, secret: file.tiktok.clientSecret },
      ),
      authUrl: e.SOVI_TIKTOK_AUTH_URL,
      apiUrl: e.SOVI_TIKTOK_API_URL,
      scopes: connectorDefaults.tiktokScopes,
      publishInitsPerMinute: e.SOVI_TIKTOK_PUBLISH_INITS_PER_MINUTE,
    },
    instagram: {
      app: pair(
        'SOVI_META_APP_ID',
        'SOVI_META_APP_SECRET',
        e.SOVI_META_APP_ID,
        e.SOVI_META_APP_SECRET,
        file.instagram && { id: file.instagram.appId, secret: file.instagram.appSecret },
      ),
      authUrl: e.SOVI_INSTAGRAM_AUTH_URL,
      tokenUrl: e.SOVI_INSTAGRAM_TOKEN_URL,
      graphUrl: e.SOVI_INSTAGRAM_GRAPH_URL,
      graphVersion: connectorDefaults.instagramGraphVersion,
      scopes: connectorDefaults.instagramScopes,
    },
    publishers: {
      tiktok: publisher(e.SOVI_PUBLISHER_TIKTOK),
      instagram: publisher(e.SOVI_PUBLISHER_INSTAGRAM),
    },
    refreshCron: e.SOVI_CONNECTIONS_REFRESH_CRON,
    refreshAheadSeconds: e.SOVI_CONNECTIONS_REFRESH_AHEAD_SECONDS,
    stateTtlSeconds: connectorDefaults.stateTtlSeconds,
    requestTimeoutMs: e.SOVI_PLATFORM_TIMEOUT_MS,
  };
}

/**
 * When DDL runs as a separate owner, the application's own login is the role that needs DML grants on what
 * the owner creates.
 */
function inferAppRole(target: DatabaseTarget): string | undefined {
  if (target.kind !== 'external' || target.migrationConnection === target.connection) return undefined;
  const app = userOf(target.connection);
  const owner = userOf(target.migrationConnection);
  return app !== undefined && app !== owner ? app : undefined;
}

function userOf(settings: ConnectionSettings): string | undefined {
  if ('url' in settings) {
    const user = decodeURIComponent(new URL(settings.url).username);
    return user === '' ? undefined : user;
  }
  return settings.user;
}

/** The machine's host name, cut down to what queue names and the devices.host column accept. */
function hostName(): string {
  const name = os
    .hostname()
    .replace(/[^A-Za-z0-9_.-]/g, '-')
    .slice(0, 100);
  return name === '' ? 'local' : name;
}

function osUserName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** A bad value, as it may be echoed back: passwords masked, in URLs too. */
function shown(name: string, value: string | undefined): string {
  if (value === undefined) return 'nothing';
  if (/PASSWORD|SECRET|KEYS?$/.test(name)) return '(hidden)';
  return JSON.stringify(value.replace(/(\/\/[^/:@]*:)[^@/]*@/, '$1***@'));
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
