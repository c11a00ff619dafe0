// The overview: the fleet's health, accounts by state, what needs attention, the last 24 hours' sessions
// and posts, and views over time. Refreshed every 30 s.
import { get } from '../api.ts';
import { BarChart, TimeChart } from '../components/chart.tsx';
import { Cmd, ErrorNote, Loading, Section } from '../components/ui.tsx';
import { accountStates, deviceStatuses, severities } from '../domain.ts';
import { compact, label, num } from '../format.ts';
import { deviceStatusTone, severityTone, type Tone } from '../tones.ts';
import { useData } from '../use-data.ts';

interface Summary {
  devices: Record<string, number>;
  deviceTotal: number;
  accounts: Record<string, number>;
  accountTotal: number;
  unresolved: Record<string, number>;
  sessions: { total: number; byOutcome: Record<string, number> };
  posts: { posted: number; failed: number };
  views: { x: number[]; views: number[]; likes: number[] };
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/** Views gained per UTC day over every niche, from the niche day table (the rollups). */
async function viewsByDay(days: number): Promise<Summary['views']> {
  const { niches } = await get('/niches', { limit: 1000 });
  const perNiche = await Promise.all(
    niches.map((n) => get('/metrics/niches/{ref}/daily', { ref: n.slug, days })),
  );
  const views = new Map<string, number>();
  const likes = new Map<string, number>();
  for (const { days: rows } of perNiche) {
    for (const row of rows) {
      views.set(row.day, (views.get(row.day) ?? 0) + row.viewsGained);
      likes.set(row.day, (likes.get(row.day) ?? 0) + row.likesGained);
    }
  }
  const daysWithData = [...views.keys()].sort();
  if (daysWithData.every((d) => (views.get(d) ?? 0) === 0)) return { x: [], views: [], likes: [] };
  return {
    x: daysWithData.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000),
    views: daysWithData.map((d) => views.get(d) ?? 0),
    likes: daysWithData.map((d) => likes.get(d) ?? 0),
  };
}

async function loadSummary(): Promise<Summary> {
  const [counts, views] = await Promise.all([get('/overview'), viewsByDay(30)]);
  return {
    devices: counts.devices,
    deviceTotal: total(counts.devices),
    accounts: counts.accounts,
    accountTotal: total(counts.accounts),
    unresolved: counts.unresolvedEvents,
    sessions: counts.sessions,
    posts: counts.posts,
    views,
  };
}

function Stat(props: { label: string; value: string; tone?: Tone; href?: string }) {
  const body = (
    <>
      <span class="stat-value">{props.value}</span>
      <span class="stat-label">{props.label}</span>
    </>
  );
  return props.href ? (
    <a class={`stat tone-${props.tone ?? 'neutral'}`} href={props.href}>
      {body}
    </a>
  ) : (
    <div class={`stat tone-${props.tone ?? 'neutral'}`}>{body}</div>
  );
}

export function Overview() {
  const { data, error, loading } = useData(loadSummary, [], 30_000);
  const failedSessions = Object.entries(data?.sessions.byOutcome ?? {})
    .filter(([outcome]) => outcome !== 'success' && outcome !== 'running')
    .reduce((sum, [, n]) => sum + n, 0);
  // States nobody is in are left out, so the bars stay readable on a phone.
  const shownStates = accountStates.filter((s) => (data?.accounts[s] ?? 0) > 0);
  return (
    <div class="page">
      <h1>Overview</h1>
      <ErrorNote error={error} />
      <Loading when={loading && !data} />
      {data && (
        <>
          <div class="grid-2">
            <Section title="Fleet health" actions={<a href="/devices">Devices →</a>}>
              {data.deviceTotal === 0 ? (
                <p class="empty">
                  No devices yet: add a phone with{' '}
                  <Cmd>npx sovi devices add --name iphone-01 --udid … --wda-port 8100</Cmd>
                </p>
              ) : (
                <div class="stats">
                  {deviceStatuses.map((s) => (
                    <Stat
                      key={s}
                      label={label(s)}
                      value={num(data.devices[s] ?? 0)}
                      tone={(data.devices[s] ?? 0) > 0 ? deviceStatusTone[s] : 'neutral'}
                      href={`/devices?status=${s}`}
                    />
                  ))}
                </div>
              )}
            </Section>
            <Section title="Needs attention" actions={<a href="/events">Events →</a>}>
              <div class="stats">
                {[...severities].reverse().map((s) => (
                  <Stat
                    key={s}
                    label={`${s} unresolved`}
                    value={num(data.unresolved[s] ?? 0)}
                    tone={(data.unresolved[s] ?? 0) > 0 ? severityTone[s] : 'neutral'}
                    href={`/events?severity=${s}`}
                  />
                ))}
              </div>
            </Section>
          </div>
          <div class="grid-2">
            <Section title="Last 24 hours">
              <div class="stats">
                <Stat label="warming sessions" value={num(data.sessions.total)} />
                <Stat
                  label="sessions failed"
                  value={num(failedSessions)}
                  tone={failedSessions > 0 ? 'warn' : 'neutral'}
                />
                <Stat label="posts published" value={num(data.posts.posted)} tone="good" />
                <Stat
                  label="posts failed"
                  value={num(data.posts.failed)}
                  tone={data.posts.failed > 0 ? 'bad' : 'neutral'}
                />
              </div>
              {Object.keys(data.sessions.byOutcome).length > 0 && (
                <p class="muted small">
                  Sessions by outcome:{' '}
                  {Object.entries(data.sessions.byOutcome)
                    .map(([o, n]) => `${label(o)} ${n}`)
                    .join(' · ')}
                </p>
              )}
            </Section>
            <Section title="Accounts by state" actions={<a href="/accounts">Accounts →</a>}>
              <BarChart
                title="Accounts by state"
                caption={false}
                labels={shownStates.map(label)}
                values={shownStates.map((s) => data.accounts[s] ?? 0)}
                color="#1f6feb"
                axes={{ x: 'account state', y: 'accounts (count)' }}
                empty={
                  <>
                    No accounts yet: <Cmd>npx sovi accounts add --platform tiktok --username …</Cmd> or{' '}
                    <Cmd>npx sovi accounts import accounts.csv</Cmd>
                  </>
                }
              />
              <p class="muted small">
                {compact(data.accountTotal)} accounts
                {shownStates.length > 0 && ': '}
                {shownStates.map((s) => `${label(s)} ${num(data.accounts[s] ?? 0)}`).join(' · ')}
              </p>
            </Section>
          </div>
          <Section title="Views over time" actions={<a href="/analytics">Analytics →</a>}>
            <TimeChart
              title="Views gained per day"
              x={data.views.x}
              series={[
                { label: 'views gained', values: data.views.views, color: '#1f6feb' },
                { label: 'likes gained', values: data.views.likes, color: '#d6336c' },
              ]}
              axes={{ x: 'day (UTC)', y: 'gained per day (count)' }}
              empty={
                <>
                  No metrics in the last 30 days: posts get metrics from{' '}
                  <Cmd>npx sovi metrics import snapshots.csv</Cmd> or{' '}
                  <code>POST /api/v1/metrics/snapshots</code>.
                </>
              }
            />
          </Section>
        </>
      )}
    </div>
  );
}
