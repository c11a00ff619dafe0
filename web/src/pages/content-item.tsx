// One piece of content: its status (produce, retry, archive), the rendered video, the script, the quality
// checks and the distributions. The write controls show only to roles with content.write.
import { useState } from 'preact/hooks';
import { get, post } from '../api.ts';
import { DistributionsTable } from '../components/distributions.tsx';
import { Badge, Cmd, Empty, ErrorNote, Facts, Loading, Section } from '../components/ui.tsx';
import { dateTime, label, percent, timeAgo } from '../format.ts';
import { useCan } from '../permissions.tsx';
import { ContentStatus } from '../components/content-status.tsx';
import type { ContentDetails } from '../types.ts';
import { useData } from '../use-data.ts';
import { ArchiveButton } from './content-library.tsx';

const working = new Set(['scripting', 'generating', 'assembling', 'distributing']);

function Actions({ content, onDone }: { content: ContentDetails; onDone: () => void }) {
  const [error, setError] = useState<Error | undefined>();
  const [busy, setBusy] = useState(false);
  const mayWrite = useCan('content.write');
  if (!mayWrite) return null;
  const act = (action: 'produce' | 'retry') => {
    setBusy(true);
    setError(undefined);
    post(`/content/{id}/${action}`, {}, { id: content.id }).then(
      () => {
        setBusy(false);
        onDone();
      },
      (err: unknown) => {
        setBusy(false);
        setError(err as Error);
      },
    );
  };
  return (
    <div class="actions">
      {content.status === 'failed' && (
        <button type="button" class="primary" disabled={busy} onClick={() => act('retry')}>
          Retry from {content.failure?.stage ?? 'the failed stage'}
        </button>
      )}
      {working.has(content.status) && (
        <button
          type="button"
          disabled={busy}
          onClick={() => act('produce')}
          title="Queue the stage it is in (a queued stage stays queued once)"
        >
          Queue {content.status}
        </button>
      )}
      <ArchiveButton content={content} onDone={onDone} />
      <ErrorNote error={error} />
    </div>
  );
}

export function Video({ content }: { content: ContentDetails }) {
  if (!content.hasVideo) {
    return (
      <Empty>
        {content.status === 'failed'
          ? 'No video: the production failed before one was kept.'
          : working.has(content.status) && !content.outputPath
            ? `Not rendered yet: it is ${content.status}. The page refreshes by itself.`
            : 'No video on this server.'}
      </Empty>
    );
  }
  return (
    <video
      class="player"
      controls
      preload="metadata"
      playsInline
      src={`/api/v1/content/${encodeURIComponent(content.id)}/video`}
      aria-label="Rendered video"
    >
      Your browser cannot play MP4 video.
    </video>
  );
}

/** The hook a piece was made with, as its text (people know hooks by what they say, not by an id). */
function HookText({ id }: { id: string }) {
  const { data, error } = useData(() => get('/hooks/{id}', { id }), [id]);
  if (error) return <span class="muted">a hook that no longer exists</span>;
  if (!data) return <span class="muted">…</span>;
  return (
    <span title={`${label(data.category)} hook`}>
      “{data.template}”{data.retiredAt ? <span class="muted"> (retired)</span> : null}
    </span>
  );
}

/** The assembled video's checks, failed ones marked. */
export function QualityChecks({ quality }: { quality: ContentDetails['quality'] }) {
  if (!quality) return <Empty>Checked when the video is assembled.</Empty>;
  return (
    <table class="table" aria-label="Quality checks">
      <thead>
        <tr>
          <th>Check</th>
          <th>Value</th>
          <th>Expected</th>
        </tr>
      </thead>
      <tbody>
        {quality.checks.map((check) => (
          <tr key={check.name} class={check.passed ? '' : 'failed'}>
            <td>
              {check.passed ? '✓' : '✗'} {label(check.name)}
            </td>
            <td>
              {check.value === null
                ? '–'
                : typeof check.value === 'number'
                  ? Number(check.value.toFixed(3))
                  : check.value}
            </td>
            <td class="muted">{check.expected}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Who spoke, the music and each beat's visual, with the licences a reviewer should see before posting. */
export function MediaCredits({ media }: { media: ContentDetails['media'] }) {
  if (!media.voice && !media.music && media.visuals.length === 0) return null;
  const voice = media.voice;
  return (
    <div class="media-credits" aria-label="Sound and visuals">
      <Facts
        items={[
          [
            'Voice',
            voice
              ? `${voice.engine} ${voice.voice ?? ''}${voice.model ? ` (${voice.model})` : ''}` +
                (voice.fellBack.length ? ` — after ${voice.fellBack.join(', ')} failed` : '')
              : '–',
          ],
          [
            'Music',
            media.music
              ? `${media.music.title ?? 'untitled'} (${media.music.mood}) · ${media.music.licence}` +
                (media.music.attribution ? ` · ${media.music.attribution}` : '')
              : 'none',
          ],
          [
            'Caption timing',
            media.captionTiming === 'speech' ? 'from the voice' : (media.captionTiming ?? '–'),
          ],
        ]}
      />
      {media.visuals.length > 0 && (
        <table class="table" aria-label="Visual sources">
          <thead>
            <tr>
              <th>Beat</th>
              <th>Source</th>
              <th>Licence</th>
            </tr>
          </thead>
          <tbody>
            {media.visuals.map((v, i) => (
              <tr key={i}>
                <td>
                  {i + 1} ({v.start.toFixed(1)}–{v.end.toFixed(1)} s)
                </td>
                <td>
                  {v.source === null ? (
                    'generated scene'
                  ) : v.url ? (
                    <a href={v.url} rel="noreferrer" target="_blank">
                      {v.source} {v.id}
                    </a>
                  ) : (
                    `${v.source} ${v.id ?? ''}`
                  )}
                </td>
                <td class="muted">{v.licence ?? '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export function ContentPage({ id }: { id: string }) {
  const { data: c, error, loading, reload } = useData(() => get('/content/{id}', { id }), [id], 10_000);
  return (
    <div class="page">
      <p class="crumbs">
        <a href="/content">Content</a> /
      </p>
      <ErrorNote error={error} />
      <Loading when={loading && !c} />
      {c && (
        <>
          <h1>
            {c.topic} <ContentStatus content={c} />
            {c.archivedAt && <Badge value="archived" tone="neutral" />}
          </h1>
          <Actions content={c} onDone={reload} />
          {c.failure && (
            <p class="error">
              Failed in {c.failure.stage} {timeAgo(c.failure.at)}: {c.failure.reason}
            </p>
          )}
          <div class="grid-video">
            <Section title="Video">
              <Video content={c} />
            </Section>
            <div>
              <Section title="About">
                <Facts
                  items={[
                    ['Niche', c.nicheSlug ? label(c.nicheSlug) : '–'],
                    ['Format', c.format ?? '–'],
                    ['Quality', c.qualityScore === null ? '–' : percent(c.qualityScore, 0)],
                    ['Hook', c.hookId ? <HookText id={c.hookId} /> : '–'],
                    ['From a trend', c.trendId ? 'yes' : 'no'],
                    ['Created', dateTime(c.createdAt)],
                    ['Updated', timeAgo(c.updatedAt)],
                  ]}
                />
              </Section>
              <Section title="Quality checks">
                <QualityChecks quality={c.quality} />
              </Section>
              <Section title="Sound and visuals">
                <MediaCredits media={c.media} />
              </Section>
            </div>
          </div>
          <Section title="Script">
            {c.script ? (
              <div class="script">
                <h3>{c.script.title}</h3>
                <p>
                  <strong>Hook:</strong> {c.script.hook}
                </p>
                <ol>
                  {c.script.beats.map((b, i) => (
                    <li key={i}>
                      <strong>{b.onScreenText}</strong>
                      <div class="muted">{b.narration}</div>
                    </li>
                  ))}
                </ol>
                <p>
                  <strong>Call to action:</strong> {c.script.cta}
                </p>
                <p class="muted">
                  {c.script.hashtags.map((h) => (h.startsWith('#') ? h : `#${h}`)).join(' ')} · written by{' '}
                  {c.script.writer}
                </p>
              </div>
            ) : (
              <Empty>
                Not scripted yet. Production is run by the content worker of <Cmd>npx sovi up</Cmd> or{' '}
                <Cmd>{`npx sovi content produce ${c.id}`}</Cmd>.
              </Empty>
            )}
          </Section>
          <Section title="Distributions">
            <DistributionsTable
              distributions={c.distributions}
              show="account"
              empty="Not distributed yet: a finished video is planned to active accounts of its niche."
            />
          </Section>
          {c.previousFailures.length > 0 && (
            <Section title="Earlier failures">
              <ul class="plain">
                {c.previousFailures.map((f, i) => (
                  <li key={i}>
                    {f.stage} · {dateTime(f.at)}: {f.reason}
                  </li>
                ))}
              </ul>
            </Section>
          )}
        </>
      )}
    </div>
  );
}
