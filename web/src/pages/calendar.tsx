// The content calendar: every post by its time (its slot, or when it went out) in a week or a month, in this
// browser's time zone, filtered by niche, account and platform (all kept in the URL). Choosing a post shows
// it with what can still be done: reschedule it to another slot, cancel it, edit its caption before it goes
// out, or retry a failed one for its account only. Those controls show to roles with content.write.
import { useState } from 'preact/hooks';
import { get, patch, post } from '../api.ts';
import { ConfirmButton } from '../components/forms.tsx';
import { Badge, Empty, ErrorNote, Facts, Loading, Section } from '../components/ui.tsx';
import { platforms, type Platform } from '../domain.ts';
import { dateTime, label } from '../format.ts';
import { useCan } from '../permissions.tsx';
import { setQuery, useLocation } from '../router.ts';
import { FilterSelect } from '../components/filter-select.tsx';
import { platformFacts } from '../components/platform-progress.tsx';
import { calendarStateTone } from '../tones.ts';
import type { Ok } from '../types.ts';
import { useData } from '../use-data.ts';
import { useNiches } from './accounts.tsx';

type Entry = Ok<'/calendar'>['entries'][number];

/** A local calendar day as YYYY-MM-DD (the URL's start), and back to local midnight. */
const dayKey = (d: Date) =>
  `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
/** Local midnight of a YYYY-MM-DD day; today for anything else (a hand-edited URL). */
const midnight = (key: string) => {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(key);
  const now = new Date();
  return match
    ? new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]))
    : new Date(now.getFullYear(), now.getMonth(), now.getDate());
};
const addDays = (d: Date, n: number) => new Date(d.getFullYear(), d.getMonth(), d.getDate() + n);
/** The Monday on or before a day: weeks start on Monday. */
const mondayOf = (d: Date) => addDays(d, -((d.getDay() + 6) % 7));

/** The days a view shows: a week from its Monday, or the six weeks that hold a month. */
function span(view: 'week' | 'month', start: Date): { first: Date; days: number; title: string } {
  if (view === 'week') {
    const first = mondayOf(start);
    return {
      first,
      days: 7,
      title: `Week of ${first.toLocaleDateString(undefined, { day: 'numeric', month: 'long', year: 'numeric' })}`,
    };
  }
  const month = new Date(start.getFullYear(), start.getMonth(), 1);
  return {
    first: mondayOf(month),
    days: 42,
    title: month.toLocaleDateString(undefined, { month: 'long', year: 'numeric' }),
  };
}

const clock = (iso: string) =>
  new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
/** A datetime-local input's value for an instant, in this browser's time zone. */
const localInput = (iso: string) => {
  const d = new Date(iso);
  return `${dayKey(d)}T${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
};

function EntryButton({
  entry,
  selected,
  onSelect,
}: {
  entry: Entry;
  selected: boolean;
  onSelect: () => void;
}) {
  return (
    <li>
      <button
        type="button"
        class={`cal-entry tone-${calendarStateTone[entry.state]}`}
        aria-pressed={selected}
        data-post={entry.id}
        title={`${entry.topic} · ${label(entry.state)}`}
        aria-label={`${clock(entry.at)} ${entry.platform}:${entry.username}, ${label(entry.state)}: ${entry.topic}`}
        onClick={onSelect}
      >
        <span class="cal-time">{clock(entry.at)}</span> {entry.platform}:{entry.username}
      </button>
    </li>
  );
}

function PostActions({ entry, onDone }: { entry: Entry; onDone: (message: string) => void }) {
  const mayWrite = useCan('content.write');
  const [at, setAt] = useState(entry.scheduledAt ? localInput(entry.scheduledAt) : '');
  const [force, setForce] = useState(false);
  const [caption, setCaption] = useState(entry.caption ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>();
  if (!mayWrite) return null;
  const run = (request: () => Promise<unknown>, message: string) => {
    setBusy(true);
    setError(undefined);
    request().then(
      () => onDone(message),
      (err: unknown) => {
        setBusy(false);
        setError(err as Error);
      },
    );
  };
  const open = entry.state === 'scheduled' || entry.state === 'awaiting_review';
  return (
    <>
      {open && (
        <>
          <form
            class="inline-form"
            aria-label="Reschedule"
            onSubmit={(e) => {
              e.preventDefault();
              run(
                () =>
                  post(
                    '/distributions/{id}/reschedule',
                    { at: new Date(at).toISOString(), ...(force ? { force: true } : {}) },
                    { id: entry.id },
                  ),
                `Moved to ${dateTime(new Date(at).toISOString())}.`,
              );
            }}
          >
            <label>
              New slot
              <input
                type="datetime-local"
                name="at"
                required
                value={at}
                onInput={(e) => setAt(e.currentTarget.value)}
              />
            </label>
            <label class="check">
              <input
                type="checkbox"
                name="force"
                checked={force}
                onChange={(e) => setForce(e.currentTarget.checked)}
              />
              outside the windows
            </label>
            <button type="submit" disabled={busy || !at}>
              Reschedule
            </button>
          </form>
          <form
            class="inline-form"
            aria-label="Edit caption"
            onSubmit={(e) => {
              e.preventDefault();
              run(() => patch('/distributions/{id}', { caption }, { id: entry.id }), 'Caption saved.');
            }}
          >
            <textarea
              name="caption"
              aria-label="Caption"
              rows={2}
              value={caption}
              onInput={(e) => setCaption(e.currentTarget.value)}
            />
            <button type="submit" disabled={busy}>
              Save caption
            </button>
          </form>
          <ConfirmButton
            label="Cancel post"
            warning="It will never be published to this account."
            busy={busy}
            onConfirm={() =>
              run(() => post('/distributions/{id}/cancel', {}, { id: entry.id }), 'Post cancelled.')
            }
          />
        </>
      )}
      {entry.state === 'failed' && (
        <button
          type="button"
          class="primary"
          disabled={busy}
          onClick={() =>
            run(
              () => post('/distributions/{id}/retry', {}, { id: entry.id }),
              `Retrying for ${entry.platform}:${entry.username} only.`,
            )
          }
        >
          Retry for this account
        </button>
      )}
      <ErrorNote error={error} />
    </>
  );
}

function PostDetails({ entry, onDone }: { entry: Entry; onDone: (message: string) => void }) {
  return (
    <Section title="Post">
      <Facts
        items={[
          ['Content', <a href={`/content/${entry.contentId}`}>{entry.topic}</a>],
          [
            'Account',
            <a href={`/accounts/${entry.accountId}`}>
              {entry.platform}:{entry.username}
            </a>,
          ],
          ['State', <Badge value={entry.state} tones={calendarStateTone} />],
          ['Slot', entry.scheduledAt ? dateTime(entry.scheduledAt) : '–'],
          ['Posted', entry.postedAt ? dateTime(entry.postedAt) : '–'],
          ['Caption', entry.caption ?? '–'],
          ['Attempts', String(entry.attempts)],
          ...platformFacts(entry.processing),
        ]}
      />
      <PostActions key={entry.id} entry={entry} onDone={onDone} />
    </Section>
  );
}

export function Calendar() {
  const { query } = useLocation();
  const view = query.get('view') === 'month' ? 'month' : 'week';
  const start = midnight(query.get('start') ?? dayKey(new Date()));
  const { first, days, title } = span(view, start);
  const niche = query.get('niche') ?? '';
  const account = query.get('account') ?? '';
  const platform = query.get('platform') ?? '';
  const niches = useNiches();
  const from = first.toISOString();
  const to = addDays(first, days).toISOString();
  const { data, error, loading, reload } = useData(
    () =>
      get('/calendar', {
        from,
        to,
        niche: niche || undefined,
        account: account || undefined,
        platform: (platform || undefined) as Platform | undefined,
      }),
    [from, to, niche, account, platform],
    30_000,
  );
  const [selected, setSelected] = useState<string | null>(null);
  const [message, setMessage] = useState('');
  const byDay = new Map<string, Entry[]>();
  for (const e of data?.entries ?? []) {
    const key = dayKey(new Date(e.at));
    byDay.set(key, [...(byDay.get(key) ?? []), e]);
  }
  const chosen = data?.entries.find((e) => e.id === selected);
  const move = (n: number) =>
    setQuery({
      start: dayKey(
        view === 'week' ? addDays(first, 7 * n) : new Date(start.getFullYear(), start.getMonth() + n, 1),
      ),
    });
  const today = dayKey(new Date());
  const month = start.getMonth();

  return (
    <div class="page">
      <h1>Calendar</h1>
      <form class="filters" aria-label="Calendar filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          View
          <select name="view" value={view} onChange={(e) => setQuery({ view: e.currentTarget.value })}>
            <option value="week">week</option>
            <option value="month">month</option>
          </select>
        </label>
        <FilterSelect
          label="Niche"
          name="niche"
          value={niche}
          any="every niche"
          options={niches.data?.map((n) => [n.slug, n.name] as const)}
        />
        <FilterSelect
          label="Platform"
          name="platform"
          value={platform}
          any="every platform"
          options={platforms.map((p) => [p, p] as const)}
        />
        <label>
          Account
          <input
            name="account"
            placeholder="platform:username"
            value={account}
            onChange={(e) => setQuery({ account: e.currentTarget.value.trim() || undefined })}
          />
        </label>
      </form>
      <div class="cal-nav">
        <button type="button" onClick={() => move(-1)} aria-label={`Previous ${view}`}>
          ←
        </button>
        <h2>{title}</h2>
        <button type="button" onClick={() => move(1)} aria-label={`Next ${view}`}>
          →
        </button>
        <button type="button" onClick={() => setQuery({ start: undefined })}>
          Today
        </button>
        <span class="muted small">times in {Intl.DateTimeFormat().resolvedOptions().timeZone}</span>
      </div>
      {message && (
        <p class="note" role="status">
          {message}
        </p>
      )}
      <ErrorNote error={error} />
      <Loading when={loading && !data} />
      {data?.truncated && (
        <p class="note">More posts fall in this span than are shown: narrow the filters.</p>
      )}
      <div class={`calendar calendar-${view}`} aria-label={title} role="grid">
        {Array.from({ length: days }, (_, i) => {
          const day = addDays(first, i);
          const key = dayKey(day);
          const entries = byDay.get(key) ?? [];
          return (
            <section
              key={key}
              class={`cal-day${key === today ? ' today' : ''}${view === 'month' && day.getMonth() !== month ? ' other-month' : ''}`}
              data-day={key}
              aria-label={day.toLocaleDateString(undefined, {
                weekday: 'long',
                day: 'numeric',
                month: 'long',
              })}
            >
              <h3>
                {day.toLocaleDateString(undefined, { weekday: 'short' })} {day.getDate()}
              </h3>
              {entries.length > 0 && (
                <ul>
                  {entries.map((e) => (
                    <EntryButton
                      key={e.id}
                      entry={e}
                      selected={e.id === selected}
                      onSelect={() => setSelected(e.id === selected ? null : e.id)}
                    />
                  ))}
                </ul>
              )}
            </section>
          );
        })}
      </div>
      {data && data.entries.length === 0 && <Empty>No posts in this {view}.</Empty>}
      {chosen && (
        <PostDetails
          entry={chosen}
          onDone={(text) => {
            setMessage(text);
            reload();
          }}
        />
      )}
    </div>
  );
}
