-- The distribution planner orders a niche's accounts by their latest pending post (an account planned a
-- moment ago waits behind the others). Without an index of an account's pending posts by time, each piece
-- planned read every pending post of every account of the niche: 70 ms a piece once a calendar held 10,000
-- posts (bench/calendar.ts). With it, each account's latest pending post is one index probe.
CREATE INDEX distributions_pending_by_account_idx ON distributions (account_id, created_at)
  WHERE status = 'pending';
