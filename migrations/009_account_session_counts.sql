-- 009: how many warming sessions an account started on its current UTC day, kept on the account so that the
-- planner can tell "already had its sessions today" from the row it reads anyway, instead of counting
-- warming_progress for every candidate (which, at the head of idx_accounts_needs_warming late in the day,
-- is most of them).

ALTER TABLE accounts
  ADD COLUMN sessions_today integer NOT NULL DEFAULT 0 CHECK (sessions_today >= 0),
  ADD COLUMN sessions_day   date;

UPDATE accounts a SET sessions_today = s.n, sessions_day = s.day
FROM (SELECT account_id, (now() AT TIME ZONE 'UTC')::date AS day, count(*)::int AS n
      FROM warming_progress
      WHERE started_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
      GROUP BY account_id) s
WHERE a.id = s.account_id;
