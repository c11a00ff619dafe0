-- 014: bearer tokens for the HTTP API (`sovi tokens create|list|revoke`).
--
-- A token is `sovi_` + 32 random bytes in base64url, shown once when it is created; only its SHA-256 is
-- kept. The token is all the entropy there is (256 bits), so a fast hash is enough: nothing can be guessed
-- offline from a stolen hash, and the unique index on the hash is how a request finds its token.
--
-- A revoked token keeps its row (who had access, and until when); its sessions end with it, because every
-- cookie-authenticated request looks its token up by id and requires revoked_at IS NULL. Names are how
-- people refer to tokens, so no two live tokens share one (case-insensitively); a revoked token's name may
-- be reused.
CREATE TABLE api_tokens (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name         text NOT NULL CHECK (name ~ '^[A-Za-z0-9_.@-]{1,100}$'),
  token_hash   bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
  read_only    boolean NOT NULL DEFAULT false,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz CHECK (revoked_at >= created_at)
);
CREATE UNIQUE INDEX api_tokens_live_name_key ON api_tokens (lower(name)) WHERE revoked_at IS NULL;

-- /metrics reports the last hour's warming sessions by outcome on every scrape; without this index that is
-- a sequential scan of warming_progress, which grows by every session ever run.
CREATE INDEX warming_progress_completed_idx ON warming_progress (completed_at);
