// Trending topics, best first, and making content from one.
import { useState } from 'preact/hooks';
import { get, post } from '../api.ts';
import { Cmd, Empty, ErrorNote, Loading, Meter, MoreButton } from '../components/ui.tsx';
import { compact, dateTime, label, num, timeAgo } from '../format.ts';
import { useCan } from '../permissions.tsx';
import { setQuery, useLocation } from '../router.ts';
import { FilterSelect } from '../components/filter-select.tsx';
import type { Content, Trend } from '../types.ts';
import { usePaged } from '../use-data.ts';
import { useNiches } from './accounts.tsx';
import { createContent } from './content.tsx';

function CreateButton({ trend }: { trend: Trend }) {
  const [result, setResult] = useState<{ content: Content; queued: boolean } | undefined>();
  const [error, setError] = useState<Error | undefined>();
  const [busy, setBusy] = useState(false);
  if (result) {
    return (
      <span class="small">
        <a href={`/content/${result.content.id}`}>Content created</a>
        {result.queued ? (
          ', production queued'
        ) : (
          <>
            {' '}
            (produce it with <Cmd>{`npx sovi content produce ${result.content.id}`}</Cmd>)
          </>
        )}
      </span>
    );
  }
  const create = () => {
    setBusy(true);
    createContent((produce) => post('/trends/{id}/content', { produce }, { id: trend.id })).then(
      setResult,
      (err: unknown) => {
        setBusy(false);
        setError(err as Error);
      },
    );
  };
  return (
    <>
      <button type="button" disabled={busy} onClick={create}>
        Create content
      </button>
      <ErrorNote error={error} />
    </>
  );
}

export function Trends() {
  const { query } = useLocation();
  const niche = query.get('niche') ?? '';
  const all = query.get('all') === '1';
  const niches = useNiches();
  const mayCreate = useCan('content.write');
  const { items, data, error, loading, hasMore, more } = usePaged(
    (q) =>
      get('/trends', { ...q, limit: 50 }).then((r) => ({
        items: r.trends,
        nextCursor: r.nextCursor,
      })),
    { niche, all: all || undefined },
  );
  return (
    <div class="page">
      <h1>Trends</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <FilterSelect
          label="Niche"
          name="niche"
          value={niche}
          any="any"
          options={niches.data?.map((n) => [n.slug, n.name] as const)}
        />
        <label class="check">
          <input
            type="checkbox"
            checked={all}
            onChange={(e) => setQuery({ all: e.currentTarget.checked ? '1' : undefined })}
          />
          inactive too
        </label>
      </form>
      <ErrorNote error={error} />
      <Loading when={loading && !data} />
      {data && items.length === 0 && (
        <Empty>
          No trending topics{niche ? ` in ${label(niche)}` : ''}: <Cmd>npx sovi trends pull</Cmd> reads Reddit
          now (the worker pulls hourly), or <Cmd>npx sovi trends import topics.csv</Cmd>.
        </Empty>
      )}
      {items.length > 0 && (
        <div class="table-wrap">
          <table class="table" aria-label="Trending topics">
            <thead>
              <tr>
                <th>Topic</th>
                <th>Score</th>
                <th class="num">Ratio</th>
                <th class="num">Engagement</th>
                <th>Seen</th>
                {mayCreate && <th />}
              </tr>
            </thead>
            <tbody>
              {items.map((t) => (
                <tr key={t.id} class={t.isActive ? '' : 'inactive'} data-trend-id={t.id}>
                  <td>
                    {t.sourceUrl ? (
                      <a href={t.sourceUrl} target="_blank" rel="noreferrer noopener">
                        {t.topic}
                      </a>
                    ) : (
                      t.topic
                    )}
                    <div class="muted small">
                      {t.nicheSlug ? label(t.nicheSlug) : 'no niche'} · {t.sourceGroup ?? t.source}
                    </div>
                  </td>
                  <td>
                    <Meter
                      value={t.trendScore}
                      max={1}
                      text={t.trendScore === null ? '–' : t.trendScore.toFixed(2)}
                      title="trend score"
                    />
                  </td>
                  <td class="num">
                    {t.overperformanceRatio === null ? '–' : `${num(t.overperformanceRatio)}×`}
                  </td>
                  <td class="num">{compact(t.engagement)}</td>
                  <td title={dateTime(t.discoveredAt)}>{timeAgo(t.publishedAt ?? t.discoveredAt)}</td>
                  {mayCreate && (
                    <td>
                      <CreateButton trend={t} />
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <MoreButton hasMore={hasMore} onMore={more} />
    </div>
  );
}
