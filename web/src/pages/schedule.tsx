// The warming schedule: the next accounts due, each device's queue, and recent session outcomes. The status
// refreshes every 15 s; the recent sessions list is kept current by /api/v1/warming/sessions/stream
// (Server-Sent Events: a session arrives when it starts and again when it completes).
import { useEffect, useState } from 'preact/hooks';
import { get } from '../api.ts';
import { Badge, Empty, ErrorNote, Facts, Loading, Section } from '../components/ui.tsx';
import { dateTime, label, num, percent, phaseDay, timeAgo } from '../format.ts';
import { accountStateTone, deviceStatusTone, toneOf, type Tone } from '../tones.ts';
import type { WarmingSession, WarmingStatus } from '../types.ts';
import { useData } from '../use-data.ts';

const RECENT = 50;
const outcomeTone = (outcome: string | null): Tone =>
  outcome === null ? 'info' : outcome === 'success' ? 'good' : outcome === 'timeout' ? 'warn' : 'bad';

function Due({ status }: { status: WarmingStatus }) {
  return (
    <Section title="Next due">
      {status.next.length === 0 ? (
        <Empty>No account is due: every one has had its session for now.</Empty>
      ) : (
        <div class="table-wrap">
          <table class="table" aria-label="Next accounts due">
            <thead>
              <tr>
                <th>Account</th>
                <th>State</th>
                <th>Last warmed</th>
                <th>Device</th>
                <th>Queued</th>
              </tr>
            </thead>
            <tbody>
              {status.next.map((a) => (
                <tr key={a.id}>
                  <td>
                    <a href={`/accounts/${a.id}`}>{a.username}</a>
                    <div class="muted small">{a.platform}</div>
                  </td>
                  <td>
                    <Badge value={a.state} tone={toneOf(accountStateTone, a.state)} />
                  </td>
                  <td title={dateTime(a.lastWarmedAt)}>
                    {a.lastWarmedAt ? timeAgo(a.lastWarmedAt) : 'never'}
                  </td>
                  <td>{a.device ?? <span class="muted">planner assigns</span>}</td>
                  <td>{a.queued ? 'yes' : 'no'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}

function Queues({ status }: { status: WarmingStatus }) {
  return (
    <Section title="Device queues">
      {status.devices.length === 0 ? (
        <Empty>No devices.</Empty>
      ) : (
        <div class="table-wrap">
          <table class="table" aria-label="Device queues">
            <thead>
              <tr>
                <th>Device</th>
                <th>Status</th>
                <th class="num">Queued</th>
                <th class="num" title="sessions started in the last hour">
                  1 h
                </th>
                <th class="num" title="share of the last hour spent in sessions">
                  Busy
                </th>
              </tr>
            </thead>
            <tbody>
              {status.devices.map((d) => (
                <tr key={d.id}>
                  <td>
                    <a href={`/devices/${d.id}`}>{d.name}</a>
                    <div class="muted small">{d.host}</div>
                  </td>
                  <td>
                    <Badge value={d.status} tone={toneOf(deviceStatusTone, d.status)} />
                    <div class="muted small">{d.currentSession ? 'in a session' : 'idle'}</div>
                  </td>
                  <td class="num">{num(d.queued)}</td>
                  <td class="num">{num(d.sessionsLastHour)}</td>
                  <td class="num">{percent(d.utilisation, 0)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}

type LiveState = 'connecting' | 'live' | 'reconnecting';

function RecentSessions() {
  const first = useData(() => get('/warming/sessions', { limit: RECENT }).then((p) => p.sessions), []);
  // Sessions from the stream, by id: they replace the loaded ones and come first.
  const [live, setLive] = useState<WarmingSession[]>([]);
  const [state, setState] = useState<LiveState>('connecting');
  useEffect(() => {
    const source = new EventSource('/api/v1/warming/sessions/stream');
    source.onopen = () => setState('live');
    source.onerror = () => setState('reconnecting');
    source.onmessage = (message: MessageEvent<string>) => {
      const session = JSON.parse(message.data) as WarmingSession;
      setLive((list) => [session, ...list.filter((s) => s.id !== session.id)].slice(0, RECENT));
    };
    return () => source.close();
  }, []);
  const byId = new Map<string, WarmingSession>();
  for (const s of [...(first.data ?? []), ...live]) byId.set(s.id, s);
  const sessions = [...byId.values()]
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.id.localeCompare(a.id))
    .slice(0, RECENT);
  return (
    <Section
      title="Recent sessions"
      actions={
        <span class={`live live-${state}`} data-state={state}>
          {state === 'live' ? '● live' : state}
        </span>
      }
    >
      <ErrorNote error={first.error} />
      <Loading when={first.loading && !first.data} />
      {first.data && sessions.length === 0 && <Empty>No warming sessions yet.</Empty>}
      {sessions.length > 0 && (
        <div class="table-wrap">
          <table class="table" aria-label="Recent sessions">
            <thead>
              <tr>
                <th>Account</th>
                <th>Device</th>
                <th>Warming</th>
                <th>Started</th>
                <th>Outcome</th>
              </tr>
            </thead>
            <tbody>
              {sessions.map((s) => (
                <tr key={s.id} data-session-id={s.id}>
                  <td>
                    <a href={`/accounts/${s.accountId}`}>{s.username}</a>
                    <div class="muted small">{s.platform}</div>
                  </td>
                  <td>
                    {s.deviceId ? <a href={`/devices/${s.deviceId}`}>{s.deviceName ?? 'device'}</a> : '–'}
                  </td>
                  <td>{phaseDay(s.phase, s.day)}</td>
                  <td title={dateTime(s.startedAt)}>{timeAgo(s.startedAt)}</td>
                  <td>
                    <Badge
                      value={s.outcome ?? (s.completedAt ? 'finished' : 'running')}
                      tone={outcomeTone(s.completedAt ? s.outcome : null)}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}

export function Schedule() {
  const { data, error, loading } = useData(() => get('/warming/status', { next: 20 }), [], 15_000);
  const outcomes = Object.entries(data?.lastHour ?? {});
  return (
    <div class="page">
      <h1>Schedule</h1>
      <ErrorNote error={error} />
      <Loading when={loading && !data} />
      {data && (
        <Section title="Now">
          <Facts
            items={[
              ['Accounts due', num(data.dueAccounts)],
              ['Sessions queued', num(data.queuedSessions)],
              [
                'Last hour',
                outcomes.length === 0
                  ? 'no sessions finished'
                  : outcomes.map(([o, n]) => `${num(n)} ${label(o)}`).join(' · '),
              ],
            ]}
          />
        </Section>
      )}
      {data && (
        <div class="grid-2">
          <Due status={data} />
          <Queues status={data} />
        </div>
      )}
      <RecentSessions />
    </div>
  );
}
