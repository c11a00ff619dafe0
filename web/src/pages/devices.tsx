// The phone fleet: a table with battery and storage, status and the current session; a device page with
// its accounts, sessions and recent events. Those who may change devices also get the controls of
// device-manage.tsx: add, edit, maintenance, check now, remove.
import { useState } from 'preact/hooks';
import { get, getAll } from '../api.ts';
import { Badge, Cmd, Empty, ErrorNote, Facts, Loading, Meter, Section } from '../components/ui.tsx';
import { deviceStatuses } from '../domain.ts';
import { dateTime, label, num, percent, phaseDay, timeAgo } from '../format.ts';
import { useLocation } from '../router.ts';
import { FilterSelect } from '../components/filter-select.tsx';
import { accountStateTone, deviceStatusTone, severityTone } from '../tones.ts';
import type { Device, Settings, WarmingSession } from '../types.ts';
import { useData } from '../use-data.ts';
import { useCan } from '../permissions.tsx';
import { DeviceActions, DeviceForm } from './device-manage.tsx';

/** Storage bars are drawn against this much free space (WDA reports no capacity). */
const STORAGE_SCALE_GB = 64;

/**
 * The thresholds below which the server records battery_low and storage_low, as configured
 * (SOVI_BATTERY_LOW_PERCENT, SOVI_STORAGE_LOW_GB): a bar below one is drawn bad.
 */
type Thresholds = Settings['health'];

/**
 * The battery with the age of its reading. A reading older than SOVI_BATTERY_STALE_MINUTES arrives as null
 * and shows as unknown, with when it was last read and why it cannot be read now (e.g. no WDA session).
 */
export function Battery({ device, low }: { device: Device; low: Thresholds }) {
  const read = device.batteryReadAt ? `read ${timeAgo(device.batteryReadAt)}` : 'never read';
  const why = device.batteryUnknownReason ? `; not read now: ${device.batteryUnknownReason}` : '';
  if (device.batteryLevel === null) {
    return (
      <span class="muted" title={`battery ${read}${why}`}>
        {device.batteryReadAt ? `unknown (last ${read})` : '–'}
      </span>
    );
  }
  return (
    <span title={`battery ${read}${why}`}>
      <Meter
        value={device.batteryLevel}
        max={100}
        bad={low.batteryLowPercent}
        warn={low.batteryLowPercent * 2}
        text={`${Math.round(device.batteryLevel)}%`}
        title="battery"
      />{' '}
      <span class="muted">{device.batteryReadAt ? timeAgo(device.batteryReadAt) : ''}</span>
    </span>
  );
}

export function Storage({ device, low }: { device: Device; low: Thresholds }) {
  return (
    <Meter
      value={device.storageFreeGb}
      max={STORAGE_SCALE_GB}
      bad={low.storageLowGb}
      warn={low.storageLowGb * 2.5}
      text={device.storageFreeGb === null ? '–' : `${num(device.storageFreeGb)} GB free`}
      title="free storage"
    />
  );
}

/** The account a phone is warming now, or the bare session key when the session is not listed yet. */
function CurrentSession(props: { session: WarmingSession | undefined; sessionKey: string | null }) {
  const { session, sessionKey } = props;
  if (session) {
    return (
      <>
        warming{' '}
        <a href={`/accounts/${session.accountId}`}>
          {session.platform}:{session.username}
        </a>{' '}
        <span class="muted">since {timeAgo(session.startedAt)}</span>
      </>
    );
  }
  if (sessionKey)
    return (
      <span class="mono" title="session key">
        {sessionKey.slice(0, 8)}…
      </span>
    );
  return <span class="muted">idle</span>;
}

/** The schedule's view of each device (queue, current session); absent when the warming routes are not there. */
const warmingStatus = () => get('/warming/status', { next: 0 }).catch(() => undefined);

export function Devices() {
  const { query } = useLocation();
  const status = query.get('status') ?? '';
  const canWrite = useCan('devices.write');
  const [adding, setAdding] = useState(false);
  const { data, error, loading, reload } = useData(
    async () => {
      const [devices, settings, warming, recent] = await Promise.all([
        getAll('/devices', 'devices', { status }),
        get('/settings'),
        warmingStatus(),
        get('/warming/sessions', { since: '2h', limit: 1000 }).catch(() => ({
          sessions: [],
        })),
      ]);
      // Who each phone is warming now: its session that has not finished.
      const running = new Map(
        recent.sessions.filter((s) => s.completedAt === null && s.deviceId).map((s) => [s.deviceId, s]),
      );
      return {
        devices: devices.items,
        low: settings.health,
        warming: new Map(warming?.devices.map((d) => [d.id, d])),
        running,
      };
    },
    [status],
    15_000,
  );
  return (
    <div class="page">
      <div class="page-head">
        <h1>Devices</h1>
        {canWrite && !adding && (
          <button type="button" class="primary" onClick={() => setAdding(true)}>
            Add device
          </button>
        )}
      </div>
      {adding && (
        <section class="card" aria-label="Add a device">
          <h2>Add a device</h2>
          <DeviceForm
            onCancel={() => setAdding(false)}
            onDone={() => {
              setAdding(false);
              reload();
            }}
          />
        </section>
      )}
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <FilterSelect
          label="Status"
          name="status"
          value={status}
          any="any"
          options={deviceStatuses.map((s) => [s, label(s)] as const)}
        />
      </form>
      <ErrorNote error={error} />
      <Loading when={loading && !data} />
      {data && data.devices.length === 0 && (
        <Empty>
          {status ? (
            `No ${label(status)} devices.`
          ) : (
            <>
              No devices yet: add a phone {canWrite ? 'with Add device, or ' : ''}with{' '}
              <Cmd>npx sovi devices add --name iphone-01 --udid … --wda-port 8100</Cmd>; the health monitor of{' '}
              <Cmd>npx sovi up</Cmd> then polls its WebDriverAgent.
            </>
          )}
        </Empty>
      )}
      {data && data.devices.length > 0 && (
        <div class="table-wrap">
          <table class="table" aria-label="Devices">
            <thead>
              <tr>
                <th>Device</th>
                <th>Status</th>
                <th>Battery</th>
                <th>Storage</th>
                <th>Current session</th>
                <th class="num">Queued</th>
                <th class="num">Busy (1 h)</th>
                <th>Last seen</th>
              </tr>
            </thead>
            <tbody>
              {data.devices.map((d) => {
                const w = data.warming.get(d.id);
                return (
                  <tr key={d.id}>
                    <td>
                      <a href={`/devices/${d.id}`}>{d.name}</a>
                      <div class="muted small">
                        {d.model ?? 'unknown model'} · {d.host}
                      </div>
                    </td>
                    <td data-label="Status">
                      <Badge value={d.status} tones={deviceStatusTone} />
                    </td>
                    <td data-label="Battery">
                      <Battery device={d} low={data.low} />
                    </td>
                    <td data-label="Storage">
                      <Storage device={d} low={data.low} />
                    </td>
                    <td data-label="Current session" class="small">
                      <CurrentSession
                        session={data.running.get(d.id)}
                        sessionKey={w?.currentSession ?? d.currentSessionKey}
                      />
                    </td>
                    <td data-label="Queued" class="num">
                      {w ? num(w.queued) : '–'}
                    </td>
                    <td data-label="Busy (1 h)" class="num">
                      {w ? percent(w.utilisation, 0) : '–'}
                    </td>
                    <td data-label="Last seen" title={dateTime(d.lastSeenAt)}>
                      {timeAgo(d.lastSeenAt)}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

export function DevicePage({ id }: { id: string }) {
  const canWrite = useCan('devices.write');
  const { data, error, loading, reload } = useData(
    async () => {
      const [details, settings, accounts, sessions] = await Promise.all([
        get('/devices/{ref}', { ref: id }),
        get('/settings'),
        get('/accounts', { device: id, limit: 200 }),
        get('/warming/sessions', { device: id, limit: 50 }).catch(() => ({
          sessions: [],
        })),
      ]);
      return {
        ...details,
        low: settings.health,
        accounts: accounts.accounts,
        sessions: sessions.sessions,
      };
    },
    [id],
    15_000,
  );
  const d = data?.device;
  return (
    <div class="page">
      <p class="crumbs">
        <a href="/devices">Devices</a> /
      </p>
      <ErrorNote error={error} />
      <Loading when={loading && !data} />
      {data && d && (
        <>
          <h1>
            {d.name} <Badge value={d.status} tones={deviceStatusTone} />
          </h1>
          <p class="page-links">
            <a href={`/audit?target=${encodeURIComponent(d.id)}`}>history</a>
          </p>
          {canWrite && (
            <DeviceActions device={d} assignedAccounts={data.assignedAccounts} onChanged={reload} />
          )}
          <div class="grid-2">
            <Section title="Device">
              <Facts
                items={[
                  ['Battery', <Battery device={d} low={data.low} />],
                  ['Storage', <Storage device={d} low={data.low} />],
                  ['Model', d.model ?? '–'],
                  ['iOS', d.iosVersion ?? '–'],
                  ['UDID', <span class="mono small">{d.udid}</span>],
                  ['Host', d.host],
                  ['WebDriverAgent port', d.wdaPort ?? 'not monitored'],
                  ['Connected since', dateTime(d.connectedSince)],
                  ['Last seen', `${timeAgo(d.lastSeenAt)}`],
                  ['Unhealthy polls in a row', num(d.healthFailures)],
                  ['Failed sessions in a row', num(d.sessionFailures)],
                  ['Current session', d.currentSessionKey ?? 'idle'],
                ]}
              />
            </Section>
            <Section title={`Accounts (${data.assignedAccounts})`}>
              {data.accounts.length === 0 ? (
                <Empty>
                  No accounts on this phone:{' '}
                  <Cmd>{`npx sovi accounts update <account> --device ${d.name}`}</Cmd>
                </Empty>
              ) : (
                <ul class="plain">
                  {data.accounts.map((a) => (
                    <li key={a.id}>
                      <a href={`/accounts/${a.id}`}>
                        {a.platform}:{a.username}
                      </a>{' '}
                      <Badge value={a.state} tones={accountStateTone} />
                    </li>
                  ))}
                </ul>
              )}
            </Section>
          </div>
          <Section title="Warming sessions">
            {data.sessions.length === 0 ? (
              <Empty>No sessions on this phone yet.</Empty>
            ) : (
              <SessionsTable sessions={data.sessions} show="account" />
            )}
          </Section>
          <Section title="Recent events">
            {data.recentEvents.length === 0 ? (
              <Empty>No events for this phone.</Empty>
            ) : (
              <ul class="plain timeline">
                {data.recentEvents.map((e) => (
                  <li key={e.id}>
                    <Badge value={e.severity} tones={severityTone} /> <strong>{label(e.eventType)}</strong>{' '}
                    <span class="muted small">{dateTime(e.timestamp)}</span>
                    <div>{e.message}</div>
                    {!e.resolved && <a href={`/events?type=${e.eventType}`}>unresolved: open in Events</a>}
                  </li>
                ))}
              </ul>
            )}
          </Section>
        </>
      )}
    </div>
  );
}

export function SessionsTable({
  sessions,
  show,
}: {
  sessions: WarmingSession[];
  show: 'account' | 'device';
}) {
  return (
    <div class="table-wrap">
      <table class="table" aria-label="Warming sessions">
        <thead>
          <tr>
            <th>Started</th>
            <th>{show === 'account' ? 'Account' : 'Device'}</th>
            <th>Warming</th>
            <th>Outcome</th>
            <th>Took</th>
          </tr>
        </thead>
        <tbody>
          {sessions.map((s) => (
            <tr key={s.id}>
              <td title={dateTime(s.startedAt)}>{timeAgo(s.startedAt)}</td>
              <td>
                {show === 'account' ? (
                  <a href={`/accounts/${s.accountId}`}>
                    {s.platform}:{s.username}
                  </a>
                ) : s.deviceId ? (
                  <a href={`/devices/${s.deviceId}`}>{s.deviceName ?? s.deviceId}</a>
                ) : (
                  '–'
                )}
              </td>
              <td>{phaseDay(s.phase, s.day)}</td>
              <td>
                <Badge
                  value={s.outcome ?? 'running'}
                  tone={s.outcome === null ? 'info' : s.outcome === 'success' ? 'good' : 'bad'}
                />
              </td>
              <td>
                {s.completedAt
                  ? `${Math.round((Date.parse(s.completedAt) - Date.parse(s.startedAt)) / 1000)} s`
                  : '–'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
