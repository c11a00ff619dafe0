// Analytics from the rollups: a niche day by day, an account hour by hour (or day by day), the hook
// leaderboard and the content that gained the most views.
import { get } from '../api.ts';
import { TimeChart } from '../components/chart.tsx';
import { Cmd, Empty, ErrorNote, Loading, Section } from '../components/ui.tsx';
import { platforms } from '../domain.ts';
import { compact, label, num, percent } from '../format.ts';
import { setQuery, useLocation } from '../router.ts';
import type { AccountHour } from '../types.ts';
import { useData } from '../use-data.ts';
import { useNiches } from './accounts.tsx';

const seconds = (iso: string) => Date.parse(iso) / 1000;

function NicheChart({ niche, name, days }: { niche: string; name: string; days: number }) {
  const { data, error } = useData(
    () => get('/metrics/niches/{ref}/daily', { ref: niche, days }),
    [niche, days],
  );
  const rows = (data?.days ?? []).filter(
    (d) => d.viewsGained > 0 || d.posts > 0 || d.engagementRate !== null,
  );
  return (
    <>
      <ErrorNote error={error} />
      <TimeChart
        title={`${name}: views and engagement per day`}
        x={rows.map((d) => seconds(`${d.day}T00:00:00Z`))}
        series={[
          { label: 'views gained', values: rows.map((d) => d.viewsGained), color: '#1f6feb' },
          { label: 'likes gained', values: rows.map((d) => d.likesGained), color: '#d6336c' },
          { label: 'engagement', values: rows.map((d) => d.engagementRate), color: '#f08c00', scale: 'rate' },
        ]}
        empty={
          <>
            No metrics for {name} in the last {days} days. Snapshots come in with{' '}
            <Cmd>npx sovi metrics import f.csv</Cmd>.
          </>
        }
      />
    </>
  );
}

/** An account's hours, or its days (the last hour of each UTC day: counts are running totals). */
function byDay(hours: AccountHour[]): AccountHour[] {
  const days = new Map<string, AccountHour>();
  for (const h of hours)
    days.set(h.bucket.slice(0, 10), { ...h, bucket: `${h.bucket.slice(0, 10)}T00:00:00Z` });
  return [...days.values()];
}

function AccountChart({
  account,
  grain,
  days,
}: {
  account: string;
  grain: 'hourly' | 'daily';
  days: number;
}) {
  const { data, error } = useData(
    () => get('/metrics/accounts/{ref}/hourly', { ref: account, days }),
    [account, days],
  );
  const rows = grain === 'daily' ? byDay(data?.hours ?? []) : (data?.hours ?? []);
  return (
    <>
      <ErrorNote error={error} />
      <TimeChart
        title={`${account}: views and engagement, ${grain}`}
        x={rows.map((h) => seconds(h.bucket))}
        series={[
          { label: 'views', values: rows.map((h) => h.views), color: '#1f6feb' },
          { label: 'likes', values: rows.map((h) => h.likes), color: '#d6336c' },
          { label: 'engagement', values: rows.map((h) => h.engagementRate), color: '#f08c00', scale: 'rate' },
        ]}
        empty={`No metrics for ${account} in the last ${days} days.`}
      />
    </>
  );
}

function Leaderboard({ platform, niche }: { platform: string; niche: string }) {
  const { data, error, loading } = useData(
    () => get('/hooks/leaderboard', { platform, niche, limit: 15 }),
    [platform, niche],
  );
  return (
    <>
      <ErrorNote error={error} />
      <Loading when={loading && !data} />
      {data && data.hooks.length === 0 && (
        <Empty>
          No hooks yet:{' '}
          <Cmd>
            {'npx sovi hooks add --category curiosity_gap --template "Nobody tells you this about {topic}."'}
          </Cmd>
        </Empty>
      )}
      {data && data.hooks.length > 0 && (
        <table class="table" aria-label="Hook leaderboard">
          <thead>
            <tr>
              <th class="num">#</th>
              <th>Hook</th>
              <th class="num">Expected</th>
              <th class="num">Posts</th>
              <th class="num">Uses</th>
            </tr>
          </thead>
          <tbody>
            {data.hooks.map((h) => (
              <tr key={h.hook.id}>
                <td class="num">{h.rank}</td>
                <td>
                  {h.hook.template}
                  <div class="muted small">
                    {label(h.hook.category)} · {h.hook.nicheSlug ? label(h.hook.nicheSlug) : 'any niche'}
                  </div>
                </td>
                <td class="num">{percent(h.mean, 0)}</td>
                <td class="num">{num(h.samples)}</td>
                <td class="num">{num(h.hook.usageCount)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function Top({ days, niche }: { days: number; niche: string }) {
  const { data, error } = useData(() => get('/metrics/top', { days, niche, limit: 10 }), [days, niche]);
  return (
    <>
      <ErrorNote error={error} />
      {data && data.content.length === 0 && <Empty>No content gained views in the last {days} days.</Empty>}
      {data && data.content.length > 0 && (
        <table class="table" aria-label="Top content">
          <thead>
            <tr>
              <th>Content</th>
              <th class="num">Views gained</th>
              <th class="num">Likes gained</th>
              <th class="num">Views</th>
            </tr>
          </thead>
          <tbody>
            {data.content.map((c) => (
              <tr key={c.contentId}>
                <td>
                  <a href={`/content/${c.contentId}`}>{c.topic}</a>
                </td>
                <td class="num">{compact(c.viewsGained)}</td>
                <td class="num">{compact(c.likesGained)}</td>
                <td class="num">{compact(c.views)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

export function Analytics() {
  const { query } = useLocation();
  const niches = useNiches();
  const niche = query.get('niche') ?? niches.data?.[0]?.slug ?? '';
  const account = query.get('account') ?? '';
  const grain = query.get('grain') === 'daily' ? 'daily' : 'hourly';
  const platform = query.get('platform') ?? 'tiktok';
  const days = Number(query.get('days') ?? 30) || 30;
  const accounts = useData(() => get('/accounts', { niche, limit: 200 }).then((r) => r.accounts), [niche]);

  return (
    <div class="page">
      <h1>Analytics</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Analytics filters">
        <label>
          Niche
          <select
            name="niche"
            value={niche}
            onChange={(e) => setQuery({ niche: e.currentTarget.value, account: undefined })}
          >
            {niches.data?.map((n) => (
              <option key={n.slug} value={n.slug}>
                {n.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Account
          <select
            name="account"
            value={account}
            onChange={(e) => setQuery({ account: e.currentTarget.value })}
          >
            <option value="">choose…</option>
            {accounts.data?.map((a) => (
              <option key={a.id} value={`${a.platform}:${a.username}`}>
                {a.platform}:{a.username}
              </option>
            ))}
          </select>
        </label>
        <label>
          Grain
          <select name="grain" value={grain} onChange={(e) => setQuery({ grain: e.currentTarget.value })}>
            <option value="hourly">hourly</option>
            <option value="daily">daily</option>
          </select>
        </label>
        <label>
          Days
          <select
            name="days"
            value={String(days)}
            onChange={(e) => setQuery({ days: e.currentTarget.value })}
          >
            {[7, 30, 90].map((d) => (
              <option key={d} value={String(d)}>
                {d}
              </option>
            ))}
          </select>
        </label>
      </form>
      <ErrorNote error={niches.error} />
      {niche && (
        <Section title="By niche (daily)">
          <NicheChart
            niche={niche}
            name={niches.data?.find((n) => n.slug === niche)?.name ?? label(niche)}
            days={days}
          />
        </Section>
      )}
      <Section title={`By account (${grain})`}>
        {account ? (
          <AccountChart account={account} grain={grain} days={days} />
        ) : (
          <Empty>Choose an account above to see its numbers.</Empty>
        )}
      </Section>
      <div class="grid-2">
        <Section
          title="Hook leaderboard"
          actions={
            <select
              name="platform"
              aria-label="Platform"
              value={platform}
              onChange={(e) => setQuery({ platform: e.currentTarget.value })}
            >
              {platforms.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
          }
        >
          <Leaderboard platform={platform} niche={niche} />
        </Section>
        <Section title={`Top content, last ${days} days`}>
          <Top days={days} niche={niche} />
        </Section>
      </div>
    </div>
  );
}
