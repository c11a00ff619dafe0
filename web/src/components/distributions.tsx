// Posts of a piece of content or of an account.
import { Badge, Empty } from './ui.tsx';
import { dateTime, timeAgo } from '../format.ts';
import { distributionStatusTone } from '../tones.ts';
import type { Distribution } from '../types.ts';

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
            <th>{show === 'content' ? 'Content' : 'Account'}</th>
            <th>Status</th>
            <th>Caption</th>
            <th>Posted</th>
            <th class="num">Attempts</th>
          </tr>
        </thead>
        <tbody>
          {distributions.map((d) => (
            <tr key={d.id}>
              <td>
                {show === 'content' ? (
                  <a href={`/content/${d.contentId}`}>content</a>
                ) : (
                  <a href={`/accounts/${d.accountId}`}>
                    {d.platform}:{d.username}
                  </a>
                )}
              </td>
              <td>
                <Badge value={d.status} tones={distributionStatusTone} />
              </td>
              <td class="caption">
                {d.caption ?? ''}{' '}
                <span class="muted">
                  {d.hashtags.map((h) => (h.startsWith('#') ? h : `#${h}`)).join(' ')}
                </span>
              </td>
              <td title={dateTime(d.postedAt)}>{d.postedAt ? timeAgo(d.postedAt) : '–'}</td>
              <td class="num">{d.attempts}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
