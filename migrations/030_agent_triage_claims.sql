-- 030: the triage agent claims an event (as it looks now) before working on it: a row with status 'working',
-- inserted under the UNIQUE (event_id, fingerprint) of 029, so agents in several processes on one database
-- never work on one event twice. The events-per-minute bound counts these rows' created_at across every
-- process, hence the index. An attempt the endpoint never answered (an outage) sets retry_after: the event is
-- taken up again from then on, unchanged.
ALTER TABLE agent_triage DROP CONSTRAINT agent_triage_status_check;
ALTER TABLE agent_triage ADD CONSTRAINT agent_triage_status_check
  CHECK (status IN ('working', 'acted', 'proposed', 'accepted', 'rejected', 'failed'));
ALTER TABLE agent_triage ADD COLUMN retry_after timestamptz;
CREATE INDEX agent_triage_created_idx ON agent_triage (created_at);
