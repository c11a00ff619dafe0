-- 001: the initial schema of ../shared/spec/database-schema.md.
--
-- Closed value sets (states, statuses, severities, platforms) are CHECK constraints so that no code path,
-- psql session or future importer can write a value the application does not understand.
-- TimescaleDB is optional: metric_snapshots becomes a hypertable only when the extension can be used.

-- Keeps updated_at honest for every writer, not only the ones that remember to set it.
CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;

CREATE TABLE niches (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name       text NOT NULL CHECK (name <> ''),
  slug       text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(_[a-z0-9]+)*$'),
  tier       text CHECK (tier ~ '^[0-9]+$'),
  status     text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER niches_set_updated_at BEFORE UPDATE ON niches
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE devices (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name            text NOT NULL CHECK (name <> ''),
  model           text,
  udid            text NOT NULL UNIQUE CHECK (udid <> ''),
  ios_version     text,
  wda_port        integer CHECK (wda_port BETWEEN 1 AND 65535),
  -- A device is not trusted with work until a health check has seen it.
  status          text NOT NULL DEFAULT 'disconnected'
                  CHECK (status IN ('active', 'maintenance', 'failed', 'disconnected')),
  connected_since timestamptz,
  battery_level   double precision CHECK (battery_level BETWEEN 0 AND 100),
  storage_free_gb double precision CHECK (storage_free_gb >= 0),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER devices_set_updated_at BEFORE UPDATE ON devices
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE accounts (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  platform          text NOT NULL CHECK (platform IN ('tiktok', 'instagram')),
  username          text NOT NULL CHECK (username <> ''),
  email_enc         bytea,
  password_enc      bytea,
  totp_secret_enc   bytea,
  proxy_credentials text,
  niche_id          uuid REFERENCES niches (id),
  device_id         uuid REFERENCES devices (id) ON DELETE SET NULL,
  current_state     text NOT NULL DEFAULT 'created' CHECK (current_state IN (
                      'created', 'warming_p1', 'warming_p2', 'warming_p3', 'active', 'resting', 'cooldown',
                      'flagged', 'restricted', 'shadowbanned', 'suspended', 'banned')),
  warming_day_count integer NOT NULL DEFAULT 0 CHECK (warming_day_count >= 0),
  followers         integer NOT NULL DEFAULT 0 CHECK (followers >= 0),
  following         integer NOT NULL DEFAULT 0 CHECK (following >= 0),
  bio               text,
  profile_pic_url   text,
  last_activity_at  timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER accounts_set_updated_at BEFORE UPDATE ON accounts
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE INDEX accounts_niche_id_idx ON accounts (niche_id);
CREATE INDEX accounts_device_id_idx ON accounts (device_id);

CREATE TABLE hooks (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  category            text NOT NULL CHECK (category <> ''),
  template            text NOT NULL CHECK (template <> ''),
  effectiveness_score double precision CHECK (effectiveness_score BETWEEN 0 AND 1),
  usage_count         integer NOT NULL DEFAULT 0 CHECK (usage_count >= 0),
  platform_scores     jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(platform_scores) = 'object'),
  niche_id            uuid REFERENCES niches (id)
);
CREATE INDEX hooks_niche_id_idx ON hooks (niche_id);

CREATE TABLE content (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  topic             text NOT NULL CHECK (topic <> ''),
  niche_id          uuid REFERENCES niches (id),
  content_format    text CHECK (content_format <> ''),
  production_status text NOT NULL DEFAULT 'scripting' CHECK (production_status IN (
                      'scripting', 'generating', 'assembling', 'distributing', 'complete', 'failed')),
  script_json       jsonb,
  asset_manifest    jsonb NOT NULL DEFAULT '{}',
  quality_score     double precision CHECK (quality_score BETWEEN 0 AND 1),
  hook_id           uuid REFERENCES hooks (id) ON DELETE SET NULL,
  output_path       text,
  created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX content_niche_id_idx ON content (niche_id);
CREATE INDEX content_hook_id_idx ON content (hook_id);
CREATE INDEX content_production_status_idx ON content (production_status, created_at);

CREATE TABLE distributions (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  content_id       uuid NOT NULL REFERENCES content (id),
  account_id       uuid NOT NULL REFERENCES accounts (id),
  platform         text NOT NULL CHECK (platform IN ('tiktok', 'instagram')),
  posted_at        timestamptz,
  platform_post_id text,
  caption          text,
  hashtags         text[] NOT NULL DEFAULT '{}',
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'posted', 'failed', 'removed')),
  -- A posted (or later removed) post must say when it went out.
  CHECK (status NOT IN ('posted', 'removed') OR posted_at IS NOT NULL)
);
CREATE INDEX distributions_content_id_idx ON distributions (content_id);
CREATE INDEX distributions_account_id_idx ON distributions (account_id, posted_at);

CREATE TABLE trending_topics (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  niche_id              uuid REFERENCES niches (id),
  topic                 text NOT NULL CHECK (topic <> ''),
  source                text NOT NULL CHECK (source <> ''),
  source_url            text,
  trend_score           double precision,
  overperformance_ratio double precision CHECK (overperformance_ratio >= 0),
  is_active             boolean NOT NULL DEFAULT true,
  discovered_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX trending_topics_active_idx ON trending_topics (niche_id, trend_score DESC) WHERE is_active;

CREATE TABLE warming_progress (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id    uuid NOT NULL REFERENCES accounts (id),
  device_id     uuid REFERENCES devices (id) ON DELETE SET NULL,
  platform      text NOT NULL CHECK (platform IN ('tiktok', 'instagram')),
  warming_phase integer NOT NULL CHECK (warming_phase BETWEEN 1 AND 4),
  warming_day   integer NOT NULL CHECK (warming_day >= 0),
  session_data  jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(session_data) = 'object'),
  started_at    timestamptz NOT NULL DEFAULT now(),
  completed_at  timestamptz CHECK (completed_at >= started_at)
);
CREATE INDEX warming_progress_account_idx ON warming_progress (account_id, started_at);
CREATE INDEX warming_progress_device_idx ON warming_progress (device_id, started_at);

-- activity_log: monthly range partitions on "timestamp" (UTC months), with a default partition so that an
-- insert never fails when the partition job has fallen behind.
CREATE TABLE activity_log (
  id          bigserial,
  "timestamp" timestamptz NOT NULL DEFAULT now(),
  device_id   uuid,
  account_id  uuid,
  action_type text NOT NULL CHECK (action_type <> ''),
  detail_json jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (id, "timestamp")
) PARTITION BY RANGE ("timestamp");
CREATE INDEX activity_log_account_idx ON activity_log (account_id, "timestamp");
CREATE INDEX activity_log_device_idx ON activity_log (device_id, "timestamp");
CREATE TABLE activity_log_default PARTITION OF activity_log DEFAULT;

-- Creates the monthly partitions from the current UTC month through months_ahead months later; returns the
-- names it created. Rows that already landed in the default partition for a new month are moved into it,
-- because PostgreSQL refuses to create a partition whose range the default partition already holds rows for.
CREATE FUNCTION activity_log_ensure_partitions(months_ahead integer DEFAULT 2) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
  month_start timestamptz;
  month_end   timestamptz;
  part_name   text;
  i           integer;
BEGIN
  IF months_ahead < 0 THEN
    RAISE EXCEPTION 'months_ahead must be >= 0, got %', months_ahead;
  END IF;
  FOR i IN 0..months_ahead LOOP
    month_start := (date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => i)) AT TIME ZONE 'UTC';
    month_end := (date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => i + 1)) AT TIME ZONE 'UTC';
    part_name := 'activity_log_' || to_char(month_start AT TIME ZONE 'UTC', '"y"YYYY"m"MM');
    CONTINUE WHEN to_regclass(quote_ident(part_name)) IS NOT NULL;

    IF EXISTS (SELECT 1 FROM activity_log_default WHERE "timestamp" >= month_start AND "timestamp" < month_end) THEN
      ALTER TABLE activity_log DETACH PARTITION activity_log_default;
      EXECUTE format('CREATE TABLE %I PARTITION OF activity_log FOR VALUES FROM (%L) TO (%L)',
                     part_name, month_start, month_end);
      EXECUTE format('WITH moved AS (DELETE FROM activity_log_default WHERE "timestamp" >= %L AND "timestamp" < %L RETURNING *)
                      INSERT INTO %I SELECT * FROM moved', month_start, month_end, part_name);
      ALTER TABLE activity_log ATTACH PARTITION activity_log_default DEFAULT;
    ELSE
      EXECUTE format('CREATE TABLE %I PARTITION OF activity_log FOR VALUES FROM (%L) TO (%L)',
                     part_name, month_start, month_end);
    END IF;
    RETURN NEXT part_name;
  END LOOP;
END;
$$;

SELECT activity_log_ensure_partitions(2);

-- metric_snapshots: a TimescaleDB hypertable when the extension is usable; a plain table otherwise (the
-- normal case). Counts are cumulative totals at "time"; rates are fractions.
CREATE TABLE metric_snapshots (
  time              timestamptz NOT NULL,
  distribution_id   uuid REFERENCES distributions (id),
  account_id        uuid REFERENCES accounts (id),
  views             integer CHECK (views >= 0),
  likes             integer CHECK (likes >= 0),
  comments          integer CHECK (comments >= 0),
  shares            integer CHECK (shares >= 0),
  saves             integer CHECK (saves >= 0),
  completion_rate   double precision CHECK (completion_rate BETWEEN 0 AND 1),
  engagement_rate   double precision CHECK (engagement_rate BETWEEN 0 AND 1),
  follower_count_at integer CHECK (follower_count_at >= 0)
);

DO $$
BEGIN
  -- TimescaleDB only works when the server preloads it; being merely installed on disk is not enough.
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb')
       AND current_setting('shared_preload_libraries') ~ 'timescaledb' THEN
      BEGIN
        CREATE EXTENSION timescaledb;
      EXCEPTION WHEN insufficient_privilege THEN
        RAISE NOTICE 'timescaledb is available but this role cannot create it; metric_snapshots stays a plain table';
      END;
    END IF;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
    EXECUTE 'SELECT create_hypertable(''metric_snapshots'', ''time'')';
  ELSE
    -- Without chunk exclusion, time-ranged reads need an index on time.
    CREATE INDEX metric_snapshots_time_idx ON metric_snapshots (time);
  END IF;
END;
$$;

INSERT INTO niches (name, slug, tier, status) VALUES
  ('Personal Finance', 'personal_finance', '1', 'active'),
  ('AI Storytelling', 'ai_storytelling', '1', 'active'),
  ('Tech & AI Tools', 'tech_ai_tools', '1', 'active')
ON CONFLICT (slug) DO NOTHING;
