-- 024: alerts that reach people. Channels (webhook, Slack, email) with their sealed secrets, the rules that
-- route events to them, what the dispatcher matched (one row per channel and event: the dedupe that makes
-- its at-least-once reading deliver once), the grouping windows, and the delivery log.
CREATE TABLE notification_channels (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name                 text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$'),
  kind                 text NOT NULL CHECK (kind IN ('webhook', 'slack', 'email')),
  enabled              boolean NOT NULL DEFAULT true,
  time_zone            text NOT NULL DEFAULT 'UTC' CHECK (length(time_zone) BETWEEN 1 AND 100),
  -- Local HH:MM; both or neither. During quiet hours only critical events go out, the rest wait for the digest.
  quiet_start          text CHECK (quiet_start ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
  quiet_end            text CHECK (quiet_end ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
  digest_time          text NOT NULL DEFAULT '08:00' CHECK (digest_time ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
  group_window_seconds integer NOT NULL DEFAULT 600 CHECK (group_window_seconds BETWEEN 1 AND 86400),
  -- Email only: host, port, security (starttls, tls, none), user, from, to, tlsVerify. No secret here.
  email                jsonb CHECK (email IS NULL OR jsonb_typeof(email) = 'object'),
  -- Sealed with the vault, bound to this row and column (the webhook or Slack URL, the HMAC key, the SMTP password).
  url_enc              bytea,
  signing_key_enc      bytea,
  smtp_password_enc    bytea,
  consecutive_failures integer NOT NULL DEFAULT 0,
  -- Set when consecutive failures reached the threshold (one notification_channel_failing event), cleared on success.
  failing_since        timestamptz,
  last_delivery_at     timestamptz,
  last_delivery_status text,
  last_digest_at       timestamptz NOT NULL DEFAULT now(),
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  CHECK ((quiet_start IS NULL) = (quiet_end IS NULL)),
  CHECK ((kind = 'email') = (email IS NOT NULL))
);

CREATE TABLE notification_rules (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  channel_id   uuid NOT NULL REFERENCES notification_channels (id) ON DELETE CASCADE,
  min_severity text NOT NULL CHECK (min_severity IN ('info', 'warning', 'error', 'critical')),
  -- NULL: any. An event matches a rule when it matches each list that is set.
  categories   text[],
  event_types  text[],
  niche_ids    uuid[],
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_rules_channel_idx ON notification_rules (channel_id);

-- The dispatcher's place in system_events: it reads past last_event_id, and moves it in the transaction that
-- records what it matched, so a restart neither loses nor repeats. Starts at the current end of the log, so
-- the history before this migration is not sent out.
CREATE TABLE notification_dispatch_state (
  id            boolean PRIMARY KEY DEFAULT true CHECK (id),
  last_event_id bigint NOT NULL
);
INSERT INTO notification_dispatch_state (id, last_event_id)
SELECT true, coalesce(max(id), 0) FROM system_events;

-- Grouping: the same event type for the same device or account within the channel's window is one message.
-- The first event goes out at once; later ones add to count, summarised when the window closes.
CREATE TABLE notification_groups (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  channel_id     uuid NOT NULL REFERENCES notification_channels (id) ON DELETE CASCADE,
  group_key      text NOT NULL,
  event_type     text NOT NULL,
  severity       text NOT NULL,
  opened_at      timestamptz NOT NULL,
  closes_at      timestamptz NOT NULL,
  count          integer NOT NULL DEFAULT 1,
  last_event_id  bigint NOT NULL,
  summarised     boolean NOT NULL DEFAULT false
);
-- The open group of a key (the dispatcher's lookup), and the closed ones still to summarise.
CREATE INDEX notification_groups_key_idx ON notification_groups (channel_id, group_key, closes_at DESC);
CREATE INDEX notification_groups_due_idx ON notification_groups (closes_at) WHERE NOT summarised;

-- One row per channel and event the dispatcher matched: the dedupe, and what the digest reports.
CREATE TABLE notification_matches (
  channel_id  uuid NOT NULL REFERENCES notification_channels (id) ON DELETE CASCADE,
  event_id    bigint NOT NULL,
  disposition text NOT NULL CHECK (disposition IN ('sent', 'grouped', 'held')),
  matched_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (channel_id, event_id)
);
CREATE INDEX notification_matches_time_idx ON notification_matches (channel_id, matched_at);

CREATE TABLE notification_deliveries (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  channel_id  uuid NOT NULL REFERENCES notification_channels (id) ON DELETE CASCADE,
  kind        text NOT NULL CHECK (kind IN ('alert', 'summary', 'digest', 'test')),
  -- The system_events ids it is about, as a JSON array of numbers.
  event_ids   jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(event_ids) = 'array'),
  group_key   text,
  count       integer NOT NULL DEFAULT 1,
  status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'retrying', 'sent', 'failed')),
  attempts    integer NOT NULL DEFAULT 0,
  -- The HTTP status code or the SMTP reply of the last attempt, or what went wrong before one came.
  last_result text CHECK (length(last_result) <= 500),
  latency_ms  integer,
  -- What to say in a digest or a summary, fixed when it was queued.
  body        jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now(),
  sent_at     timestamptz
);
CREATE INDEX notification_deliveries_channel_idx ON notification_deliveries (channel_id, id DESC);
CREATE INDEX notification_deliveries_status_idx ON notification_deliveries (status, id DESC);
