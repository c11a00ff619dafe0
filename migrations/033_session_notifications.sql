-- 033: every change to what a dashboard session may do is announced on sovi_auth too, as 032 does for tokens,
-- so that each API process may keep the sessions it has looked up (src/auth/auth-cache.ts). The payload is
-- 's:' and the session's id, which 032's payloads (a token's id, or '' for everything) never are. Only the
-- columns a request acts with are announced: its end, its expiry, its user and token, and its secret and id
-- (what the cache keeps it by and forgets it by). The once-a-minute last_seen_at touch, the busiest write to
-- the table, says nothing: the process that touches notes it on the row it keeps. A change to the session's
-- user or token is announced by 032's triggers, and forgets the session too.
CREATE FUNCTION notify_session_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('sovi_auth', 's:' || OLD.id::text);
  RETURN NULL;
END;
$$;

CREATE TRIGGER sessions_notify_auth AFTER UPDATE ON sessions
  FOR EACH ROW
  WHEN (OLD.ended_at IS DISTINCT FROM NEW.ended_at
    OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
    OR OLD.user_id IS DISTINCT FROM NEW.user_id
    OR OLD.token_id IS DISTINCT FROM NEW.token_id
    OR OLD.secret_hash IS DISTINCT FROM NEW.secret_hash
    OR OLD.id IS DISTINCT FROM NEW.id)
  EXECUTE FUNCTION notify_session_change();

-- A DELETE says '' (forget everything) once per statement, not a name per row: the daily prune deletes every
-- session that ended or expired 30 days ago, and one notification costs each process one more lookup per
-- caller where thousands would cost a scan of its cache each. Inserts say nothing: a new session is in no
-- cache yet.
CREATE TRIGGER sessions_notify_auth_delete AFTER DELETE OR TRUNCATE ON sessions
  FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_change();
