-- The publishing workflow: review before posting and a content calendar (issue 15). Everything is stored
-- beside the spec's lifecycles: content.production_status and distributions.status keep their values.
--
-- content.review_state        NULL: no review asked; 'awaiting' (in the review queue), 'approved', 'rejected'
-- distributions.scheduled_at  the slot the post goes out at (its publish job becomes due then)
-- distributions.options       the platform options passed to the publisher (privacy, comments, duets,
--                             stitches, branded content, AI-generated label)
-- distributions.review        a post's own decision: 'awaiting', 'approved', 'rejected'; NULL when its content
--                             needed none. A pending post that is rejected or cancelled is settled: never
--                             published, and never planned again for that account.
-- posting_schedules           posting windows in a time zone, for a niche (the default of its accounts) or
--                             for one account (its override)

ALTER TABLE content
  ADD COLUMN review_state        text CHECK (review_state IN ('awaiting', 'approved', 'rejected')),
  ADD COLUMN review_requested_at timestamptz,
  ADD COLUMN reviewed_at         timestamptz,
  ADD COLUMN reviewed_by         text,
  ADD COLUMN review_note         text;
-- The review queue: oldest request first, a handful of rows.
CREATE INDEX content_review_queue_idx ON content (review_requested_at) WHERE review_state = 'awaiting';

ALTER TABLE distributions
  ADD COLUMN scheduled_at  timestamptz,
  ADD COLUMN options       jsonb NOT NULL DEFAULT '{}',
  ADD COLUMN review        text CHECK (review IN ('awaiting', 'approved', 'rejected')),
  ADD COLUMN cancelled_at  timestamptz,
  ADD COLUMN cancelled_by  text;
-- The calendar and find-next-slot: an account's posts by slot.
CREATE INDEX distributions_schedule_idx ON distributions (scheduled_at, account_id) WHERE scheduled_at IS NOT NULL;
CREATE INDEX distributions_account_schedule_idx ON distributions (account_id, scheduled_at) WHERE scheduled_at IS NOT NULL;

CREATE TABLE posting_schedules (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  niche_id        uuid UNIQUE REFERENCES niches (id) ON DELETE CASCADE,
  account_id      uuid UNIQUE REFERENCES accounts (id) ON DELETE CASCADE,
  time_zone       text NOT NULL CHECK (time_zone <> ''),
  windows         text[] NOT NULL CHECK (cardinality(windows) BETWEEN 1 AND 48),
  max_per_day     integer NOT NULL CHECK (max_per_day BETWEEN 1 AND 100),
  min_gap_minutes integer NOT NULL DEFAULT 0 CHECK (min_gap_minutes BETWEEN 0 AND 10080),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  -- Exactly one owner: a niche's default or an account's override.
  CHECK ((niche_id IS NULL) <> (account_id IS NULL))
);

-- What the simulator publisher was asked to post with, so that tests can see the options reached it.
ALTER TABLE simulated_posts
  ADD COLUMN options      jsonb,
  ADD COLUMN scheduled_at timestamptz;
CREATE TRIGGER posting_schedules_set_updated_at BEFORE UPDATE ON posting_schedules
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
