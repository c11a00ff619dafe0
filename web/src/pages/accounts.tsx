// Accounts: filtered by platform, state and niche (the filters live in the URL), paged with "Show more".
import { get } from '../api.ts';
import { Badge, Cmd, Empty, ErrorNote, Loading, MoreButton } from '../components/ui.tsx';
import { accountStates, platforms } from '../domain.ts';
import { compact, dateTime, label, timeAgo } from '../format.ts';
import { setQuery, useLocation } from '../router.ts';
import { accountStateTone } from '../tones.ts';
import { useData, usePaged } from '../use-data.ts';

export const useNiches = () => useData(() => get('/niches', { limit: 1000 }).then((r) => r.niches), []);

export function Accounts() {
  const { query } = useLocation();
  const platform = query.get('platform') ?? '';
  const state = query.get('state') ?? '';
  const niche = query.get('niche') ?? '';
  const niches = useNiches();
  const {
    items: accounts,
    data,
    error,
    loading,
    hasMore,
    more,
  } = usePaged(
    (q) =>
      get('/accounts', { ...q, limit: 100 }).then((p) => ({
        items: p.accounts,
        nextCursor: p.nextCursor,
      })),
    { platform, state, niche },
  );
  const filtered = Boolean(platform || state || niche);

  return (
    <div class="page">
      <h1>Accounts</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Account filters">
        <label>
          Platform
          <select
            name="platform"
            value={platform}
            onChange={(e) => setQuery({ platform: e.currentTarget.value })}
          >
            <option value="">any</option>
            {platforms.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <label>
          State
          <select name="state" value={state} onChange={(e) => setQuery({ state: e.currentTarget.value })}>
            <option value="">any</option>
            {accountStates.map((s) => (
              <option key={s} value={s}>
                {label(s)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Niche
          <select name="niche" value={niche} onChange={(e) => setQuery({ niche: e.currentTarget.value })}>
            <option value="">any</option>
            {niches.data?.map((n) => (
              <option key={n.slug} value={n.slug}>
                {n.name}
              </option>
            ))}
          </select>
        </label>
      </form>
      <ErrorNote error={error} />
      <Loading when={loading && !data} />
      {data && accounts.length === 0 && (
        <Empty>
          {filtered ? (
            'No accounts match these filters.'
          ) : (
            <>
              No accounts yet:{' '}
              <Cmd>npx sovi accounts add --platform tiktok --username … --niche personal_finance</Cmd>{' '}
              (secrets are asked for), or <Cmd>npx sovi accounts import accounts.csv</Cmd>.
            </>
          )}
        </Empty>
      )}
      {accounts.length > 0 && (
        <div class="table-wrap">
          <table class="table" aria-label="Accounts">
            <thead>
              <tr>
                <th>Account</th>
                <th>State</th>
                <th>Niche</th>
                <th>Device</th>
                <th class="num">Followers</th>
                <th class="num">Warming day</th>
                <th>Last warmed</th>
                <th>Last post</th>
              </tr>
            </thead>
            <tbody>
              {accounts.map((a) => (
                <tr key={a.id}>
                  <td>
                    <a href={`/accounts/${a.id}`}>{a.username}</a>
                    <div class="muted small">{a.platform}</div>
                  </td>
                  <td>
                    <Badge value={a.state} tones={accountStateTone} />
                  </td>
                  <td>{a.nicheSlug ? label(a.nicheSlug) : '–'}</td>
                  <td>{a.deviceId ? <a href={`/devices/${a.deviceId}`}>{a.deviceName}</a> : '–'}</td>
                  <td class="num">{compact(a.followers)}</td>
                  <td class="num">{a.warmingDayCount}</td>
                  <td title={dateTime(a.lastWarmedAt)}>{timeAgo(a.lastWarmedAt)}</td>
                  <td title={dateTime(a.lastPostAt)}>{timeAgo(a.lastPostAt)}</td>
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
