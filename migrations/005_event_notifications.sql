-- 005: every new system_events row is announced on the sovi_events channel (payload: its id), so that
-- `sovi events tail -f` and live views follow the log without polling it.

CREATE FUNCTION notify_system_event() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('sovi_events', NEW.id::text);
  RETURN NULL;
END;
$$;

CREATE TRIGGER system_events_notify AFTER INSERT ON system_events
  FOR EACH ROW EXECUTE FUNCTION notify_system_event();
