// An account's connection to its platform's official API: status, scopes, expiry, last refresh and last
// successful call, what limits posting. Admins and operators connect (or reconnect) it: the button asks the
// API for the platform's authorization URL, shows it as a link for the account's owner to open, and follows
// the request until the platform sends the owner back to sovi.
import { useEffect, useState } from 'preact/hooks';
import { get, post } from '../api.ts';
import { platformLabels } from '../domain.ts';
import { dateTime, timeAgo } from '../format.ts';
import { connectionStatusTone } from '../tones.ts';
import type { Account } from '../types.ts';
import { useData } from '../use-data.ts';
import { Badge, ErrorNote, Facts } from './ui.tsx';

export function ConnectionPanel({ account, canConnect }: { account: Account; canConnect: boolean }) {
  const connections = useData(() => get('/connections', { platform: account.platform }), [account.id]);
  const connection = connections.data?.connections.find((c) => c.accountId === account.id);
  const [request, setRequest] = useState<{ url: string; connectId: string } | undefined>();
  const [outcome, setOutcome] = useState<string | undefined>();
  const [error, setError] = useState<Error | undefined>();
  const [busy, setBusy] = useState(false);

  // Follows a started request until the owner comes back (or it fails or expires).
  useEffect(() => {
    if (!request) return;
    let stopped = false;
    const timer = setInterval(() => {
      get('/connections/requests/{connectId}', { connectId: request.connectId }).then(
        (r) => {
          if (stopped || r.status === 'pending') return;
          setOutcome(r.status === 'expired' ? 'The link expired: connect again.' : (r.message ?? r.status));
          setRequest(undefined);
          connections.reload();
        },
        (err: unknown) => setError(err as Error),
      );
    }, 1_500);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [request?.connectId]);

  const start = () => {
    setBusy(true);
    setError(undefined);
    setOutcome(undefined);
    post('/accounts/{id}/connect', {}, { id: account.id }).then(
      (r) => {
        setBusy(false);
        setRequest({ url: r.url, connectId: r.connectId });
      },
      (err: unknown) => {
        setBusy(false);
        setError(err as Error);
      },
    );
  };

  return (
    <div class="stack">
      <ErrorNote error={connections.error ?? error} />
      {connection ? (
        <Facts
          items={[
            ['Status', <Badge value={connection.status} tones={connectionStatusTone} />],
            ['Scopes', connection.scopes.join(', ') || '–'],
            ['Token expires', dateTime(connection.accessExpiresAt)],
            ['Last refresh', timeAgo(connection.lastRefreshedAt)],
            ['Last call', timeAgo(connection.lastCallAt)],
            ['Connected by', connection.connectedBy],
          ]}
        />
      ) : (
        connections.data && (
          <p class="muted" data-connection="none">
            Not connected: sovi cannot post to {platformLabels[account.platform]} for this account.
          </p>
        )
      )}
      {connection?.statusReason && connection.status !== 'connected' && (
        <p class="error">{connection.statusReason}</p>
      )}
      {connection?.postingNote && <p class="muted">{connection.postingNote}</p>}
      {outcome && <p role="status">{outcome}</p>}
      {canConnect && !account.deletedAt && (
        <>
          {request ? (
            <p role="status">
              Waiting for the account's owner:{' '}
              <a href={request.url} target="_blank" rel="noopener noreferrer">
                open {platformLabels[account.platform]} to allow sovi
              </a>
            </p>
          ) : (
            <p>
              <button type="button" disabled={busy} onClick={start}>
                {connection ? 'Reconnect' : 'Connect'}
              </button>
            </p>
          )}
        </>
      )}
    </div>
  );
}
