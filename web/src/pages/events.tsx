// The event log: the unresolved inbox with filters (category and type as choices from what is present),
// resolving one or many selected events with a note, and a live tail of new events (EventSource on
// /api/v1/events/stream, which resumes after Last-Event-ID by itself). Resolving shows only to roles with
// events.resolve.
import { useEffect, useState } from 'preact/hooks';
import { get, post } from '../api.ts';
import { Badge, Collapse, Empty, ErrorNote, Loading, MoreButton, Section } from '../components/ui.tsx';
import { can, runbookFor, severities } from '../domain.ts';
import { dateTime, label, timeAgo } from '../format.ts';
import { useCan, useRole } from '../permissions.tsx';
import { setQuery, useLocation } from '../router.ts';
import { FilterSelect } from '../components/filter-select.tsx';
import { severityTone } from '../tones.ts';
import type { Ok, SystemEvent } from '../types.ts';
import { useData, usePaged } from '../use-data.ts';

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

/** Resolves the selected events at once, with one note. */
function BulkResolve({
  ids,
  onResolved,
  onClear,
}: {
  ids: number[];
  onResolved: (events: SystemEvent[], skipped: number) => void;
  onClear: () => void;
}) {
  const [note, setNote] = useState('');
  const [error, setError] = useState<Error | undefined>();
  const [busy, setBusy] = useState(false);
  if (ids.length === 0) return null;
  const submit = (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    post('/events/resolve', { ids, by: 'human', ...(note.trim() ? { note: note.trim() } : {}) }).then(
      (r) => {
        setBusy(false);
        setNote('');
        onResolved(r.resolved, r.alreadyResolved.length + r.notFound.length);
      },
      (err: unknown) => {
        setBusy(false);
        setError(err as Error);
      },
    );
  };
  return (
    <form class="inline-form bulk" onSubmit={submit} aria-label="Resolve selected events">
      <input
        name="bulk-note"
        placeholder="What was done (optional)"
        value={note}
        maxLength={2000}
        onInput={(e) => setNote(e.currentTarget.value)}
      />
      <button type="submit" class="primary" disabled={busy}>
        Resolve {ids.length} selected
      </button>
      <button type="button" class="link" onClick={onClear}>
        clear
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

/** What the event means and what usually fixes it: the runbook agents read too (src/events/runbooks.ts). */
function RunbookNote({ eventType }: { eventType: string }) {
  const book = runbookFor(eventType);
  return (
    <div class="runbook" aria-label="Runbook">
      <p class="small">{book.meaning}</p>
      <ol class="small">
        {book.fixes.map((fix) => (
          <li key={fix}>{fix}</li>
        ))}
      </ol>
      <p class="muted small">Agent tools: {book.tools.join(', ')}</p>
    </div>
  );
}

type Triage = Ok<'/events/{id}/triage'>['triage'][number];

/** A proposal waiting for a decision: accept (its actions run as you, then the event is resolved) or reject. */
function ProposalDecision({
  triage,
  mayAccept,
  onDecided,
}: {
  triage: Triage;
  /** False when the signed-in role may not run every proposed action (the server would refuse). */
  mayAccept: boolean;
  onDecided: () => void;
}) {
  const [error, setError] = useState<Error | undefined>();
  const [busy, setBusy] = useState(false);
  const decide = (verdict: 'accept' | 'reject') => {
    setBusy(true);
    const path = verdict === 'accept' ? '/events/proposals/{id}/accept' : '/events/proposals/{id}/reject';
    post(path, {}, { id: triage.id }).then(onDecided, (err: unknown) => {
      setError(err as Error);
      setBusy(false);
    });
  };
  return (
    <div class="inline-form" aria-label={`Proposal ${triage.id}`}>
      {mayAccept ? (
        <button type="button" disabled={busy} onClick={() => decide('accept')}>
          Accept proposal
        </button>
      ) : (
        <span class="muted">Accepting needs a role allowed to run every proposed action.</span>
      )}
      <button type="button" class="link" disabled={busy} onClick={() => decide('reject')}>
        Reject
      </button>
      <ErrorNote error={error} />
    </div>
  );
}

/** The triage agent's work on the event: its summary, each tool call, and what it proposes. */
function AgentTriage({ event, onResolved }: { event: SystemEvent; onResolved?: (e: SystemEvent) => void }) {
  const canDecide = useCan('events.resolve');
  const role = useRole();
  const { data, reload } = useData(() => get('/events/{id}/triage', { id: event.id }), [event.id]);
  const attempts = data?.triage ?? [];
  if (attempts.length === 0) return null;
  const decided = () => {
    reload();
    if (onResolved) void get('/events/{id}', { id: event.id }).then(onResolved);
  };
  return (
    <div class="agent-triage" aria-label="Agent triage">
      {attempts.map((triage) => (
        <div key={triage.id} class="small">
          <p>
            <strong>{triage.agent}</strong> ·{' '}
            {triage.status === 'working' ? 'working on it' : triage.mode === 'act' ? 'acted' : 'proposed'} ·{' '}
            <span class="muted">{triage.status}</span>
            {triage.decidedBy ? ` by ${triage.decidedBy}` : ''}
          </p>
          {triage.summary && <p class="agent-summary">{triage.summary}</p>}
          {triage.toolCalls.length > 0 && (
            <ol class="agent-calls">
              {triage.toolCalls.map((call, i) => (
                <li key={i}>
                  <code>
                    {call.name}({JSON.stringify(call.arguments)})
                  </code>{' '}
                  <span class="muted">{call.ok ? 'ok' : call.result.slice(0, 200)}</span>
                </li>
              ))}
            </ol>
          )}
          {triage.status === 'proposed' && canDecide && (
            <ProposalDecision
              triage={triage}
              mayAccept={triage.proposedActions.every((a) => a.action !== null && can(role, a.action))}
              onDecided={decided}
            />
          )}
        </div>
      ))}
    </div>
  );
}

function EventRow({
  event,
  onResolved,
  selected,
  onSelect,
}: {
  event: SystemEvent;
  onResolved?: (e: SystemEvent) => void;
  selected?: boolean;
  onSelect?: (selected: boolean) => void;
}) {
  const [open, setOpen] = useState(false);
  return (
    <li class={`event sev-${event.severity}`} data-event-id={event.id}>
      <div class="event-head">
        {onSelect && !event.resolved && (
          <input
            type="checkbox"
            name="select"
            checked={selected}
            aria-label={`Select event ${event.id}`}
            onChange={(e) => onSelect(e.currentTarget.checked)}
          />
        )}
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
      {open && <RunbookNote eventType={event.eventType} />}
      {open && <AgentTriage event={event} onResolved={onResolved} />}
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
  const mayResolve = useCan('events.resolve');
  const severity = query.get('severity') ?? '';
  const category = query.get('category') ?? '';
  const type = query.get('type') ?? '';
  const all = query.get('all') === '1';
  const vocabulary = useData(() => get('/events/types'), []);
  const [resolved, setResolved] = useState<Record<number, SystemEvent>>({});
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [notice, setNotice] = useState('');
  const list = usePaged(
    (q) => get('/events', { ...q, limit: 50 }).then((p) => ({ items: p.events, nextCursor: p.nextCursor })),
    { unresolved: all ? undefined : true, severity, category, type },
  );
  const { data, error, loading, reload, hasMore, more } = list;
  const events = list.items.map((e) => resolved[e.id] ?? e);
  const open = events.filter((e) => !e.resolved);
  const chosen = open.filter((e) => selected.has(e.id)).map((e) => e.id);
  const markResolved = (done: SystemEvent[]) =>
    setResolved((m) => ({ ...m, ...Object.fromEntries(done.map((e) => [e.id, e])) }));
  const types = (vocabulary.data?.types ?? []).filter((t) => !category || t.category === category);
  const select = (id: number, on: boolean) =>
    setSelected((s) => {
      const next = new Set(s);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
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
        <FilterSelect
          label="Severity"
          name="severity"
          value={severity}
          any="any"
          options={severities.map((s) => [s, s] as const)}
        />
        <label>
          Category
          <select
            name="category"
            value={category}
            onChange={(e) => setQuery({ category: e.currentTarget.value, type: undefined })}
          >
            <option value="">any</option>
            {(vocabulary.data?.categories ?? (category ? [category] : [])).map((c) => (
              <option key={c} value={c}>
                {label(c)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Type
          <select name="type" value={type} onChange={(e) => setQuery({ type: e.currentTarget.value })}>
            <option value="">any</option>
            {(types.length || !type ? types.map((t) => t.type) : [type]).map((t) => (
              <option key={t} value={t}>
                {label(t)}
              </option>
            ))}
          </select>
        </label>
        <label class="check">
          <input
            type="checkbox"
            checked={all}
            onChange={(e) => setQuery({ all: e.currentTarget.checked ? '1' : undefined })}
          />
          resolved too
        </label>
        {mayResolve && open.length > 0 && (
          <label class="check">
            <input
              type="checkbox"
              name="select-all"
              checked={chosen.length === open.length}
              onChange={(e) =>
                setSelected(e.currentTarget.checked ? new Set(open.map((ev) => ev.id)) : new Set())
              }
            />
            select all shown
          </label>
        )}
      </form>
      {mayResolve && (
        <BulkResolve
          ids={chosen}
          onClear={() => setSelected(new Set())}
          onResolved={(done, skipped) => {
            markResolved(done);
            setSelected(new Set());
            setNotice(
              `Resolved ${done.length} event${done.length === 1 ? '' : 's'}` +
                (skipped ? `; ${skipped} had been resolved already or are gone.` : '.'),
            );
          }}
        />
      )}
      {notice && (
        <p class="muted small" role="status">
          {notice}
        </p>
      )}
      <ErrorNote error={error} />
      <Loading when={loading && !data} />
      {data && events.length === 0 && (
        <Empty>
          {all
            ? 'No events match.'
            : 'Nothing needs attention: every event matching these filters is resolved.'}
        </Empty>
      )}
      <Collapse count={events.length}>
        <ul class="events" aria-label="Event inbox">
          {events.map((e) => (
            <EventRow
              key={e.id}
              event={e}
              onResolved={mayResolve ? (r) => markResolved([r]) : undefined}
              selected={selected.has(e.id)}
              onSelect={mayResolve ? (on) => select(e.id, on) : undefined}
            />
          ))}
        </ul>
      </Collapse>
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
