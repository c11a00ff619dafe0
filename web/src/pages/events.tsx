// The event log: the unresolved inbox with filters, resolving with a note, and a live tail of new events
// (EventSource on /api/v1/events/stream, which resumes after Last-Event-ID by itself).
import { useEffect, useState } from 'preact/hooks';
import { get, post } from '../api.ts';
import { Badge, Empty, ErrorNote, Loading, MoreButton, Section } from '../components/ui.tsx';
import { severities } from '../domain.ts';
import { dateTime, label, timeAgo } from '../format.ts';
import { setQuery, useLocation } from '../router.ts';
import { severityTone } from '../tones.ts';
import type { SystemEvent } from '../types.ts';
import { usePaged } from '../use-data.ts';

function EventLinks({ event }: { event: SystemEvent }) {
  return (
    <span class="links">
      {event.deviceId && <a href={`/devices/${event.deviceId}`}>device</a>}
      {event.accountId && <a href={`/accounts/${event.accountId}`}>account</a>}
      {typeof event.context.contentId === 'string' && (
        <a href={`/content/${event.context.contentId}`}>content</a>
      )}
    </span>
  );
}

function ResolveForm({ event, onResolved }: { event: SystemEvent; onResolved: (e: SystemEvent) => void }) {
  const [note, setNote] = useState('');
  const [error, setError] = useState<Error | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = (e: Event) => {
    e.preventDefault();
    setBusy(true);
    post(
      '/events/{id}/resolve',
      { by: 'human', ...(note.trim() ? { note: note.trim() } : {}) },
      { id: event.id },
    ).then(onResolved, (err: unknown) => {
      setError(err as Error);
      setBusy(false);
    });
  };
  return (
    <form class="inline-form" onSubmit={submit} aria-label={`Resolve event ${event.id}`}>
      <input
        name="note"
        placeholder="What was done (optional)"
        value={note}
        maxLength={2000}
        onInput={(e) => setNote(e.currentTarget.value)}
      />
      <button type="submit" disabled={busy}>
        Resolve
      </button>
      <ErrorNote error={error} />
    </form>
  );
}

/** resolveEvent keeps {note, actor} in context.resolution. */
const resolutionOf = (e: SystemEvent) => (e.context.resolution ?? {}) as { note?: unknown; actor?: unknown };
const note = (e: SystemEvent) =>
  typeof resolutionOf(e).note === 'string' ? (resolutionOf(e).note as string) : '';
const resolution = (e: SystemEvent) => {
  const actor = resolutionOf(e).actor;
  return typeof actor === 'string' ? `${e.resolvedBy ?? ''} (${actor})` : (e.resolvedBy ?? '');
};

function EventRow({ event, onResolved }: { event: SystemEvent; onResolved?: (e: SystemEvent) => void }) {
  const [open, setOpen] = useState(false);
  return (
    <li class={`event sev-${event.severity}`} data-event-id={event.id}>
      <div class="event-head">
        <Badge value={event.severity} tones={severityTone} />
        <span class="event-type">{label(event.eventType)}</span>
        <span class="muted small" title={dateTime(event.timestamp)}>
          {event.category} · {timeAgo(event.timestamp)}
        </span>
        <EventLinks event={event} />
        <button type="button" class="link small" onClick={() => setOpen(!open)} aria-expanded={open}>
          {open ? 'less' : 'details'}
        </button>
      </div>
      <p class="event-message">{event.message}</p>
      {open && <pre class="context">{JSON.stringify(event.context, null, 2)}</pre>}
      {event.resolved ? (
        <p class="muted small">
          resolved by {resolution(event)} {timeAgo(event.resolvedAt)}
          {note(event) ? `: ${note(event)}` : ''}
        </p>
      ) : (
        onResolved && <ResolveForm event={event} onResolved={onResolved} />
      )}
    </li>
  );
}

function Inbox() {
  const { query } = useLocation();
  const severity = query.get('severity') ?? '';
  const category = query.get('category') ?? '';
  const type = query.get('type') ?? '';
  const all = query.get('all') === '1';
  const [resolved, setResolved] = useState<Record<number, SystemEvent>>({});
  const list = usePaged(
    (q) => get('/events', { ...q, limit: 50 }).then((p) => ({ items: p.events, nextCursor: p.nextCursor })),
    { unresolved: all ? undefined : true, severity, category, type },
  );
  const { data, error, loading, reload, hasMore, more } = list;
  const events = list.items.map((e) => resolved[e.id] ?? e);
  return (
    <Section
      title={all ? 'All events' : 'Unresolved'}
      actions={
        <button type="button" class="link" onClick={reload}>
          Refresh
        </button>
      }
    >
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Severity
          <select
            name="severity"
            value={severity}
            onChange={(e) => setQuery({ severity: e.currentTarget.value })}
          >
            <option value="">any</option>
            {severities.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Category
          <input
            name="category"
            value={category}
            placeholder="device, account…"
            onChange={(e) => setQuery({ category: e.currentTarget.value.trim() })}
          />
        </label>
        <label>
          Type
          <input
            name="type"
            value={type}
            placeholder="battery_low…"
            onChange={(e) => setQuery({ type: e.currentTarget.value.trim() })}
          />
        </label>
        <label class="check">
          <input
            type="checkbox"
            checked={all}
            onChange={(e) => setQuery({ all: e.currentTarget.checked ? '1' : undefined })}
          />
          resolved too
        </label>
      </form>
      <ErrorNote error={error} />
      <Loading when={loading && !data} />
      {data && events.length === 0 && (
        <Empty>
          {all
            ? 'No events match.'
            : 'Nothing needs attention: every event matching these filters is resolved.'}
        </Empty>
      )}
      <ul class="events" aria-label="Event inbox">
        {events.map((e) => (
          <EventRow key={e.id} event={e} onResolved={(r) => setResolved((m) => ({ ...m, [r.id]: r }))} />
        ))}
      </ul>
      <MoreButton hasMore={hasMore} onMore={more} />
    </Section>
  );
}

type TailState = 'connecting' | 'live' | 'reconnecting';

function LiveTail() {
  const [events, setEvents] = useState<SystemEvent[]>([]);
  const [state, setState] = useState<TailState>('connecting');
  useEffect(() => {
    const source = new EventSource('/api/v1/events/stream');
    source.onopen = () => setState('live');
    source.onerror = () => setState('reconnecting');
    source.onmessage = (message: MessageEvent<string>) => {
      const event = JSON.parse(message.data) as SystemEvent;
      setEvents((list) => [event, ...list].slice(0, 100));
    };
    return () => source.close();
  }, []);
  return (
    <Section
      title="Live tail"
      id="live-tail"
      actions={
        <span class={`live live-${state}`} data-state={state}>
          {state === 'live' ? '● live' : state}
        </span>
      }
    >
      {events.length === 0 ? (
        <Empty>New events appear here as they are recorded.</Empty>
      ) : (
        <ul class="events compact" aria-label="Live events">
          {events.map((e) => (
            <EventRow key={e.id} event={e} />
          ))}
        </ul>
      )}
    </Section>
  );
}

export function Events() {
  return (
    <div class="page">
      <h1>Events</h1>
      <div class="grid-events">
        <Inbox />
        <LiveTail />
      </div>
    </div>
  );
}
