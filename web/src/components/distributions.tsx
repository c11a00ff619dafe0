// Posts of a piece of content or of an account.
import { Badge, Empty } from './ui.tsx';
import { dateTime, timeAgo } from '../format.ts';
import { distributionStatusTone } from '../tones.ts';
import { PlatformStage } from './platform-progress.tsx';
import type { Distribution } from '../types.ts';

function Hashtags({ tags }: { tags: string[] }) {
  return <span class="muted">{tags.map((h) => (h.startsWith('#') ? h : `#${h}`)).join(' ')}</span>;
}

export function DistributionsTable(props: {
  distributions: Distribution[];
  show: 'content' | 'account';
  empty: string;
}) {
  const { distributions, show, empty } = props;
  if (distributions.length === 0) return <Empty>{empty}</Empty>;
  return (
    <div class="table-wrap">
      <table class="table" aria-label="Distributions">
        <thead>
          <tr>
            <th>{show === 'content' ? 'Post' : 'Account'}</th>
            <th>Status</th>
            {show === 'account' && <th>Caption</th>}
            <th>Posted</th>
            <th class="num">Attempts</th>
          </tr>
        </thead>
        <tbody>
          {distributions.map((d) => (
            <tr key={d.id}>
              <td>
                {show === 'content' ? (
                  // The post's own words say which it is; the content's page holds the rest.
                  <>
                    <a href={`/content/${d.contentId}`}>{d.caption || `untitled ${d.platform} post`}</a>{' '}
                    <Hashtags tags={d.hashtags} />
                  </>
                ) : (
                  <a href={`/accounts/${d.accountId}`}>
                    {d.platform}:{d.username}
                  </a>
                )}
              </td>
              <td>
                <Badge value={d.status} tones={distributionStatusTone} />
                {d.processing && d.processing.stage !== 'published' && (
                  <>
                    {' '}
                    <PlatformStage processing={d.processing} />
                  </>
                )}
              </td>
              {show === 'account' && (
                <td class="caption">
                  {d.caption ?? ''} <Hashtags tags={d.hashtags} />
                </td>
              )}
              <td title={dateTime(d.postedAt)}>{d.postedAt ? timeAgo(d.postedAt) : '–'}</td>
              <td class="num">{d.attempts}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
