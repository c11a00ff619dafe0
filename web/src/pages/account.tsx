// One account: its state (and changing it, with a reason), warming progress, followers over time, the
// state timeline, its sessions and its posts (newest post first). Operators and admins also edit its niche,
// device and bio, connect it to its platform's official API, and delete or restore it; admins can reveal its
// secrets and TOTP code for a moment.
import { useState } from 'preact/hooks';
import { ApiError, get, post } from '../api.ts';
import { DeleteRestore, EditAccountForm, RevealSecrets, useDevices } from '../components/account-forms.tsx';
import { TimeChart } from '../components/chart.tsx';
import { Badge, Empty, ErrorNote, Facts, Loading, Meter, Section } from '../components/ui.tsx';
import { DistributionsTable } from '../components/distributions.tsx';
import { ConnectionPanel } from '../components/connection-panel.tsx';
import { accountTransitions, type AccountState } from '../domain.ts';
import { compact, dateTime, label, phaseDay, statePhase, timeAgo } from '../format.ts';
import { useCan } from '../permissions.tsx';
import { useNiches } from './accounts.tsx';
import { accountStateTone, toneOf } from '../tones.ts';
import type { Account, SystemEvent } from '../types.ts';
import { useData } from '../use-data.ts';
import { SessionsTable } from './devices.tsx';

function StateForm({ account, onChanged }: { account: Account; onChanged: () => void }) {
  const options = accountTransitions[account.state];
  const [to, setTo] = useState<AccountState | ''>('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<Error | undefined>();
  const [busy, setBusy] = useState(false);
  if (options.length === 0)
    return <p class="muted">{label(account.state)} is terminal: the account cannot change state.</p>;
  const submit = (event: Event) => {
    event.preventDefault();
    if (!to) return;
    setBusy(true);
    setError(undefined);
    post(
      '/accounts/{ref}/state',
      { state: to, reason: reason.trim(), from: account.state },
      { ref: account.id },
    ).then(
      () => {
        setBusy(false);
        setTo('');
        setReason('');
        onChanged();
      },
      (err: unknown) => {
        setBusy(false);
        const allowed =
          err instanceof ApiError && err.allowed ? ` Allowed now: ${err.allowed.map(label).join(', ')}.` : '';
        setError(new Error(`${(err as Error).message}${allowed}`));
      },
    );
  };
  return (
    <form class="stack" onSubmit={submit} aria-label="Change state">
      <label>
        New state
        <select
          name="state"
          required
          value={to}
          onChange={(e) => setTo(e.currentTarget.value as AccountState)}
        >
          <option value="" disabled>
            choose…
          </option>
          {options.map((s) => (
            <option key={s} value={s}>
              {label(s)}
            </option>
          ))}
        </select>
      </label>
      <label>
        Reason (kept in the event log)
        <textarea
          name="reason"
          required
          maxLength={1000}
          rows={2}
          value={reason}
          onInput={(e) => setReason(e.currentTarget.value)}
        />
      </label>
      <ErrorNote error={error} />
      <button type="submit" class="primary" disabled={busy || !to || reason.trim() === ''}>
        Change state
      </button>
    </form>
  );
}

function WarmingProgress({ account, phaseDays }: { account: Account; phaseDays: number[] }) {
  const total = phaseDays.reduce((a, b) => a + b, 0);
  const phase = statePhase(account.state);
  const warmed = account.state === 'active' || account.warmingDayCount >= total;
  const text =
    account.state === 'created'
      ? 'Not started: the first session starts phase 1'
      : phase !== null && phase < 4
        ? `${phaseDay(phase, account.warmingDayCount)} of ${total}`
        : warmed
          ? `${phaseDay(4, account.warmingDayCount)}: warmed up`
          : `${phaseDay(null, account.warmingDayCount)} of ${total}`;
  return (
    <div class="warming" data-testid="warming-progress">
      <Meter
        value={Math.min(account.warmingDayCount, total)}
        max={total}
        text={text}
        title="warming progress"
      />
      <ol class="phases">
        {phaseDays.map((days, i) => (
          <li key={i} class={phase === i + 1 ? 'current' : ''}>
            Phase {i + 1}: {days} days
          </li>
        ))}
      </ol>
    </div>
  );
}

function Timeline({ events }: { events: SystemEvent[] }) {
  if (events.length === 0) return <Empty>No state changes yet.</Empty>;
  return (
    <ol class="timeline" aria-label="State timeline">
      {events.map((e) => {
        const c = e.context as { from?: string; to?: string; reason?: string; actor?: string };
        return (
          <li key={e.id}>
            <span class="when" title={dateTime(e.timestamp)}>
              {timeAgo(e.timestamp)}
            </span>
            <span>
              {c.from && <Badge value={c.from} tone={toneOf(accountStateTone, c.from)} />} →{' '}
              {c.to && <Badge value={c.to} tone={toneOf(accountStateTone, c.to)} />}
            </span>
            <span class="reason">{c.reason ?? e.message}</span>
            {c.actor && <span class="muted small">by {c.actor}</span>}
          </li>
        );
      })}
    </ol>
  );
}

export function AccountPage({ id }: { id: string }) {
  const account = useData(() => get('/accounts/{ref}', { ref: id }), [id]);
  const canWrite = useCan('accounts.write');
  const canReveal = useCan('secrets.reveal');
  const niches = useNiches();
  const devices = useDevices();
  const history = useData(async () => {
    const [timeline, sessions, distributions, hourly, policy] = await Promise.all([
      get('/events', { account: id, type: 'state_changed', limit: 100 }),
      get('/warming/sessions', { account: id, limit: 20 }).catch(() => ({
        sessions: [],
      })),
      get('/distributions', { account: id, limit: 50 }).catch(() => ({
        distributions: [],
      })),
      get('/metrics/accounts/{ref}/hourly', { ref: id, days: 30 }).catch(() => ({
        hours: [],
      })),
      get('/warming/policy'),
    ]);
    const followers = hourly.hours.filter((h) => h.followers !== null);
    return {
      timeline: timeline.events,
      sessions: sessions.sessions,
      // By when each went out (one not posted yet by when it was planned), newest first.
      distributions: distributions.distributions.toSorted(
        (x, y) => Date.parse(y.postedAt ?? y.createdAt) - Date.parse(x.postedAt ?? x.createdAt),
      ),
      followers: {
        x: followers.map((h) => Date.parse(h.bucket) / 1000),
        values: followers.map((h) => h.followers),
      },
      // The phases' lengths in force on the server (SOVI_WARMING_POLICY_FILE or its defaults).
      phaseDays: [policy.warming_p1.days, policy.warming_p2.days, policy.warming_p3.days],
    };
  }, [id, account.data?.state, account.data?.updatedAt]);
  const a = account.data;
  const reload = () => {
    account.reload();
  };
  return (
    <div class="page">
      <p class="crumbs">
        <a href="/accounts">Accounts</a> /
      </p>
      <ErrorNote error={account.error ?? history.error} />
      <Loading when={account.loading && !a} />
      {a && (
        <>
          <h1>
            {a.username} <span class="muted">{a.platform}</span>{' '}
            <Badge value={a.state} tones={accountStateTone} />
          </h1>
          <p class="page-links">
            <a href={`/audit?target=${encodeURIComponent(a.id)}`}>history</a>
          </p>
          <div class="grid-2">
            <Section title="Account">
              <Facts
                items={[
                  ['State', <Badge value={a.state} tones={accountStateTone} />],
                  ['Niche', a.nicheSlug ? label(a.nicheSlug) : '–'],
                  ['Device', a.deviceId ? <a href={`/devices/${a.deviceId}`}>{a.deviceName}</a> : 'none'],
                  ['Followers', compact(a.followers)],
                  ['Following', compact(a.following)],
                  ['Last warmed', timeAgo(a.lastWarmedAt)],
                  ['Last post', timeAgo(a.lastPostAt)],
                  ['Added', dateTime(a.createdAt)],
                ]}
              />
              {a.deletedAt && (
                <p class="error" title={dateTime(a.deletedAt)}>
                  Deleted {timeAgo(a.deletedAt)}.
                </p>
              )}
            </Section>
            {canWrite && !a.deletedAt && (
              <Section title="Change state">
                <StateForm account={a} onChanged={reload} />
              </Section>
            )}
          </div>
          {(canWrite || canReveal) && (
            <div class="grid-2">
              {canWrite && !a.deletedAt && (
                <Section title="Edit">
                  <EditAccountForm account={a} niches={niches.data} devices={devices.data} onSaved={reload} />
                </Section>
              )}
              {canReveal && (
                <Section title="Secrets">
                  <RevealSecrets account={a} />
                </Section>
              )}
              {canWrite && (
                <Section title={a.deletedAt ? 'Restore' : 'Delete'}>
                  <DeleteRestore account={a} onChanged={reload} />
                </Section>
              )}
            </div>
          )}
          <Section title="Platform connection">
            <ConnectionPanel account={a} canConnect={canWrite} />
          </Section>
          <Section title="Warming progress">
            {history.data ? (
              <WarmingProgress account={a} phaseDays={history.data.phaseDays} />
            ) : (
              <Loading when={history.loading} />
            )}
          </Section>
          {history.data && (
            <>
              <div class="grid-2">
                <Section title="Followers">
                  <TimeChart
                    title="Followers over time"
                    x={history.data.followers.x}
                    series={[{ label: 'followers', values: history.data.followers.values, color: '#2f9e44' }]}
                    axes={{ x: 'time', y: 'total followers (count)' }}
                    empty="No follower counts in the last 30 days: they come with the metric snapshots of the account's posts."
                  />
                </Section>
                <Section title="State timeline">
                  <Timeline events={history.data.timeline} />
                </Section>
              </div>
              <Section title="Warming sessions">
                {history.data.sessions.length === 0 ? (
                  <Empty>
                    No warming sessions yet: the planner of a running worker schedules them when the account
                    is due.
                  </Empty>
                ) : (
                  <SessionsTable sessions={history.data.sessions} show="device" />
                )}
              </Section>
              <Section title="Distributions">
                <DistributionsTable
                  distributions={history.data.distributions}
                  show="content"
                  empty="No posts yet: finished content is distributed to active accounts of its niche."
                />
              </Section>
            </>
          )}
        </>
      )}
    </div>
  );
}
