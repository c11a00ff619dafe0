-- 010: what the content pipeline and distribution keep beside the spec's columns.
--
-- hooks.created_at                 for listings; usage_count and the scores are the spec's
-- content.updated_at, trend_id     when the production last moved, and the trend it came from
-- distributions.created_at, attempts
--                                  when it was planned, and publish attempts so far
-- distributions (content_id, account_id) unique: a piece of content goes to an account once
-- simulated_posts                  the simulator publisher's stand-in for a platform: it remembers posts by
--                                  idempotency key, so a retried publish finds its post instead of posting twice

ALTER TABLE hooks ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();

ALTER TABLE content
  ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN trend_id   uuid REFERENCES trending_topics (id) ON DELETE SET NULL;
CREATE TRIGGER content_set_updated_at BEFORE UPDATE ON content
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

ALTER TABLE distributions
  ADD COLUMN created_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN attempts   integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  ADD CONSTRAINT distributions_content_account_key UNIQUE (content_id, account_id);
CREATE INDEX distributions_status_idx ON distributions (status, created_at);
CREATE INDEX distributions_platform_posted_idx ON distributions (platform, posted_at);

CREATE TABLE simulated_posts (
  idempotency_key  text PRIMARY KEY,
  platform         text NOT NULL,
  attempts         integer NOT NULL DEFAULT 1,
  platform_post_id text UNIQUE,
  posted_at        timestamptz,
  removed          boolean NOT NULL DEFAULT false,
  CHECK ((platform_post_id IS NULL) = (posted_at IS NULL))
);
