-- 029: the event-triage agent's work. One row per attempt at an event: what the event looked like then (a
-- fingerprint: no second attempt until something about it changes), whether the agent acted or proposed,
-- its reasoning summary, each tool call it made, and the actions it proposes for a person to accept or
-- reject (with who decided and when).
CREATE TABLE agent_triage (
  id               bigserial PRIMARY KEY,
  event_id         bigint NOT NULL REFERENCES system_events (id) ON DELETE CASCADE,
  fingerprint      text NOT NULL CHECK (length(fingerprint) BETWEEN 1 AND 200),
  agent            text NOT NULL CHECK (length(agent) BETWEEN 1 AND 200),
  mode             text NOT NULL CHECK (mode IN ('act', 'propose')),
  status           text NOT NULL CHECK (status IN ('acted', 'proposed', 'accepted', 'rejected', 'failed')),
  summary          text NOT NULL DEFAULT '' CHECK (length(summary) <= 8000),
  -- [{name, arguments, ok, result}] in the order made; results cut short.
  tool_calls       jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(tool_calls) = 'array'),
  -- [{name, arguments}]: the actions a person accepts or rejects (propose mode).
  proposed_actions jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(proposed_actions) = 'array'),
  decided_by       text,
  decided_at       timestamptz,
  decision_note    text CHECK (length(decision_note) <= 2000),
  created_at       timestamptz NOT NULL DEFAULT now(),
  CHECK ((decided_at IS NULL) = (decided_by IS NULL)),
  CHECK ((status IN ('accepted', 'rejected')) = (decided_at IS NOT NULL)),
  UNIQUE (event_id, fingerprint)
);
CREATE INDEX agent_triage_event_idx ON agent_triage (event_id, id);
