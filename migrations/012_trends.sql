-- 012: what trend ingestion keeps beside the spec's trending_topics columns.
--
-- trending_topics.topic_key       the topic text normalised (lower case, runs of anything but letters and
--                                 digits as one space): duplicates of one topic in one niche merge on it
-- trending_topics.source_group    the population the ratio is measured against (Reddit: r/<subreddit>)
-- trending_topics.engagement      the engagement of the item behind the score (Reddit: score + comments)
-- trending_topics.velocity        its engagement gained per hour
-- trending_topics.baseline_median the median engagement of its source group over the trailing window, the
--                                 denominator of overperformance_ratio
-- trending_topics.published_at    when the source item was posted: freshness and inactivation go by it
-- trending_topics.last_seen_at    when a pull or import last saw the topic
-- trending_topics.scored_at       when trend_score was last computed (freshness decays between pulls)
-- trend_observations              every sighting of a source item, so that the median covers the trailing
--                                 window (a week of hourly pulls), not just the items of the current pull

ALTER TABLE trending_topics
  ADD COLUMN topic_key       text,
  ADD COLUMN source_group    text CHECK (source_group <> ''),
  ADD COLUMN engagement      double precision CHECK (engagement >= 0),
  ADD COLUMN velocity        double precision CHECK (velocity >= 0),
  ADD COLUMN baseline_median double precision CHECK (baseline_median >= 0),
  ADD COLUMN published_at    timestamptz,
  ADD COLUMN last_seen_at    timestamptz,
  ADD COLUMN scored_at       timestamptz;

-- Rows written before this migration: the same normalisation as topicKey() in src/trends/trend-model.ts
-- (ASCII-exact; for other scripts PostgreSQL's [:alnum:] follows the database locale, close enough for old
-- rows), and "last seen" when they were found.
UPDATE trending_topics
SET topic_key = coalesce(nullif(btrim(regexp_replace(lower(topic), '[^[:alnum:]]+', ' ', 'g')), ''), lower(topic)),
    last_seen_at = discovered_at;
ALTER TABLE trending_topics
  ALTER COLUMN topic_key SET NOT NULL,
  ALTER COLUMN last_seen_at SET NOT NULL,
  ALTER COLUMN last_seen_at SET DEFAULT now();

-- A writer that knows only the spec's columns (an older script, plain SQL) still gets the key.
CREATE FUNCTION trending_topics_default_key() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.topic_key IS NULL THEN
    NEW.topic_key := coalesce(nullif(btrim(regexp_replace(lower(NEW.topic), '[^[:alnum:]]+', ' ', 'g')), ''),
                              lower(NEW.topic));
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER trending_topics_default_key BEFORE INSERT ON trending_topics
  FOR EACH ROW EXECUTE FUNCTION trending_topics_default_key();

-- One active topic per niche and topic text. Old duplicates stay as they are but inactive (content may point
-- at them), keeping the newest active. NULLS NOT DISTINCT: niche-less topics merge among themselves too.
UPDATE trending_topics t
SET is_active = false
FROM (
  SELECT id, row_number() OVER (PARTITION BY niche_id, topic_key ORDER BY discovered_at DESC, id) AS rank
  FROM trending_topics
  WHERE is_active
) d
WHERE t.id = d.id AND d.rank > 1;
CREATE UNIQUE INDEX trending_topics_active_key ON trending_topics (niche_id, topic_key) NULLS NOT DISTINCT
  WHERE is_active;

CREATE TABLE trend_observations (
  id           bigserial PRIMARY KEY,
  source       text NOT NULL CHECK (source <> ''),
  source_group text NOT NULL CHECK (source_group <> ''),
  -- The source's own id of the item (Reddit: t3_…), so that one post seen hourly counts once in a median.
  item_id      text NOT NULL CHECK (item_id <> ''),
  niche_id     uuid REFERENCES niches (id),
  trend_id     uuid REFERENCES trending_topics (id) ON DELETE SET NULL,
  engagement   double precision NOT NULL CHECK (engagement >= 0),
  published_at timestamptz,
  observed_at  timestamptz NOT NULL DEFAULT now()
);
-- The median: one group's observations in the window (then the latest per item).
CREATE INDEX trend_observations_group_idx ON trend_observations (source, source_group, observed_at);
-- Velocity: an item's previous sighting.
CREATE INDEX trend_observations_item_idx ON trend_observations (source, item_id, observed_at DESC);
-- `sovi trends show`: a topic's history; also serves the ON DELETE SET NULL of trend_id.
CREATE INDEX trend_observations_trend_idx ON trend_observations (trend_id, observed_at DESC)
  WHERE trend_id IS NOT NULL;
-- Pruning what has left the window.
CREATE INDEX trend_observations_observed_idx ON trend_observations (observed_at);
