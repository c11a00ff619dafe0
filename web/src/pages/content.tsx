// The content page: the board (one column per production status, newest first) or the library
// (?view=library, content-library.tsx), and a form to make new content in a chosen format.
import { useState } from 'preact/hooks';
import { ApiError, get, post } from '../api.ts';
import { Badge, Cmd, Collapse, Empty, ErrorNote, Loading, Section } from '../components/ui.tsx';
import { productionStatuses } from '../domain.ts';
import { label, percent, timeAgo } from '../format.ts';
import { useCan } from '../permissions.tsx';
import { navigate, useLocation } from '../router.ts';
import { productionStatusTone } from '../tones.ts';
import type { Content } from '../types.ts';
import { useData } from '../use-data.ts';
import { useNiches } from './accounts.tsx';
import { ContentLibrary, useFormats } from './content-library.tsx';

const PER_COLUMN = 12;

async function loadBoard() {
  const [counts, columns] = await Promise.all([
    get('/content/status'),
    Promise.all(productionStatuses.map((status) => get('/content', { status, limit: PER_COLUMN }))),
  ]);
  return productionStatuses.map((status, i) => ({
    status,
    count: counts[status] ?? 0,
    items: columns[i]?.content ?? [],
  }));
}

/**
 * Creates content, and queues its production when this server can (a server without the job engine
 * answers 503 to produce: the content is then created unqueued and the page says how to produce it).
 */
export async function createContent(
  create: (produce: boolean) => Promise<Content>,
): Promise<{ content: Content; queued: boolean }> {
  try {
    return { content: await create(true), queued: true };
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 503) throw err;
    return { content: await create(false), queued: false };
  }
}

function NewContent({ onCreated }: { onCreated: () => void }) {
  const niches = useNiches();
  const formats = useFormats();
  const [topic, setTopic] = useState('');
  const [niche, setNiche] = useState('');
  const [format, setFormat] = useState('faceless');
  const [error, setError] = useState<Error | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    createContent((produce) =>
      post('/content', { topic: topic.trim(), ...(niche ? { niche } : {}), format, produce }),
    ).then(
      ({ content }) => {
        setBusy(false);
        onCreated();
        navigate(`/content/${content.id}`);
      },
      (err: unknown) => {
        setBusy(false);
        setError(err as Error);
      },
    );
  };
  return (
    <form class="inline-form wrap" onSubmit={submit} aria-label="New content">
      <input
        name="topic"
        required
        minLength={3}
        maxLength={200}
        placeholder="Topic, e.g. compound interest"
        value={topic}
        onInput={(e) => setTopic(e.currentTarget.value)}
      />
      <select name="niche" value={niche} onChange={(e) => setNiche(e.currentTarget.value)} aria-label="Niche">
        <option value="">niche…</option>
        {niches.data?.map((n) => (
          <option key={n.slug} value={n.slug}>
            {n.name}
          </option>
        ))}
      </select>
      <select
        name="format"
        value={format}
        onChange={(e) => setFormat(e.currentTarget.value)}
        aria-label="Format"
      >
        {(formats.data ?? ['faceless']).map((f) => (
          <option key={f} value={f}>
            {label(f)}
          </option>
        ))}
      </select>
      <button type="submit" class="primary" disabled={busy || topic.trim().length < 3}>
        Create and produce
      </button>
      <ErrorNote error={error} />
    </form>
  );
}

/** Board or library, as the URL says; the library keeps its filters in the query. */
function Views({ library }: { library: boolean }) {
  return (
    <nav class="tabs" aria-label="Content views">
      <a href="/content" class={library ? undefined : 'current'} aria-current={library ? undefined : 'page'}>
        Board
      </a>
      <a
        href="/content?view=library"
        class={library ? 'current' : undefined}
        aria-current={library ? 'page' : undefined}
      >
        Library
      </a>
    </nav>
  );
}

export function ContentBoard() {
  const { query } = useLocation();
  const mayCreate = useCan('content.write');
  const library = query.get('view') === 'library';
  return (
    <div class="page">
      <h1>Content</h1>
      <Views library={library} />
      {mayCreate && (
        <Section title="New content">
          <NewContent onCreated={() => undefined} />
        </Section>
      )}
      {library ? <ContentLibrary /> : <Board />}
    </div>
  );
}

function Board() {
  const { data, error, loading } = useData(loadBoard, [], 10_000);
  const total = data?.reduce((a, c) => a + c.count, 0) ?? 0;
  return (
    <>
      <ErrorNote error={error} />
      <Loading when={loading && !data} />
      {data && total === 0 && (
        <Empty>
          No content yet: create some above, from a topic on the <a href="/trends">Trends</a> page, or with{' '}
          <Cmd>npx sovi content new --topic "compound interest" --niche personal_finance --produce</Cmd>.
        </Empty>
      )}
      {data && total > 0 && (
        <div class="board" aria-label="Content board">
          {data.map((column) => (
            <section
              key={column.status}
              class="column"
              aria-label={label(column.status)}
              data-status={column.status}
            >
              <h2>
                <Badge value={column.status} tones={productionStatusTone} />{' '}
                <span class="count">{column.count}</span>
              </h2>
              <Collapse count={column.items.length}>
                {column.items.map((c) => (
                  <a key={c.id} class="tile" href={`/content/${c.id}`}>
                    <strong>{c.topic}</strong>
                    <span class="muted small">
                      {c.nicheSlug ? label(c.nicheSlug) : 'no niche'} · {label(c.format ?? 'faceless')} ·{' '}
                      {timeAgo(c.updatedAt)}
                    </span>
                    {c.qualityScore !== null && (
                      <span class="small">quality {percent(c.qualityScore, 0)}</span>
                    )}
                    {c.hasVideo && <span class="small">▶ video</span>}
                  </a>
                ))}
              </Collapse>
              {column.count > column.items.length && (
                <a class="small" href={`/content?view=library&status=${column.status}`}>
                  and {column.count - column.items.length} more
                </a>
              )}
            </section>
          ))}
        </div>
      )}
    </>
  );
}
