// The review queue: content that waits for a reviewer before it is posted. Each piece shows its video, its
// script and quality checks, and its posts (per account: caption, hashtags and the slot it is planned for).
// A reviewer (content.review) approves all its posts or some, editing a post's caption and hashtags first,
// or rejects the piece with a reason; the others read the queue.
import { useState } from 'preact/hooks';
import { get, post } from '../api.ts';
import { Badge, Empty, ErrorNote, Loading, Section } from '../components/ui.tsx';
import { dateTime, label, timeAgo } from '../format.ts';
import { useCan } from '../permissions.tsx';
import { useLocation } from '../router.ts';
import { FilterSelect } from '../components/filter-select.tsx';
import type { Ok } from '../types.ts';
import { useData } from '../use-data.ts';
import { useNiches } from './accounts.tsx';
import { MediaCredits, QualityChecks, Video } from './content-item.tsx';

type ReviewItem = Ok<'/content/review'>['content'][number];
type Post = ReviewItem['distributions'][number];

/** What the reviewer has changed of one post: whether it goes out, and its words. */
interface PostChoice {
  include: boolean;
  caption: string;
  hashtags: string;
}

const tagsText = (tags: readonly string[]) => tags.map((h) => (h.startsWith('#') ? h : `#${h}`)).join(' ');
const tagsOf = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((t) => t.replace(/^#+/, ''))
    .filter(Boolean);

function PostRow(props: {
  post: Post;
  choice: PostChoice;
  mayReview: boolean;
  onChange: (choice: PostChoice) => void;
}) {
  const { post: p, choice, mayReview, onChange } = props;
  const account = `${p.platform}:${p.username}`;
  return (
    <tr data-post={p.id}>
      {mayReview && (
        <td class="select">
          <input
            type="checkbox"
            name="include"
            aria-label={`Post to ${account}`}
            checked={choice.include}
            onChange={(e) => onChange({ ...choice, include: e.currentTarget.checked })}
          />
        </td>
      )}
      <td data-label="Account">
        <a href={`/accounts/${p.accountId}`}>{account}</a>
      </td>
      <td data-label="Slot" title={p.scheduledAt ? dateTime(p.scheduledAt) : ''}>
        {p.scheduledAt ? dateTime(p.scheduledAt) : 'as the cadence allows'}
      </td>
      <td data-label="Caption" class="caption">
        {mayReview ? (
          <textarea
            name="caption"
            aria-label={`Caption for ${account}`}
            rows={2}
            value={choice.caption}
            disabled={!choice.include}
            onInput={(e) => onChange({ ...choice, caption: e.currentTarget.value })}
          />
        ) : (
          p.caption
        )}
      </td>
      <td data-label="Hashtags">
        {mayReview ? (
          <input
            name="hashtags"
            aria-label={`Hashtags for ${account}`}
            value={choice.hashtags}
            disabled={!choice.include}
            onInput={(e) => onChange({ ...choice, hashtags: e.currentTarget.value })}
          />
        ) : (
          <span class="muted">{tagsText(p.hashtags)}</span>
        )}
      </td>
      <td data-label="Options" class="small muted">
        {p.options.privacyLevel} · {p.options.aiGenerated ? 'AI-generated label' : 'no AI label'}
      </td>
    </tr>
  );
}

function Decision(props: { item: ReviewItem; onDone: (message: string) => void }) {
  const { item, onDone } = props;
  const mayReview = useCan('content.review');
  // In the order they go out.
  const posts = item.distributions
    .filter((d) => d.review === 'awaiting')
    .sort((a, b) => (a.scheduledAt ?? '').localeCompare(b.scheduledAt ?? ''));
  const [choices, setChoices] = useState<Record<string, PostChoice>>(() =>
    Object.fromEntries(
      posts.map((p) => [p.id, { include: true, caption: p.caption ?? '', hashtags: tagsText(p.hashtags) }]),
    ),
  );
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>();
  const included = posts.filter((p) => choices[p.id]?.include);

  const run = (request: () => Promise<string>) => {
    setBusy(true);
    setError(undefined);
    request().then(onDone, (err: unknown) => {
      setBusy(false);
      setError(err as Error);
    });
  };
  const approve = () =>
    run(async () => {
      // Only what changed is sent: an unedited post keeps the words the script gave it.
      const approveList = included.map((p) => {
        const c = choices[p.id]!;
        const tags = tagsOf(c.hashtags);
        return {
          post: p.id,
          ...(c.caption !== (p.caption ?? '') ? { caption: c.caption } : {}),
          ...(tags.join(' ') !== p.hashtags.join(' ') ? { hashtags: tags } : {}),
        };
      });
      const outcome = await post('/content/{id}/approve', { approve: approveList }, { id: item.id });
      return `Approved “${item.topic}” for ${outcome.approved.length} account(s)${
        outcome.rejected.length ? `, not for ${outcome.rejected.length}` : ''
      }.`;
    });
  const reject = (e: Event) => {
    e.preventDefault();
    run(async () => {
      await post('/content/{id}/reject', { reason: reason.trim() }, { id: item.id });
      return `Rejected “${item.topic}”.`;
    });
  };

  return (
    <>
      {posts.length === 0 ? (
        <Empty>No post of this piece waits for a decision.</Empty>
      ) : (
        <div class="table-wrap">
          <table class="table" aria-label={`Posts of ${item.topic}`}>
            <thead>
              <tr>
                {mayReview && <th aria-label="Post it" />}
                <th>Account</th>
                <th>Slot</th>
                <th>Caption</th>
                <th>Hashtags</th>
                <th>Options</th>
              </tr>
            </thead>
            <tbody>
              {posts.map((p) => (
                <PostRow
                  key={p.id}
                  post={p}
                  mayReview={mayReview}
                  choice={choices[p.id]!}
                  onChange={(choice) => setChoices({ ...choices, [p.id]: choice })}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {mayReview && (
        <div class="actions">
          <button type="button" class="primary" disabled={busy || included.length === 0} onClick={approve}>
            {included.length === posts.length
              ? 'Approve'
              : `Approve for ${included.length} of ${posts.length} accounts`}
          </button>
          {!rejecting && (
            <button type="button" class="danger" disabled={busy} onClick={() => setRejecting(true)}>
              Reject…
            </button>
          )}
        </div>
      )}
      {mayReview && rejecting && (
        <form class="inline-form" aria-label={`Reject ${item.topic}`} onSubmit={reject}>
          <input
            name="reason"
            required
            maxLength={1000}
            placeholder="Why (kept with the content and in the audit trail)"
            value={reason}
            onInput={(e) => setReason(e.currentTarget.value)}
          />
          <button type="submit" class="danger" disabled={busy || !reason.trim()}>
            Reject
          </button>
          <button type="button" onClick={() => setRejecting(false)}>
            Cancel
          </button>
        </form>
      )}
      <ErrorNote error={error} />
    </>
  );
}

function ReviewCard({ item, onDone }: { item: ReviewItem; onDone: (message: string) => void }) {
  const script = item.script;
  return (
    <section class="card review-item" aria-label={item.topic} data-content={item.id}>
      <h2>
        <a href={`/content/${item.id}`}>{item.topic}</a> <Badge value="awaiting review" tone="warn" />
      </h2>
      <p class="muted small">
        {item.nicheSlug ? label(item.nicheSlug) : 'no niche'} · {label(item.format ?? 'faceless')} · waiting{' '}
        {item.review?.requestedAt ? timeAgo(item.review.requestedAt) : ''}
        {script ? ` · written by ${script.writer}` : ''}
      </p>
      <div class="grid-video">
        <Video content={item} />
        <div>
          {script && (
            <div class="script">
              <h3>{script.title}</h3>
              <p>
                <strong>Hook:</strong> {script.hook}
              </p>
              <ol>
                {script.beats.map((b, i) => (
                  <li key={i}>
                    <strong>{b.onScreenText}</strong>
                    <div class="muted">{b.narration}</div>
                  </li>
                ))}
              </ol>
            </div>
          )}
          <QualityChecks quality={item.quality} />
          <MediaCredits media={item.media} />
        </div>
      </div>
      <Decision item={item} onDone={onDone} />
    </section>
  );
}

export function Review() {
  const { query } = useLocation();
  const niche = query.get('niche') ?? '';
  const niches = useNiches();
  const { data, error, loading, reload } = useData(
    () => get('/content/review', { niche: niche || undefined }),
    [niche],
    30_000,
  );
  const [message, setMessage] = useState('');
  return (
    <div class="page">
      <h1>Review</h1>
      <form class="filters" aria-label="Review filters" onSubmit={(e) => e.preventDefault()}>
        <FilterSelect
          label="Niche"
          name="niche"
          value={niche}
          any="every niche"
          options={niches.data?.map((n) => [n.slug, n.name] as const)}
        />
      </form>
      {message && (
        <p class="note" role="status">
          {message}
        </p>
      )}
      <ErrorNote error={error} />
      <Loading when={loading && !data} />
      {data && data.content.length === 0 && (
        <Section title="Nothing to review">
          <Empty>No content is waiting for a reviewer.</Empty>
        </Section>
      )}
      {data?.content.map((item) => (
        <ReviewCard
          key={item.id}
          item={item}
          onDone={(text) => {
            setMessage(text);
            reload();
          }}
        />
      ))}
    </div>
  );
}
