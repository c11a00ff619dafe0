-- 019: people. Users with a password and one role, optionally limited to some niches; dashboard sessions kept
-- in the database; API tokens owned by a user, narrowed to a role, and able to expire.
--
-- Roles are src/auth/roles.ts's list (test/db/closed-sets.test.ts checks the CHECK matches it). Names are
-- how people sign in, so no two users share one case-insensitively. password_hash is scrypt in a
-- self-describing string (src/users/password.ts): its parameters travel with it, so they can be raised later
-- without invalidating older hashes.
CREATE TABLE users (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name                text NOT NULL CHECK (name ~ '^[A-Za-z0-9_.@-]{1,100}$'),
  password_hash       text NOT NULL CHECK (password_hash LIKE '$scrypt$%'),
  role                text NOT NULL CHECK (role IN ('viewer', 'reviewer', 'operator', 'admin')),
  disabled_at         timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  password_changed_at timestamptz NOT NULL DEFAULT now(),
  last_sign_in_at     timestamptz
);
CREATE UNIQUE INDEX users_name_key ON users (lower(name));

-- A user with rows here sees and changes only these niches; one with none, every niche. Niches are
-- deactivated, never deleted, so RESTRICT never bites in practice and can never widen a user's reach.
CREATE TABLE user_niches (
  user_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  niche_id uuid NOT NULL REFERENCES niches (id),
  PRIMARY KEY (user_id, niche_id)
);

-- Tokens: an owner (NULL for tokens made before this migration: they keep their power, read-only ones
-- viewer and the others admin), a role that narrows the owner's, and an optional expiry. read_only stays, as
-- what it always meant: the token's role is viewer.
ALTER TABLE api_tokens
  ADD COLUMN user_id uuid REFERENCES users (id),
  ADD COLUMN role text CHECK (role IN ('viewer', 'reviewer', 'operator', 'admin')),
  ADD COLUMN expires_at timestamptz;
UPDATE api_tokens SET role = CASE WHEN read_only THEN 'viewer' ELSE 'admin' END;
ALTER TABLE api_tokens
  ALTER COLUMN role SET NOT NULL,
  DROP COLUMN read_only,
  ADD COLUMN read_only boolean GENERATED ALWAYS AS (role = 'viewer') STORED,
  ADD CONSTRAINT api_tokens_expires_after_created CHECK (expires_at > created_at);
CREATE INDEX api_tokens_user_id_idx ON api_tokens (user_id);

-- Dashboard sessions. The cookie carries 32 random bytes; only their SHA-256 is kept, and the unique index
-- on it is how every cookie request finds its session (one query, joined to its user and token). A session
-- signed in with a token has token_id set (and the token's owner, if any, as user_id). A session ends
-- (ended_at) at sign-out, or at once when its user is disabled or changes password, or its token is revoked;
-- rows stay until pruned so that who was signed in, from where, stays on record.
CREATE TABLE sessions (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  secret_hash  bytea NOT NULL UNIQUE CHECK (octet_length(secret_hash) = 32),
  user_id      uuid REFERENCES users (id) ON DELETE CASCADE,
  token_id     uuid REFERENCES api_tokens (id) ON DELETE CASCADE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL CHECK (expires_at > created_at),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  ended_at     timestamptz,
  ended_reason text CHECK (ended_reason IN
    ('signed_out', 'user_disabled', 'password_changed', 'token_revoked')),
  address      text CHECK (length(address) <= 100),
  user_agent   text CHECK (length(user_agent) <= 300),
  CHECK (user_id IS NOT NULL OR token_id IS NOT NULL),
  CHECK ((ended_at IS NULL) = (ended_reason IS NULL))
);
CREATE INDEX sessions_live_user_idx ON sessions (user_id) WHERE ended_at IS NULL;
CREATE INDEX sessions_live_token_idx ON sessions (token_id) WHERE ended_at IS NULL;
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

-- Failed password sign-ins per (user, address): the rightful user, from an address that has not failed for
-- them, still signs in while someone elsewhere hammers their name. auth_failures (017) still counts every
-- address's failures across users.
CREATE TABLE sign_in_failures (
  user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  address      text NOT NULL CHECK (length(address) BETWEEN 1 AND 100),
  window_start timestamptz NOT NULL,
  failures     integer NOT NULL CHECK (failures > 0),
  PRIMARY KEY (user_id, address)
);
CREATE INDEX sign_in_failures_window_start_idx ON sign_in_failures (window_start);
