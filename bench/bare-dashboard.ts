// The baseline of the dashboard's reads: a bare Fastify() app that sends the same SQL as sovi's services
// (overview, account list, niche daily, account hourly, top content) through pool.query and returns the rows
// as JSON. No auth, validation, mapping or schema serialization: what is left is PostgreSQL and HTTP.
// Used in-process by bench/api.ts, and as a process of its own by bench/scenario.ts:
//   node bench/bare-dashboard.ts <database url> [port]
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import pg from 'pg';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const isoDay = (t: Date) => t.toISOString().slice(0, 10);

// The SQL of listAccountRows (src/accounts/accounts-repository.ts) with no filter but the default
// deleted=exclude, in created order, one row more than the page to know whether there is a next one.
export const ACCOUNTS_SQL = `
  SELECT a.id, a.platform, a.username, a.email_enc, a.password_enc, a.totp_secret_enc, a.proxy_credentials,
         a.niche_id, a.device_id, a.current_state, a.warming_day_count, a.followers, a.following, a.bio,
         a.profile_pic_url, a.last_activity_at, a.last_warmed_at, a.last_post_at, a.deleted_at, a.created_at,
         a.updated_at, a.sessions_today, a.sessions_day, n.slug AS niche_slug, d.name AS device_name,
         to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_time
  FROM accounts AS a
  LEFT JOIN niches AS n ON n.id = a.niche_id
  LEFT JOIN devices AS d ON d.id = a.device_id
  WHERE (a.deleted_at IS NULL)
  ORDER BY a.created_at, a.id
  LIMIT $1`;

// resolveNiche's lookup, then nicheDaily's SELECT (src/metrics/metrics-reads.ts).
export const NICHE_SQL = 'SELECT id FROM niches WHERE slug = $1';
export const DAILY_SQL = `
  SELECT day::text AS day, views_gained, likes_gained, comments_gained, shares_gained, saves_gained,
         engagement_rate, accounts, followers, follower_delta, posts, warming_sessions
  FROM niche_metrics_daily
  WHERE niche_id = $1 AND day >= $2::date AND day < $3::date
  ORDER BY day`;

// resolveAccount's lookup by id (that it exists, and its niche for a limited caller's scope), then
// accountHourly's SELECT.
const ACCOUNT_SQL = 'SELECT id, niche_id FROM accounts WHERE id = $1';
const HOURLY_SQL = `
  SELECT bucket, count(*)::int AS distributions, sum(samples)::int AS samples,
         COALESCE(sum(views), 0) AS views, COALESCE(sum(likes), 0) AS likes,
         COALESCE(sum(comments), 0) AS comments, COALESCE(sum(shares), 0) AS shares,
         COALESCE(sum(saves), 0) AS saves,
         sum(engagement_rate * engagement_samples) / nullif(sum(engagement_samples), 0) AS engagement_rate,
         max(follower_count_at) AS followers
  FROM metrics_hourly
  WHERE account_id = $1 AND bucket >= $2 AND bucket < $3
  GROUP BY bucket ORDER BY bucket`;

// topContent for the trailing week: is content_metrics_week current, then its top rows with their topic.
const WEEK_SQL = 'SELECT bool_and(week_start = $1::date) AS current FROM content_metrics_week';
const TOP_SQL = `
  SELECT t.content_id, c.topic, t.niche_id, t.views_gained, t.likes_gained, t.views
  FROM (SELECT content_id, niche_id, views_gained, likes_gained, views FROM content_metrics_week
        ORDER BY views_gained DESC, content_id LIMIT $1) t
  JOIN content c ON c.id = t.content_id ORDER BY t.views_gained DESC, t.content_id`;

// readOverview's five aggregates (src/overview/overview-reads.ts), sent side by side as it does.
const OVERVIEW_SQL = [
  'SELECT status AS key, count(*)::int AS n FROM devices GROUP BY 1',
  'SELECT current_state AS key, count(*)::int AS n FROM accounts WHERE deleted_at IS NULL GROUP BY 1',
  'SELECT severity AS key, count(*)::int AS n FROM system_events WHERE resolved = false GROUP BY 1',
  `SELECT CASE WHEN jsonb_typeof(session_data->'outcome') = 'string' THEN session_data->>'outcome'
               WHEN completed_at IS NULL THEN 'running' ELSE 'unknown' END AS key, count(*)::int AS n
   FROM warming_progress WHERE started_at >= $1 GROUP BY 1`,
  `SELECT status AS key, count(*)::int AS n FROM distributions
   WHERE status IN ('posted', 'failed') AND coalesce(posted_at, created_at) >= $1 GROUP BY 1`,
];

export function bareDashboardApp(pool: pg.Pool): FastifyInstance {
  const app = Fastify();
  app.get('/api/v1/overview', async () => {
    const since = new Date(Date.now() - DAY);
    const results = await Promise.all(
      OVERVIEW_SQL.map((text) =>
        pool.query<{ key: string; n: number }>(text, text.includes('$1') ? [since] : []),
      ),
    );
    return { since, counts: results.map((r) => r.rows) };
  });
  app.get<{ Querystring: { limit?: string } }>('/api/v1/accounts', async (request) => {
    const limit = Number(request.query.limit ?? 100);
    const { rows } = await pool.query(ACCOUNTS_SQL, [limit + 1]);
    return { accounts: rows.slice(0, limit), more: rows.length > limit };
  });
  app.get<{ Params: { slug: string }; Querystring: { days?: string } }>(
    '/api/v1/metrics/niches/:slug/daily',
    async (request) => {
      const niche = (await pool.query<{ id: string }>(NICHE_SQL, [request.params.slug])).rows[0];
      // dayRange's span: `days` UTC days ending today, today included.
      const tomorrow = new Date(Date.now() + DAY);
      const from = isoDay(new Date(tomorrow.getTime() - Number(request.query.days ?? 90) * DAY));
      const { rows } = await pool.query(DAILY_SQL, [niche?.id, from, isoDay(tomorrow)]);
      return { niche: niche?.id, days: rows };
    },
  );
  app.get<{ Params: { id: string }; Querystring: { days?: string } }>(
    '/api/v1/metrics/accounts/:id/hourly',
    async (request) => {
      const account = (await pool.query<{ id: string }>(ACCOUNT_SQL, [request.params.id])).rows[0];
      // accountHours' span: from the start of the first of `days` UTC days to the end of this hour.
      const to = new Date(Math.ceil(Date.now() / HOUR) * HOUR);
      const from = new Date(Date.parse(isoDay(new Date())) - (Number(request.query.days ?? 30) - 1) * DAY);
      const { rows } = await pool.query(HOURLY_SQL, [account?.id, from, to]);
      return { accountId: account?.id, from, to, hours: rows };
    },
  );
  app.get<{ Querystring: { limit?: string } }>('/api/v1/metrics/top', async (request) => {
    const weekStart = isoDay(new Date(Date.parse(isoDay(new Date())) - 6 * DAY));
    await pool.query(WEEK_SQL, [weekStart]);
    const { rows } = await pool.query(TOP_SQL, [Number(request.query.limit ?? 20)]);
    return { content: rows };
  });
  return app;
}

export async function listen(app: FastifyInstance, port = 0): Promise<string> {
  await app.listen({ host: '127.0.0.1', port });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

if (import.meta.main) {
  const [url, port] = process.argv.slice(2);
  if (!url) throw new Error('usage: node bench/bare-dashboard.ts <database url> [port]');
  const pool = new pg.Pool({ connectionString: url, max: 10, application_name: 'bench bare dashboard' });
  const app = bareDashboardApp(pool);
  console.log(`bare dashboard at ${await listen(app, Number(port ?? 0))}`);
  const stop = () => void app.close().then(() => pool.end());
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
