// The content library: every piece of content, searchable (topic, title, narration), filtered by niche,
// status, format and creation date, sorted, in keyset pages; archived content on request. The filters live
// in the URL (/content?view=library&status=complete…), so the board's "and N more" links straight here.
import { useState } from 'preact/hooks';
import { get, post } from '../api.ts';
import { Collapse, Empty, ErrorNote, Loading, MoreButton, Section } from '../components/ui.tsx';
import { productionStatuses } from '../domain.ts';
import { dateTime, label, percent, timeAgo } from '../format.ts';
import { useCan } from '../permissions.tsx';
import { setQuery, useLocation } from '../router.ts';
import { FilterSelect } from '../components/filter-select.tsx';
import { ContentStatus } from '../components/content-status.tsx';
import type { Content } from '../types.ts';
import { useData, usePaged } from '../use-data.ts';
import { useNiches } from './accounts.tsx';

/** The formats content can be made in: the server's content policy. */
export const useFormats = () =>
  useData(() => get('/content/formats').then((r) => r.formats.map((f) => f.name)), []);

const sorts = {
  newest: { sort: 'created', order: 'desc', text: 'newest first' },
  oldest: { sort: 'created', order: 'asc', text: 'oldest first' },
  updated: { sort: 'updated', order: 'desc', text: 'recently changed' },
  az: { sort: 'topic', order: 'asc', text: 'topic A–Z' },
  za: { sort: 'topic', order: 'desc', text: 'topic Z–A' },
} as const;
type SortKey = keyof typeof sorts;

/** A date input's day as the start of that UTC day; `until` is inclusive, so it ends at the next day's start. */
const dayStart = (day: string, plusDays = 0): string | undefined => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + plusDays);
  return d.toISOString();
};

export function ArchiveButton({ content, onDone }: { content: Content; onDone: (c: Content) => void }) {
  const [error, setError] = useState<Error | undefined>();
  const [busy, setBusy] = useState(false);
  const archived = content.archivedAt !== null;
  if (!archived && content.status !== 'complete' && content.status !== 'failed') return null;
  const act = () => {
    setBusy(true);
    setError(undefined);
    post(archived ? '/content/{id}/restore' : '/content/{id}/archive', {}, { id: content.id }).then(
      (c) => {
        setBusy(false);
        onDone(c);
      },
      (err: unknown) => {
        setBusy(false);
        setError(err as Error);
      },
    );
  };
  return (
    <>
      <button type="button" class="small" disabled={busy} onClick={act}>
        {archived ? 'Restore' : 'Archive'}
      </button>
      <ErrorNote error={error} />
    </>
  );
}

export function ContentLibrary() {
  const { query } = useLocation();
  const mayWrite = useCan('content.write');
  const niches = useNiches();
  const formats = useFormats();
  const q = query.get('q') ?? '';
  const niche = query.get('niche') ?? '';
  const status = query.get('status') ?? '';
  const format = query.get('format') ?? '';
  const since = query.get('since') ?? '';
  const until = query.get('until') ?? '';
  const archived = query.get('archived') === '1';
  const asked = query.get('sort') ?? 'newest';
  const sortKey: SortKey = asked in sorts ? (asked as SortKey) : 'newest';
  const [changed, setChanged] = useState<Record<string, Content>>({});
  const [search, setSearch] = useState(q);
  const list = usePaged(
    (p) => get('/content', { ...p, limit: 50 }).then((r) => ({ items: r.content, nextCursor: r.nextCursor })),
    {
      q,
      niche,
      status,
      format,
      since: dayStart(since),
      until: dayStart(until, 1),
      archived: archived ? true : undefined,
      sort: sorts[sortKey].sort,
      order: sorts[sortKey].order,
    },
  );
  const { data, error, loading, hasMore, more } = list;
  // A piece archived or restored here leaves this view; it stays listed, marked, until the next load.
  const items = list.items.map((c) => changed[c.id] ?? c);
  return (
    <Section title={archived ? 'Archived content' : 'Library'} id="library">
      <form
        class="filters"
        aria-label="Library filters"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery({ q: search.trim() });
        }}
      >
        <label>
          Search
          <input
            name="q"
            type="search"
            value={search}
            placeholder="topic, title or narration"
            maxLength={200}
            onInput={(e) => setSearch(e.currentTarget.value)}
            onChange={(e) => setQuery({ q: e.currentTarget.value.trim() })}
          />
        </label>
        <FilterSelect
          label="Niche"
          name="niche"
          value={niche}
          any="any"
          options={niches.data?.map((n) => [n.slug, n.name] as const)}
        />
        <FilterSelect
          label="Status"
          name="status"
          value={status}
          any="any"
          options={productionStatuses.map((s) => [s, label(s)] as const)}
        />
        <FilterSelect
          label="Format"
          name="format"
          value={format}
          any="any"
          options={formats.data?.map((f) => [f, label(f)] as const)}
        />
        <label>
          Created from
          <input
            name="since"
            type="date"
            value={since}
            onChange={(e) => setQuery({ since: e.currentTarget.value })}
          />
        </label>
        <label>
          to
          <input
            name="until"
            type="date"
            value={until}
            onChange={(e) => setQuery({ until: e.currentTarget.value })}
          />
        </label>
        <label>
          Sort
          <select
            name="sort"
            value={sortKey}
            onChange={(e) =>
              setQuery({ sort: e.currentTarget.value === 'newest' ? undefined : e.currentTarget.value })
            }
          >
            {Object.entries(sorts).map(([key, s]) => (
              <option key={key} value={key}>
                {s.text}
              </option>
            ))}
          </select>
        </label>
        <label class="check">
          <input
            type="checkbox"
            name="archived"
            checked={archived}
            onChange={(e) => setQuery({ archived: e.currentTarget.checked ? '1' : undefined })}
          />
          archived
        </label>
      </form>
      <ErrorNote error={error} />
      <Loading when={loading && !data} />
      {data && items.length === 0 && (
        <Empty>{archived ? 'No archived content matches.' : 'No content matches these filters.'}</Empty>
      )}
      {items.length > 0 && (
        <Collapse count={items.length}>
          <div class="table-wrap">
            <table class="table" aria-label="Content library">
              <thead>
                <tr>
                  <th>Topic</th>
                  <th>Status</th>
                  <th>Niche</th>
                  <th>Format</th>
                  <th class="num">Quality</th>
                  <th>Created</th>
                  {mayWrite && <th>Archive</th>}
                </tr>
              </thead>
              <tbody>
                {items.map((c) => (
                  <tr key={c.id} data-content-id={c.id} class={c.archivedAt ? 'inactive' : undefined}>
                    <td>
                      <a href={`/content/${c.id}`}>{c.topic}</a>
                      {c.archivedAt && <span class="muted small"> · archived</span>}
                    </td>
                    <td>
                      <ContentStatus content={c} />
                    </td>
                    <td>{c.nicheSlug ? label(c.nicheSlug) : '–'}</td>
                    <td>{c.format ? label(c.format) : '–'}</td>
                    <td class="num">{c.qualityScore === null ? '–' : percent(c.qualityScore, 0)}</td>
                    <td title={dateTime(c.createdAt)}>{timeAgo(c.createdAt)}</td>
                    {mayWrite && (
                      <td>
                        <ArchiveButton
                          content={c}
                          onDone={(next) => setChanged((m) => ({ ...m, [next.id]: next }))}
                        />
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Collapse>
      )}
      <MoreButton hasMore={hasMore} onMore={more} />
    </Section>
  );
}
