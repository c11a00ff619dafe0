// The one way code that calls a platform for an account gets its token (the publishers here, the metrics
// collectors too):
//
//   const access = await accessFor(deps, accountId, 'tiktok');      // refreshed first when near expiry
//   try { …call with access.accessToken…; await markCallSucceeded(deps.db, access) }
//   catch (err) { if (await afterRejected(deps, access, err)) …retry once with the new token… }
//
// accessFor throws a PlatformError of kind 'auth' (code not_connected / reauth_needed) for an account with no
// usable connection, so no connector ever works for an account that was not connected.
import type { Executor } from '../db/executor.ts';
import type { Platform } from '../platforms.ts';
import { findConnectionRow, touchConnection } from './connections-repository.ts';
import {
  openAccessToken,
  refreshConnection,
  markReauthNeeded,
  type ConnectionDeps,
} from './connections-service.ts';
import { PlatformError } from './platform-http.ts';

export interface PlatformAccess {
  connectionId: string;
  accountId: string;
  platform: Platform;
  accessToken: string;
  /** TikTok's open_id, Instagram's user id. */
  platformUserId: string;
  username: string;
}

/** Refreshed on use when the token expires within this long, whatever the job's look-ahead. */
const USE_MARGIN_MS = 5 * 60_000;

export async function accessFor(
  deps: ConnectionDeps,
  accountId: string,
  platform: Platform,
  signal?: AbortSignal,
): Promise<PlatformAccess> {
  let row = await findConnectionRow(deps.db, accountId, platform);
  if (!row) {
    throw new PlatformError(
      platform,
      'auth',
      'not_connected',
      `the account is not connected to ${platform}'s official API: run sovi connect first`,
    );
  }
  if (row.status !== 'connected') {
    throw new PlatformError(
      platform,
      'auth',
      row.status,
      `the ${platform} connection of ${row.username} is ${row.status}: run sovi connect ${platform}:${row.username}`,
    );
  }
  if (row.access_expires_at.getTime() - Date.now() < USE_MARGIN_MS) {
    const refreshed = await refreshConnection(deps, row.id, { force: true, signal });
    switch (refreshed.status) {
      case 'refreshed':
      case 'fresh':
        row = refreshed.row;
        break;
      case 'not_connected':
        return accessFor(deps, accountId, platform, signal);
      case 'reauth_needed':
        throw refreshed.error;
      case 'failed':
        // A transient refresh failure with the old token still valid: use it.
        if (row.access_expires_at.getTime() <= Date.now()) throw refreshed.error;
    }
  }
  return {
    connectionId: row.id,
    accountId: row.account_id,
    platform,
    accessToken: openAccessToken(deps.vault, row),
    platformUserId: row.platform_user_id,
    username: row.username,
  };
}

/**
 * After a call was refused: for an authorization error, refreshes the token (once) and answers the new access
 * to retry with; undefined when the caller should not retry (the error was another kind, or the refresh was
 * refused too, in which case the connection is now reauth_needed with its one event).
 */
export async function afterRejected(
  deps: ConnectionDeps,
  access: PlatformAccess,
  err: unknown,
  signal?: AbortSignal,
): Promise<PlatformAccess | undefined> {
  if (!(err instanceof PlatformError) || err.kind !== 'auth') return undefined;
  const refreshed = await refreshConnection(deps, access.connectionId, { force: true, signal });
  if (refreshed.status === 'refreshed') {
    return { ...access, accessToken: openAccessToken(deps.vault, refreshed.row) };
  }
  if (refreshed.status === 'failed') throw refreshed.error;
  if (refreshed.status === 'reauth_needed') return undefined;
  // Refused with a token that was just refreshed: the grant itself is no good.
  if (refreshed.status === 'fresh') {
    await deps.db.transaction().execute((trx) => markReauthNeeded(trx, refreshed.row, err));
  }
  return undefined;
}

/** Records a successful call (the connection's "last successful call"), and what the platform said limits posting. */
export async function markCallSucceeded(
  db: Executor,
  access: Pick<PlatformAccess, 'connectionId'>,
  postingNote?: string | null,
): Promise<void> {
  await touchConnection(db, access.connectionId, postingNote);
}
