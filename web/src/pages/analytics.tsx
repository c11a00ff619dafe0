// Analytics from the rollups over a span of days chosen at the top (kept in the URL): a niche day by day,
// an account hour by hour (or day by day), two accounts or niches side by side, every post's counts, the
// hook leaderboard and the content that gained the most views. Each chart and table has a CSV download of
// the same API read it draws.
//
// One naming on the whole page, as in the API: "views gained" is what a period added (a per-day delta),
// "total views" the running total at the period's end. Today (or this hour) is still filling up: it is
// drawn dashed, with a note, instead of as a fall.
import { get } from '../api.ts';
import { TimeChart } from '../components/chart.tsx';
import { Cmd, Empty, ErrorNote, Loading, Section } from '../components/ui.tsx';
import { platforms } from '../domain.ts';
import { compact, label, num, percent } from '../format.ts';
import { setQuery, useLocation } from '../router.ts';
import type { AccountHour } from '../types.ts';
import { useData } from '../use-data.ts';
import { useNiches } from './accounts.tsx';
import { CsvLink } from './analytics-csv.tsx';
import { PostsTable } from './analytics-posts.tsx';
import {
  csvHref,
  presets,
  rangeDays,
  rangeOf,
  rangeParams,
  rangeText,
  ref,
  utcDay,
  type Range,
} from './analytics-range.ts';
import './analytics.css';

const seconds = (iso: string) => Date.parse(iso) / 1000;
const DAY_AXIS = 'day (UTC)';
const compareColors = ['#1f6feb', '#d6336c', '#2f9e44', '#f08c00'];

function NicheChart({ niche, name, range }: { niche: string; name: string; range: Range }) {
  const params = rangeParams(range);
  const { data, error } = useData(
    () => get('/metrics/niches/{ref}/daily', { ref: niche, ...params }),
    [niche, JSON.stringify(params)],
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
          {
            label: 'engagement rate',
            values: rows.map((d) => d.engagementRate),
            color: '#f08c00',
            scale: 'rate',
          },
        ]}
        axes={{ x: DAY_AXIS, y: 'gained per day (count)', rate: 'engagement rate (%)' }}
        partial={rows.filter((d) => d.partial).length}
        partialLabel="today"
        empty={
          <>
            No metrics for {name} in {rangeText(range)}. Snapshots come in with{' '}
            <Cmd>npx sovi metrics import f.csv</Cmd>.
          </>
        }
      />
      <div class="analytics-tools">
        <CsvLink what={`${name} per day`} href={csvHref(`/metrics/niches/${ref(niche)}/daily`, params)} />
      </div>
    </>
  );
}

/**
 * An account's hours, or its days (the last hour of each UTC day: counts are running totals). Today is
 * partial however long ago its last hour with data was.
 */
function byDay(hours: AccountHour[]): AccountHour[] {
  const today = utcDay(Date.now());
  const days = new Map<string, AccountHour>();
  for (const h of hours) {
    const day = h.bucket.slice(0, 10);
    days.set(day, { ...h, bucket: `${day}T00:00:00Z`, partial: day === today });
  }
  return [...days.values()];
}

function AccountChart({
  account,
  grain,
  range,
}: {
  account: string;
  grain: 'hourly' | 'daily';
  range: Range;
}) {
  const params = rangeParams(range);
  const { data, error } = useData(
    () => get('/metrics/accounts/{ref}/hourly', { ref: account, ...params }),
    [account, JSON.stringify(params)],
  );
  const rows = grain === 'daily' ? byDay(data?.hours ?? []) : (data?.hours ?? []);
  return (
    <>
      <ErrorNote error={error} />
      <TimeChart
        title={`${account}: views and engagement, ${grain}`}
        x={rows.map((h) => seconds(h.bucket))}
        series={[
          { label: 'total views', values: rows.map((h) => h.views), color: '#1f6feb' },
          { label: 'total likes', values: rows.map((h) => h.likes), color: '#d6336c' },
          {
            label: 'engagement rate',
            values: rows.map((h) => h.engagementRate),
            color: '#f08c00',
            scale: 'rate',
          },
        ]}
        axes={{
          x: grain === 'daily' ? DAY_AXIS : 'hour (local time)',
          y: `total at the ${grain === 'daily' ? "day's" : "hour's"} end (count)`,
          rate: 'engagement rate (%)',
        }}
        partial={rows.filter((h) => h.partial).length}
        partialLabel={grain === 'daily' ? 'today' : 'this hour'}
        empty={`No metrics for ${account} in ${rangeText(range)}.`}
      />
      <div class="analytics-tools">
        <span class="muted small">The download has every hour; the daily chart draws each day's last.</span>
        <CsvLink
          what={`${account} per hour`}
          href={csvHref(`/metrics/accounts/${ref(account)}/hourly`, params)}
        />
      </div>
    </>
  );
}

type Metric = 'views' | 'likes' | 'comments' | 'shares';
const metrics: Metric[] = ['views', 'likes', 'comments', 'shares'];

/** Two accounts or two niches on one chart: one metric gained per day. */
function Compare({
  query,
  range,
  niches,
  accounts,
}: {
  query: URLSearchParams;
  range: Range;
  niches: { slug: string; name: string }[];
  accounts: string[];
}) {
  const kind = query.get('compare') === 'niches' ? 'niches' : 'accounts';
  const metric = (metrics as string[]).includes(query.get('metric') ?? '')
    ? (query.get('metric') as Metric)
    : 'views';
  const a = query.get('a') ?? '';
  const b = query.get('b') ?? '';
  const refs = [a, b].filter(Boolean);
  const params = { kind, refs: refs.join(','), metric, ...rangeParams(range) };
  const { data, error } = useData(
    () => (refs.length === 2 ? get('/metrics/compare', params) : Promise.resolve(undefined)),
    [JSON.stringify(params)],
  );
  const choices =
    kind === 'accounts'
      ? accounts.map((x) => ({ value: x, text: x }))
      : niches.map((n) => ({ value: n.slug, text: n.name }));
  const name = (value: string) => choices.find((c) => c.value === value)?.text ?? value;
  const rows = data?.days ?? [];
  const pick = (field: 'a' | 'b', value: string) => (
    <label>
      {field === 'a' ? 'First' : 'Second'}
      <select
        name={`compare-${field}`}
        value={value}
        onChange={(e) => setQuery({ [field]: e.currentTarget.value })}
      >
        <option value="">choose…</option>
        {choices.map((c) => (
          <option key={c.value} value={c.value}>
            {c.text}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Compare">
        <label>
          Compare
          <select
            name="compare"
            value={kind}
            onChange={(e) => setQuery({ compare: e.currentTarget.value, a: undefined, b: undefined })}
          >
            <option value="accounts">accounts</option>
            <option value="niches">niches</option>
          </select>
        </label>
        {pick('a', a)}
        {pick('b', b)}
        <label>
          Metric
          <select name="metric" value={metric} onChange={(e) => setQuery({ metric: e.currentTarget.value })}>
            {metrics.map((m) => (
              <option key={m} value={m}>
                {m} gained
              </option>
            ))}
          </select>
        </label>
      </form>
      <ErrorNote error={error} />
      {refs.length < 2 ? (
        <Empty>Choose two {kind} to compare them day by day.</Empty>
      ) : (
        <>
          <TimeChart
            title={`${name(a)} and ${name(b)}: ${metric} gained per day`}
            x={rows.map((d) => seconds(`${d.day}T00:00:00Z`))}
            series={refs.map((r, i) => ({
              label: `${name(r)}: ${metric} gained`,
              values: rows.map((d) => d.gained[i] ?? null),
              color: compareColors[i % compareColors.length]!,
            }))}
            axes={{ x: DAY_AXIS, y: `${metric} gained per day (count)` }}
            partial={rows.filter((d) => d.partial).length}
            partialLabel="today"
            empty={`No ${metric} for these ${kind} in ${rangeText(range)}.`}
          />
          <div class="analytics-tools">
            <CsvLink what="comparison" href={csvHref('/metrics/compare', params)} />
          </div>
        </>
      )}
    </>
  );
}

/** Hooks are ranked over all their posts, not per span: the date range does not apply here. */
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
                <td class="num" data-label="#">
                  {h.rank}
                </td>
                <td data-label="Hook">
                  {h.hook.template}
                  <div class="muted small">
                    {label(h.hook.category)} · {h.hook.nicheSlug ? label(h.hook.nicheSlug) : 'any niche'}
                  </div>
                </td>
                <td class="num" data-label="Expected">
                  {percent(h.mean, 0)}
                </td>
                <td class="num" data-label="Posts">
                  {num(h.samples)}
                </td>
                <td class="num" data-label="Uses">
                  {num(h.hook.usageCount)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="analytics-tools">
        <CsvLink
          what="hook leaderboard"
          href={csvHref('/hooks/leaderboard', { platform, niche, limit: 15 })}
        />
      </div>
    </>
  );
}

function Top({ range, niche }: { range: Range; niche: string }) {
  const params = { ...rangeParams(range), niche, limit: 10 };
  const { data, error } = useData(() => get('/metrics/top', params), [JSON.stringify(params)]);
  return (
    <>
      <ErrorNote error={error} />
      {data && data.content.length === 0 && <Empty>No content gained views in {rangeText(range)}.</Empty>}
      {data && data.content.length > 0 && (
        <table class="table" aria-label="Top content">
          <thead>
            <tr>
              <th>Content</th>
              <th class="num">Views gained</th>
              <th class="num">Likes gained</th>
              <th class="num">Total views</th>
            </tr>
          </thead>
          <tbody>
            {data.content.map((c) => (
              <tr key={c.contentId}>
                <td data-label="Content">
                  <a href={`/content/${c.contentId}`}>{c.topic}</a>
                </td>
                <td class="num" data-label="Views gained">
                  {compact(c.viewsGained)}
                </td>
                <td class="num" data-label="Likes gained">
                  {compact(c.likesGained)}
                </td>
                <td class="num" data-label="Total views">
                  {compact(c.views)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="analytics-tools">
        <CsvLink what="top content" href={csvHref('/metrics/top', params)} />
      </div>
    </>
  );
}

/** The span of days: a preset, or custom days (both included); it drives every read on the page. */
function RangePicker({ range }: { range: Range }) {
  const { from, to } = rangeDays(range);
  const preset = 'days' in range ? String(range.days) : 'custom';
  const choose = (value: string) =>
    value === 'custom'
      ? setQuery({ days: undefined, from, to, offset: undefined })
      : setQuery({ days: value, from: undefined, to: undefined, offset: undefined });
  const setDay = (field: 'from' | 'to', value: string) => {
    if (!value) return;
    const next = { from, to, [field]: value };
    // A span the wrong way round is turned round rather than refused.
    const [first, last] = next.from <= next.to ? [next.from, next.to] : [next.to, next.from];
    setQuery({ days: undefined, from: first, to: last, offset: undefined });
  };
  return (
    <>
      <label>
        Range
        <select name="range" value={preset} onChange={(e) => choose(e.currentTarget.value)}>
          {presets.map((d) => (
            <option key={d} value={String(d)}>
              last {d} days
            </option>
          ))}
          <option value="custom">custom…</option>
        </select>
      </label>
      {preset === 'custom' && (
        <>
          <label>
            From
            <input
              type="date"
              name="from"
              value={from}
              max={to}
              onChange={(e) => setDay('from', e.currentTarget.value)}
            />
          </label>
          <label>
            To
            <input
              type="date"
              name="to"
              value={to}
              min={from}
              onChange={(e) => setDay('to', e.currentTarget.value)}
            />
          </label>
        </>
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
  const range = rangeOf(query);
  const accounts = useData(() => get('/accounts', { niche, limit: 200 }).then((r) => r.accounts), [niche]);
  // The comparison may pick accounts of any niche.
  const everyAccount = useData(
    () => get('/accounts', { limit: 200 }).then((r) => r.accounts.map((a) => `${a.platform}:${a.username}`)),
    [],
  );

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
        <RangePicker range={range} />
      </form>
      <ErrorNote error={niches.error} />
      {niche && (
        <Section title="By niche (daily)">
          <NicheChart
            niche={niche}
            name={niches.data?.find((n) => n.slug === niche)?.name ?? label(niche)}
            range={range}
          />
        </Section>
      )}
      <Section title={`By account (${grain})`}>
        {account ? (
          <AccountChart account={account} grain={grain} range={range} />
        ) : (
          <Empty>Choose an account above to see its numbers.</Empty>
        )}
      </Section>
      <Section title="Compare">
        <Compare query={query} range={range} niches={niches.data ?? []} accounts={everyAccount.data ?? []} />
      </Section>
      <Section title={`Posts, ${rangeText(range)}`}>
        <PostsTable query={query} range={range} niche={niche} />
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
        <Section title={`Top content, ${rangeText(range)}`}>
          <Top range={range} niche={niche} />
        </Section>
      </div>
    </div>
  );
}
