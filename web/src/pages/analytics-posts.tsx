// The analytics page's per-post table: every post of the span with its latest counts, sorted by a click on a
// column's header (a second click turns the order round) and paged by the server; sort and page are in the
// URL. At phone width the rows become cards (analytics.css).
import { get } from '../api.ts';
import { Empty, ErrorNote, Loading } from '../components/ui.tsx';
import { compact, dateTime, label, percent } from '../format.ts';
import { setQuery } from '../router.ts';
import type { Ok } from '../types.ts';
import { useData } from '../use-data.ts';
import { csvHref, rangeParams, type Range } from './analytics-range.ts';
import { CsvLink } from './analytics-csv.tsx';

type Post = Ok<'/metrics/posts'>['posts'][number];
type Sort = 'views' | 'likes' | 'comments' | 'shares' | 'engagementRate' | 'postedAt' | 'account' | 'niche';

const PAGE = 25;

const columns: { key: Sort; title: string; num?: boolean; cell: (p: Post) => string }[] = [
  { key: 'postedAt', title: 'Posted at', cell: (p) => dateTime(p.postedAt) },
  { key: 'account', title: 'Account', cell: (p) => p.account },
  { key: 'niche', title: 'Niche', cell: (p) => (p.niche ? label(p.niche) : '–') },
  { key: 'views', title: 'Total views', num: true, cell: (p) => compact(p.views) },
  { key: 'likes', title: 'Total likes', num: true, cell: (p) => compact(p.likes) },
  { key: 'comments', title: 'Total comments', num: true, cell: (p) => compact(p.comments) },
  { key: 'shares', title: 'Total shares', num: true, cell: (p) => compact(p.shares) },
  { key: 'engagementRate', title: 'Engagement rate', num: true, cell: (p) => percent(p.engagementRate) },
];

const isSort = (value: string | null): value is Sort => columns.some((c) => c.key === value);

export function PostsTable({ query, range, niche }: { query: URLSearchParams; range: Range; niche: string }) {
  const sortParam = query.get('sort');
  const sort: Sort = isSort(sortParam) ? sortParam : 'postedAt';
  const direction = query.get('dir') === 'asc' ? 'asc' : 'desc';
  const offset = Math.max(0, Number(query.get('offset') ?? 0) || 0);
  const params = { ...rangeParams(range), niche, sort, direction };
  const key = JSON.stringify([params, offset]);
  const { data, error, loading } = useData(
    () => get('/metrics/posts', { ...params, limit: PAGE, offset }),
    [key],
  );

  const sortBy = (column: Sort) => {
    const text = column === 'account' || column === 'niche';
    const next = column === sort ? (direction === 'asc' ? 'desc' : 'asc') : text ? 'asc' : 'desc';
    setQuery({ sort: column, dir: next, offset: undefined });
  };

  return (
    <>
      <div class="analytics-tools">
        <span class="muted small">
          {data ? `${data.total} posts` : ''}
          {data && data.total > PAGE && `, ${offset + 1}–${Math.min(offset + PAGE, data.total)} shown`}
        </span>
        <CsvLink what="posts" href={csvHref('/metrics/posts', { ...params, limit: 1000 })} />
      </div>
      <ErrorNote error={error} />
      <Loading when={loading && !data} />
      {data && data.posts.length === 0 && <Empty>No posts went out in this span.</Empty>}
      {data && data.posts.length > 0 && (
        <table class="table sortable" aria-label="Posts">
          <thead>
            <tr>
              <th>Content</th>
              {columns.map((c) => (
                <th
                  key={c.key}
                  class={c.num ? 'num' : undefined}
                  aria-sort={c.key === sort ? (direction === 'asc' ? 'ascending' : 'descending') : 'none'}
                >
                  <button type="button" class="link sort" onClick={() => sortBy(c.key)}>
                    {c.title}
                    {c.key === sort ? (direction === 'asc' ? ' ▲' : ' ▼') : ''}
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {data.posts.map((p) => (
              <tr key={p.distributionId}>
                <td data-label="Content">
                  <a href={`/content/${p.contentId}`}>{p.topic}</a>
                </td>
                {columns.map((c) => (
                  <td key={c.key} class={c.num ? 'num' : undefined} data-label={c.title} data-col={c.key}>
                    {c.cell(p)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {data && data.total > PAGE && (
        <div class="analytics-tools">
          <button
            type="button"
            disabled={offset === 0}
            onClick={() => setQuery({ offset: offset > PAGE ? String(offset - PAGE) : undefined })}
          >
            Previous
          </button>
          <button
            type="button"
            disabled={offset + PAGE >= data.total}
            onClick={() => setQuery({ offset: String(offset + PAGE) })}
          >
            Next
          </button>
        </div>
      )}
    </>
  );
}
