// The contract of ../shared/spec/database-schema.md, as data: every table, column and type the spec names,
// and every foreign key it marks. Columns sovi adds beyond the spec are listed apart, so each is deliberate.

const uuid = 'uuid';
const text = 'text';
const tstz = 'timestamp with time zone';
const float = 'double precision';
const int = 'integer';
const bytea = 'bytea';
const jsonb = 'jsonb';
const bool = 'boolean';
const bigserial = 'bigint';

export const specTables: Record<string, Record<string, string>> = {
  niches: { id: uuid, name: text, slug: text, tier: text, status: text, created_at: tstz, updated_at: tstz },
  devices: {
    id: uuid,
    name: text,
    model: text,
    udid: text,
    ios_version: text,
    wda_port: int,
    status: text,
    connected_since: tstz,
    battery_level: float,
    storage_free_gb: float,
    created_at: tstz,
    updated_at: tstz,
  },
  accounts: {
    id: uuid,
    platform: text,
    username: text,
    email_enc: bytea,
    password_enc: bytea,
    totp_secret_enc: bytea,
    proxy_credentials: text,
    niche_id: uuid,
    device_id: uuid,
    current_state: text,
    warming_day_count: int,
    followers: int,
    following: int,
    bio: text,
    profile_pic_url: text,
    last_activity_at: tstz,
    last_warmed_at: tstz,
    last_post_at: tstz,
    deleted_at: tstz,
    created_at: tstz,
    updated_at: tstz,
  },
  system_events: {
    id: bigserial,
    timestamp: tstz,
    category: text,
    severity: text,
    event_type: text,
    device_id: uuid,
    account_id: uuid,
    message: text,
    context: jsonb,
    resolved: bool,
    resolved_by: text,
    resolved_at: tstz,
  },
  hooks: {
    id: uuid,
    category: text,
    template: text,
    effectiveness_score: float,
    usage_count: int,
    platform_scores: jsonb,
    niche_id: uuid,
  },
  content: {
    id: uuid,
    topic: text,
    niche_id: uuid,
    content_format: text,
    production_status: text,
    script_json: jsonb,
    asset_manifest: jsonb,
    quality_score: float,
    hook_id: uuid,
    output_path: text,
    created_at: tstz,
  },
  distributions: {
    id: uuid,
    content_id: uuid,
    account_id: uuid,
    platform: text,
    posted_at: tstz,
    platform_post_id: text,
    caption: text,
    hashtags: 'text[]',
    status: text,
  },
  trending_topics: {
    id: uuid,
    niche_id: uuid,
    topic: text,
    source: text,
    source_url: text,
    trend_score: float,
    overperformance_ratio: float,
    is_active: bool,
    discovered_at: tstz,
  },
  activity_log: {
    id: bigserial,
    timestamp: tstz,
    device_id: uuid,
    account_id: uuid,
    action_type: text,
    detail_json: jsonb,
  },
  metric_snapshots: {
    time: tstz,
    distribution_id: uuid,
    account_id: uuid,
    views: int,
    likes: int,
    comments: int,
    shares: int,
    saves: int,
    completion_rate: float,
    engagement_rate: float,
    follower_count_at: int,
  },
  warming_progress: {
    id: uuid,
    account_id: uuid,
    device_id: uuid,
    platform: text,
    warming_phase: int,
    warming_day: int,
    session_data: jsonb,
    started_at: tstz,
    completed_at: tstz,
  },
};

/** Columns sovi adds to spec tables, by migration. */
export const addedBeyondSpec: Record<string, Record<string, string>> = {
  // 007_device_health.sql: the health monitor's consecutive failures and last healthy answer.
  devices: {
    health_failures: int,
    last_seen_at: tstz,
    // 008_warming_scheduler.sql: the host a phone is plugged into, and the session holding it.
    host: text,
    session_failures: int,
    current_session_key: uuid,
    session_lease_until: tstz,
    // 018_device_battery_read_at.sql: when the battery was read, and why the latest read failed.
    battery_read_at: tstz,
    battery_unknown_reason: text,
  },
  // 008_warming_scheduler.sql: the planned session each row belongs to (at most one row per session).
  warming_progress: { session_key: uuid },
  // 009_account_session_counts.sql: sessions started on the account's current UTC day.
  accounts: { sessions_today: int, sessions_day: 'date' },
  // 010_content_pipeline.sql: listing order, production timestamps, the trend a piece came from,
  // and publish attempts.
  // 021_hooks_retired.sql: when a hook was retired (the selector skips it).
  hooks: { created_at: tstz, retired_at: tstz },
  // 022_content_archive.sql adds archived_at: when a finished piece was archived.
  // 023_publishing_workflow.sql: review before posting beside the production status; a post's slot,
  // platform options, review decision and cancellation.
  content: {
    updated_at: tstz,
    trend_id: uuid,
    archived_at: tstz,
    review_state: text,
    review_requested_at: tstz,
    reviewed_at: tstz,
    reviewed_by: text,
    review_note: text,
  },
  distributions: {
    created_at: tstz,
    attempts: int,
    scheduled_at: tstz,
    options: jsonb,
    review: text,
    cancelled_at: tstz,
    cancelled_by: text,
  },
  // 012_trends.sql: the merge key, the numbers behind the score, and when the topic was posted, seen and scored.
  trending_topics: {
    topic_key: text,
    source_group: text,
    engagement: float,
    velocity: float,
    baseline_median: float,
    published_at: tstz,
    last_seen_at: tstz,
    scored_at: tstz,
  },
};

/** "table.column" → referenced table, for every FK the spec marks. */
export const specForeignKeys: Record<string, string> = {
  'accounts.niche_id': 'niches',
  'accounts.device_id': 'devices',
  'system_events.device_id': 'devices',
  'system_events.account_id': 'accounts',
  'hooks.niche_id': 'niches',
  'content.niche_id': 'niches',
  'content.hook_id': 'hooks',
  'distributions.content_id': 'content',
  'distributions.account_id': 'accounts',
  'trending_topics.niche_id': 'niches',
  'metric_snapshots.distribution_id': 'distributions',
  'metric_snapshots.account_id': 'accounts',
  'warming_progress.account_id': 'accounts',
  'warming_progress.device_id': 'devices',
};

export const accountStates = [
  'created',
  'warming_p1',
  'warming_p2',
  'warming_p3',
  'active',
  'resting',
  'cooldown',
  'flagged',
  'restricted',
  'shadowbanned',
  'suspended',
  'banned',
] as const;

export const seedNiches = [
  'personal_finance',
  'ai_storytelling',
  'tech_ai_tools',
  'motivation',
  'true_crime',
];
