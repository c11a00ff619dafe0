-- 032: every change to what a bearer token may do is announced on the sovi_auth channel, whatever made it
-- (the API, the CLI, another host, psql), so that each API process may keep the tokens it has seen
-- (src/auth/token-cache.ts) and forget one the moment it changes. The payload is the token's id for a change
-- to api_tokens, and empty (forget every token) for a change to users or user_niches: a user's name, role,
-- state and niche limits are what their tokens act with. Inserts into api_tokens say nothing: a new token is
-- in no cache yet. NOTIFY folds identical payloads of one transaction into one.
CREATE FUNCTION notify_auth_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_LEVEL = 'STATEMENT' THEN
    PERFORM pg_notify('sovi_auth', '');
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('sovi_auth', OLD.id::text);
  ELSE
    PERFORM pg_notify('sovi_auth', NEW.id::text);
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER api_tokens_notify_auth AFTER UPDATE OR DELETE ON api_tokens
  FOR EACH ROW EXECUTE FUNCTION notify_auth_change();
CREATE TRIGGER api_tokens_notify_auth_truncate AFTER TRUNCATE ON api_tokens
  FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_change();
CREATE TRIGGER users_notify_auth AFTER UPDATE OR DELETE OR TRUNCATE ON users
  FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_change();
CREATE TRIGGER user_niches_notify_auth AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON user_niches
  FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_change();
