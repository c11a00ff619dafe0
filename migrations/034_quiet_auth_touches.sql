-- 034: 032 announced every UPDATE of api_tokens and of users. Two of those writes are touches that change
-- nothing a request acts with, and they are the busiest: a token's last_used_at (written at most once a
-- minute per token while it is used) and a user's last_sign_in_at (every sign-in). Each made every API
-- process forget that token and the sessions signed in with it, or, for a sign-in, every token and session
-- it kept. The process that touches a token now notes it on the row it keeps (src/auth/tokens-service.ts),
-- as 033 has sessions do for last_seen_at; the others learn of the touch when they look the token up again.
-- Updates are announced per row, and only when a column other than those touches changed: the comparison
-- leaves the touched columns out by name, so a column added later is announced without a new migration.
CREATE FUNCTION notify_auth_change_all() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- '' (forget everything): a user's name, role and state are what all their tokens and sessions act with.
  PERFORM pg_notify('sovi_auth', '');
  RETURN NULL;
END;
$$;

DROP TRIGGER api_tokens_notify_auth ON api_tokens;
CREATE TRIGGER api_tokens_notify_auth AFTER UPDATE ON api_tokens
  FOR EACH ROW
  WHEN ((to_jsonb(OLD) - 'last_used_at') IS DISTINCT FROM (to_jsonb(NEW) - 'last_used_at'))
  EXECUTE FUNCTION notify_auth_change();
CREATE TRIGGER api_tokens_notify_auth_delete AFTER DELETE ON api_tokens
  FOR EACH ROW EXECUTE FUNCTION notify_auth_change();

DROP TRIGGER users_notify_auth ON users;
CREATE TRIGGER users_notify_auth AFTER UPDATE ON users
  FOR EACH ROW
  WHEN ((to_jsonb(OLD) - 'last_sign_in_at' - 'updated_at') IS DISTINCT FROM
        (to_jsonb(NEW) - 'last_sign_in_at' - 'updated_at'))
  EXECUTE FUNCTION notify_auth_change_all();
CREATE TRIGGER users_notify_auth_delete AFTER DELETE OR TRUNCATE ON users
  FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_change();
