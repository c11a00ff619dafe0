// The audit trail: who changed what, and what it was before. Filters live in the URL (the device and
// account pages link here with ?target=<id>); each record lists its changed fields before → after, and a
// secret field only as "changed".
import { useEffect, useState } from 'preact/hooks';
import { get } from '../api.ts';
import { Empty, ErrorNote, Loading, MoreButton, Section } from '../components/ui.tsx';
import { dateTime, timeAgo } from '../format.ts';
import { setQuery, useLocation } from '../router.ts';
import type { AuditEntry } from '../types.ts';
import { usePaged } from '../use-data.ts';

const periods: [string, string][] = [
  ['', 'any time'],
  ['1h', 'last hour'],
  ['24h', 'last 24 hours'],
  ['7d', 'last 7 days'],
  ['30d', 'last 30 days'],
];

/** Where a record's target lives in the dashboard, when it has a page. */
const pageOf: Partial<Record<AuditEntry['targetType'], string>> = {
  device: '/devices',
  account: '/accounts',
  content: '/content',
};

const shown = (value: unknown): string =>
  value === null || value === undefined ? '–' : typeof value === 'string' ? value : JSON.stringify(value);

function Changes({ changes }: { changes: AuditEntry['changes'] }) {
  const fields = Object.entries(changes);
  if (fields.length === 0) return null;
  return (
    <ul class="audit-changes">
      {fields.map(([field, change]) => (
        <li key={field} data-field={field}>
          <span class="audit-field">{field}</span>
          {change === 'changed' ? (
            <span class="muted">changed (secret, not shown)</span>
          ) : (
            <>
              <span class="audit-before">{shown(change.before)}</span>
              <span class="muted" aria-label="became">
                →
              </span>
              <span class="audit-after">{shown(change.after)}</span>
            </>
          )}
        </li>
      ))}
    </ul>
  );
}

function Entry({ entry }: { entry: AuditEntry }) {
  const page = pageOf[entry.targetType];
  return (
    <li class="event audit-entry" data-audit-id={entry.id}>
      <div class="event-head">
        <span class="event-type">{entry.action}</span>
        <span>
          {entry.targetType}{' '}
          {page && entry.action !== 'device.remove' ? (
            <a href={`${page}/${entry.targetId}`}>{entry.targetLabel}</a>
          ) : (
            <strong>{entry.targetLabel}</strong>
          )}
        </span>
        <span class="muted small" title={dateTime(entry.at)}>
          by {entry.actor} · {timeAgo(entry.at)}
        </span>
      </div>
      {entry.note && <p class="muted small">{entry.note}</p>}
      <Changes changes={entry.changes} />
    </li>
  );
}

/**
 * A text filter kept in the URL when committed (Enter or leaving the field). What is typed lives in local
 * state until then: a re-render while the list loads must not put the URL's value back over it.
 */
function FilterText({ name, value, placeholder }: { name: string; value: string; placeholder: string }) {
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  return (
    <input
      name={name}
      value={draft}
      placeholder={placeholder}
      onInput={(e) => setDraft(e.currentTarget.value)}
      onChange={(e) => setQuery({ [name]: e.currentTarget.value.trim() })}
    />
  );
}

export function Audit() {
  const { query } = useLocation();
  const actor = query.get('actor') ?? '';
  const target = query.get('target') ?? '';
  const action = query.get('action') ?? '';
  const since = query.get('since') ?? '';
  const list = usePaged(
    (q) => get('/audit', { ...q, limit: 50 }).then((p) => ({ items: p.entries, nextCursor: p.nextCursor })),
    { actor, target, action, since },
  );
  const { data, error, loading, reload, hasMore, more, items } = list;
  const text = (name: string, value: string, placeholder: string) => (
    <FilterText name={name} value={value} placeholder={placeholder} />
  );
  return (
    <div class="page">
      <h1>Audit trail</h1>
      <Section
        title="Changes, newest first"
        actions={
          <button type="button" class="link" onClick={reload}>
            Refresh
          </button>
        }
      >
        <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Audit filters">
          <label>
            Target
            {text('target', target, 'device name, tiktok:user, niche…')}
          </label>
          <label>
            Actor
            {text('actor', actor, 'token:ci, user:ana…')}
          </label>
          <label>
            Action
            {text('action', action, 'device.update…')}
          </label>
          <label>
            When
            <select name="since" value={since} onChange={(e) => setQuery({ since: e.currentTarget.value })}>
              {periods.map(([value, name]) => (
                <option key={value} value={value}>
                  {name}
                </option>
              ))}
            </select>
          </label>
        </form>
        <ErrorNote error={error} />
        <Loading when={loading && !data} />
        {data && items.length === 0 && <Empty>No changes match these filters.</Empty>}
        <ul class="events audit" aria-label="Audit trail">
          {items.map((e) => (
            <Entry key={e.id} entry={e} />
          ))}
        </ul>
        <MoreButton hasMore={hasMore} onMore={more} />
      </Section>
    </div>
  );
}
