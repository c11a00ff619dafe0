-- 026: accounts connected to the platforms' official APIs (OAuth), the authorization requests in flight, and
-- the progress of each post at the platform (publishing there is asynchronous).
--
-- platform_connections  one per account and platform: the tokens sealed with the vault (bound to this row and
--                       column), their scopes and expiry, and the connection's health. A failed refresh never
--                       clears a token: it only changes the status.
-- oauth_states          one authorization request: the state's SHA-256 (the state itself is only in the URL),
--                       who started it, the sealed PKCE verifier; single use, expiring.
-- platform_publishes    one post's progress at the platform beside its distribution (whose status stays the
--                       spec's): the publish id or container id and the stage, so that a worker that dies
--                       resumes polling instead of posting again.
CREATE TABLE platform_connections (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id          uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  platform            text NOT NULL CHECK (platform IN ('tiktok', 'instagram')),
  -- TikTok's open_id; Instagram's user id.
  platform_user_id    text NOT NULL CHECK (length(platform_user_id) BETWEEN 1 AND 200),
  scopes              text[] NOT NULL DEFAULT '{}',
  access_token_enc    bytea NOT NULL,
  access_expires_at   timestamptz NOT NULL,
  -- Instagram has no refresh token: its long-lived access token is refreshed with itself.
  refresh_token_enc   bytea,
  refresh_expires_at  timestamptz,
  status              text NOT NULL DEFAULT 'connected'
                        CHECK (status IN ('connected', 'reauth_needed', 'revoked')),
  status_reason       text,
  status_changed_at   timestamptz NOT NULL DEFAULT now(),
  -- What the platform says limits posting (TikTok: the privacy levels creator_info offers, whether only
  -- private posts are allowed because the client is unaudited).
  posting_note        text,
  last_refreshed_at   timestamptz,
  -- Transient refresh failures in a row (reset by a success); an authorization error sets reauth_needed instead.
  refresh_failures    integer NOT NULL DEFAULT 0,
  last_refresh_error  text,
  last_call_at        timestamptz,
  connected_by        text NOT NULL,
  connected_at        timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, platform)
);
CREATE TRIGGER platform_connections_set_updated_at BEFORE UPDATE ON platform_connections
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE INDEX platform_connections_expiry_idx ON platform_connections (access_expires_at)
  WHERE status = 'connected';

CREATE TABLE oauth_states (
  state_hash         bytea PRIMARY KEY CHECK (length(state_hash) = 32),
  account_id         uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  platform           text NOT NULL CHECK (platform IN ('tiktok', 'instagram')),
  -- The person (or token) who started it: the connection is made in their name, and only they see its outcome.
  started_by         text NOT NULL,
  user_id            uuid REFERENCES users (id) ON DELETE CASCADE,
  code_verifier_enc  bytea,
  created_at         timestamptz NOT NULL DEFAULT now(),
  expires_at         timestamptz NOT NULL,
  used_at            timestamptz,
  outcome            text CHECK (outcome IN ('connected', 'failed')),
  outcome_message    text,
  CHECK ((outcome IS NULL) = (used_at IS NULL))
);
CREATE INDEX oauth_states_expiry_idx ON oauth_states (expires_at);

CREATE TABLE platform_publishes (
  distribution_id   uuid PRIMARY KEY REFERENCES distributions (id) ON DELETE CASCADE,
  platform          text NOT NULL CHECK (platform IN ('tiktok', 'instagram')),
  account_id        uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  stage             text NOT NULL
                      CHECK (stage IN ('initialising', 'uploading', 'processing', 'publishing', 'published', 'failed')),
  -- TikTok's publish_id; Instagram's container id.
  publish_id        text,
  platform_post_id  text,
  -- The platform's last word (its status, a failure reason), the privacy level used, upload progress.
  detail            jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(detail) = 'object'),
  initialised_at    timestamptz,
  started_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER platform_publishes_set_updated_at BEFORE UPDATE ON platform_publishes
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
-- The rate limits sovi keeps before the platform enforces them: publish inits per account per minute
-- (TikTok), posts per account per 24 hours (Instagram).
CREATE INDEX platform_publishes_account_idx ON platform_publishes (account_id, initialised_at);
