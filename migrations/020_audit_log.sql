-- 020: the audit trail. One row per change made through the API, the dashboard or the CLI (and by sovi's own
-- automation): who (actor), what (action), to which record (target, with the name people know it by, kept
-- as it was at the time since the record may be renamed or deleted), and each changed field before and
-- after. Secret fields are recorded as "changed", never by value.
--
-- Append-only: a trigger refuses UPDATE and DELETE, so a bug or a careless query cannot rewrite history.
-- (TRUNCATE, and dropping the database, stay with whoever owns it.)
CREATE TABLE audit_log (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at           timestamptz NOT NULL DEFAULT now(),
  actor        text NOT NULL CHECK (length(actor) BETWEEN 1 AND 300),
  action       text NOT NULL CHECK (action ~ '^[a-z_]+\.[a-z_]+$'),
  target_type  text NOT NULL CHECK (target_type ~ '^[a-z_]+$'),
  target_id    text NOT NULL CHECK (length(target_id) BETWEEN 1 AND 300),
  target_label text NOT NULL CHECK (length(target_label) <= 500),
  changes      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(changes) = 'object'),
  note         text CHECK (length(note) <= 2000)
);

-- "What happened to this device?": a target's history, newest first (also serves paging by (at, id)).
CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id, at DESC, id DESC);
-- "What did this person do?"
CREATE INDEX audit_log_actor_idx ON audit_log (actor, at DESC, id DESC);
-- The whole trail, newest first.
CREATE INDEX audit_log_at_idx ON audit_log (at DESC, id DESC);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
