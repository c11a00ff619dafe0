// Connecting accounts to the platforms' official APIs and keeping their tokens fresh.
//
// Connecting is OAuth's authorization-code flow: startConnect makes a single-use, expiring `state` bound to
// the person who asked (TikTok's with a PKCE verifier, sealed), and returns the platform's authorization URL;
// the platform sends the person's browser back to <SOVI_PUBLIC_URL>/oauth/callback/<platform>, where
// finishConnect takes the state (once), exchanges the code and seals the tokens bound to the connection's
// row. Only a hash of the state is stored: a database reader cannot finish someone else's connection.
//
// Refreshing takes the connection's row lock for the call, so two processes never spend one refresh token
// twice. An authorization error marks the connection reauth_needed (one event, on the change only); any other
// failure is counted and tried again on the next run. Tokens are only ever replaced by new ones, never
// cleared by a failure.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { findAccount } from '../accounts/accounts-service.ts';
import { recordAudit } from '../audit/audit-service.ts';
import { SECRET_CHANGED } from '../audit/audit-model.ts';
import type { Db } from '../db/pool.ts';
import type { Executor } from '../db/executor.ts';
import { SoviError } from '../errors.ts';
import { recordEvent } from '../events/events-service.ts';
import type { Logger } from '../logger.ts';
import { inNicheScope, type NicheScope } from '../niches/niche-scope.ts';
import { parsePlatform, platformLabels, type Platform } from '../platforms.ts';
import type { ConnectorSettings } from '../settings/connector-settings.ts';
import type { Vault } from '../vault/vault.ts';
import type { Connection, ConnectionStatus, ConnectOutcome, TokenGrant } from './connection-model.ts';
import {
  connectionIdFor,
  countRefreshFailure,
  deleteOldStates,
  dueForRefresh,
  findConnectionRow,
  findState,
  insertState,
  listConnectionRows,
  lockConnectionRow,
  setConnectionStatus,
  settleState,
  storeRefreshed,
  takeState,
  upsertConnection,
  type ConnectionRow,
} from './connections-repository.ts';
import { oauthProviders, type OAuthProvider } from './oauth-providers.ts';
import { PlatformError } from './platform-http.ts';

export interface ConnectionDeps {
  db: Db;
  vault: Vault;
  settings: ConnectorSettings;
  logger?: Logger;
}

const binding = (id: string, column: 'access_token_enc' | 'refresh_token_enc') => ({
  table: 'platform_connections',
  column,
  rowId: id,
});
const stateHash = (state: string) => createHash('sha256').update(state).digest();

export function toConnection(row: ConnectionRow): Connection {
  return {
    id: row.id,
    accountId: row.account_id,
    username: row.username,
    platform: parsePlatform(row.platform),
    platformUserId: row.platform_user_id,
    scopes: row.scopes,
    status: row.status as ConnectionStatus,
    statusReason: row.status_reason,
    postingNote: row.posting_note,
    accessExpiresAt: row.access_expires_at,
    refreshExpiresAt: row.refresh_expires_at,
    lastRefreshedAt: row.last_refreshed_at,
    lastCallAt: row.last_call_at,
    connectedBy: row.connected_by,
    connectedAt: row.connected_at,
  };
}

/** The callback address a platform sends the person back to; it must be registered with the developer app. */
export function redirectUriFor(settings: ConnectorSettings, platform: Platform): string {
  if (!settings.publicUrl) {
    throw new SoviError(
      'unavailable',
      'SOVI_PUBLIC_URL is not set: set it to the address people and the platforms reach this sovi at ' +
        '(e.g. https://sovi.example.com), register <SOVI_PUBLIC_URL>/oauth/callback/' +
        `${platform} as the developer app's redirect URI, and restart sovi`,
      { field: 'SOVI_PUBLIC_URL' },
    );
  }
  return `${settings.publicUrl}/oauth/callback/${platform}`;
}

/** The platform's OAuth provider, once its developer app is configured; refuses with what to set otherwise. */
function configuredProvider(settings: ConnectorSettings, platform: Platform): OAuthProvider {
  const provider = oauthProviders[platform];
  if (!provider.app(settings)) {
    const [id, secret] = provider.appVariables;
    throw new SoviError(
      'unavailable',
      `no ${platformLabels[platform]} developer app is configured: set ${id} and ${secret} (or SOVI_CONNECTOR_KEY_FILE) and restart sovi`,
      { field: id },
    );
  }
  return provider;
}

const verifierBinding = (hash: Buffer) => ({
  table: 'oauth_states',
  column: 'code_verifier_enc',
  rowId: hash.toString('hex'),
});

export interface ConnectStart {
  accountId: string;
  username: string;
  platform: Platform;
  /** Where the person authorizes sovi. */
  url: string;
  /** What the one who started it asks connectOutcome with (not the state: that is only in the URL). */
  connectId: string;
  expiresAt: Date;
}

/** Starts connecting an account: the authorization URL to open, bound to `who`. */
export async function startConnect(
  deps: ConnectionDeps & { scope?: NicheScope },
  accountRef: string,
  who: { actor: string; userId: string | null },
): Promise<ConnectStart> {
  const account = await findAccount(deps.db, accountRef, 'account', deps.scope);
  if (account.deleted_at)
    throw new SoviError('conflict', `account ${account.username} is deleted`, { field: 'account' });
  const platform = parsePlatform(account.platform);
  const provider = configuredProvider(deps.settings, platform);
  const redirectUri = redirectUriFor(deps.settings, platform);
  deps.vault.currentKeyId(); // Refuses now, with what to do, rather than after the person authorized.
  const state = randomBytes(32).toString('base64url');
  const hash = stateHash(state);
  const expiresAt = new Date(Date.now() + deps.settings.stateTtlSeconds * 1000);
  // 43–128 characters of the unreserved set (RFC 7636 §4.1).
  const codeVerifier = provider.pkce ? randomBytes(48).toString('base64url') : null;
  const url = provider.authorizeUrl(deps.settings, { state, redirectUri, codeVerifier });
  await insertState(deps.db, {
    state_hash: hash,
    account_id: account.id,
    platform,
    started_by: who.actor,
    user_id: who.userId,
    code_verifier_enc: codeVerifier === null ? null : deps.vault.seal(codeVerifier, verifierBinding(hash)),
    expires_at: expiresAt,
  });
  return {
    accountId: account.id,
    username: account.username,
    platform,
    url,
    connectId: hash.toString('hex'),
    expiresAt,
  };
}

/** How a connect request stands; only the one who started it may ask. */
export async function connectOutcome(
  db: Executor,
  connectId: string,
  who: { actor: string; userId: string | null },
): Promise<ConnectOutcome> {
  if (!/^[0-9a-f]{64}$/.test(connectId))
    throw new SoviError('invalid_input', 'connectId: expected 64 hex digits', { field: 'connectId' });
  const row = await findState(db, Buffer.from(connectId, 'hex'));
  const mine = row && (row.user_id !== null ? row.user_id === who.userId : row.started_by === who.actor);
  if (!row || !mine)
    throw new SoviError('not_found', `no connect request ${connectId} of yours`, { field: 'connectId' });
  if (row.outcome === 'connected')
    return { status: 'connected', message: row.outcome_message ?? 'connected' };
  // The callback marks a taken state failed until its exchange finishes: one left so for minutes died midway.
  const unfinished = row.outcome_message === 'the exchange did not finish';
  const stale = row.used_at !== null && Date.now() - row.used_at.getTime() > 2 * 60_000;
  if (row.outcome === 'failed' && (!unfinished || stale))
    return { status: 'failed', message: row.outcome_message ?? 'failed' };
  if (row.used_at === null && row.expires_at.getTime() <= Date.now()) return { status: 'expired' };
  return { status: 'pending', expiresAt: row.expires_at };
}

export interface CallbackQuery {
  code?: string;
  state?: string;
  error?: string;
  error_description?: string;
}

export type CallbackResult = { ok: true; message: string } | { ok: false; message: string };

/**
 * The platform's redirect back: takes the state (once), exchanges the code, seals the tokens. Answers what
 * the small page shows; never throws for what the platform or the person sent.
 */
export async function finishConnect(
  deps: ConnectionDeps,
  platformName: string,
  query: CallbackQuery,
): Promise<CallbackResult> {
  const platform = parsePlatform(platformName);
  if (!query.state)
    return {
      ok: false,
      message: 'The link has no state: start again with sovi connect or the Connect button.',
    };
  const hash = stateHash(query.state);
  const taken = await takeState(deps.db, hash);
  if (!taken) {
    return {
      ok: false,
      message:
        'This authorization link has expired or was already used: start again with sovi connect or the Connect button.',
    };
  }
  const settle = async (outcome: 'connected' | 'failed', message: string): Promise<CallbackResult> => {
    await settleState(deps.db, hash, outcome, message);
    return { ok: outcome === 'connected', message };
  };
  // A state that comes back to another platform's callback is a mixed-up (or forged) redirect: it is spent
  // and refused, never exchanged, and the one who started it reads why.
  if (taken.platform !== platform) {
    return settle(
      'failed',
      `This authorization was started for ${platformLabels[parsePlatform(taken.platform)]} but came back to ` +
        `${platformLabels[platform]}'s callback: start again with sovi connect or the Connect button.`,
    );
  }
  if (query.error || !query.code) {
    const why = query.error
      ? `${query.error}${query.error_description ? `: ${query.error_description}` : ''}`
      : 'no code';
    return settle('failed', `${platformLabels[platform]} did not authorize sovi (${why.slice(0, 300)}).`);
  }
  let grant: TokenGrant;
  try {
    const redirectUri = redirectUriFor(deps.settings, platform);
    const provider = configuredProvider(deps.settings, platform);
    const sealed = provider.pkce ? taken.code_verifier_enc : null;
    const codeVerifier = sealed ? deps.vault.open(sealed, verifierBinding(hash)) : null;
    grant = await provider.exchangeCode(
      deps.settings,
      { code: query.code, redirectUri, codeVerifier },
      deps.settings.requestTimeoutMs,
    );
  } catch (err) {
    const message =
      err instanceof PlatformError || err instanceof SoviError ? err.message : 'the exchange failed';
    deps.logger?.warn({ platform, err: message }, 'connecting an account failed');
    return settle('failed', `Connecting failed: ${message}`);
  }
  const account = await deps.db.transaction().execute(async (trx) => {
    const id = (await connectionIdFor(trx, taken.account_id, platform)) ?? randomUUID();
    await upsertConnection(trx, id, {
      account_id: taken.account_id,
      platform,
      connected_by: taken.started_by,
      posting_note: null,
      ...sealGrant(deps.vault, id, grant),
    });
    const row = await findAccount(trx, taken.account_id);
    await recordEvent(trx, {
      category: 'account',
      severity: 'info',
      eventType: 'account_connected',
      accountId: taken.account_id,
      message: `${platform} account ${row.username} connected to the official API by ${taken.started_by}`,
      context: {
        platform,
        scopes: grant.scopes,
        connectedBy: taken.started_by,
        expiresAt: grant.accessExpiresAt,
      },
    });
    // Who connected it, in the audit trail; the tokens only as "changed".
    await recordAudit(trx, {
      actor: taken.started_by,
      action: 'account.connect',
      targetType: 'account',
      targetId: row.id,
      targetLabel: `${row.platform}:${row.username}`,
      changes: { access_token: SECRET_CHANGED, refresh_token: SECRET_CHANGED },
      note: `scopes: ${grant.scopes.join(', ')}`,
    });
    return row;
  });
  return settle(
    'connected',
    `${platformLabels[platform]} account ${account.username} is connected. You can close this page.`,
  );
}

function sealGrant(vault: Vault, id: string, grant: TokenGrant) {
  return {
    platform_user_id: grant.platformUserId,
    scopes: grant.scopes,
    access_token_enc: vault.seal(grant.accessToken, binding(id, 'access_token_enc')),
    access_expires_at: grant.accessExpiresAt,
    refresh_token_enc:
      grant.refreshToken === null ? null : vault.seal(grant.refreshToken, binding(id, 'refresh_token_enc')),
    refresh_expires_at: grant.refreshExpiresAt,
  };
}

/** Whether an account has a usable connection to its platform (what a connector needs to post for it). */
export async function isConnected(db: Executor, accountId: string, platform: Platform): Promise<boolean> {
  return (await findConnectionRow(db, accountId, platform))?.status === 'connected';
}

/** The connections of live accounts within the caller's niches. */
export async function listConnections(
  db: Executor,
  filter: {
    accountIds?: string[] | null;
    platform?: Platform;
    status?: ConnectionStatus;
    scope?: NicheScope;
  } = {},
): Promise<Connection[]> {
  const rows = await listConnectionRows(db, filter);
  return rows.filter((r) => inNicheScope(filter.scope, r.niche_id)).map(toConnection);
}

/** Opens a connection's access token (for the one module that calls the platforms: connection-access.ts). */
export const openAccessToken = (vault: Vault, row: Pick<ConnectionRow, 'id' | 'access_token_enc'>): string =>
  vault.open(row.access_token_enc, binding(row.id, 'access_token_enc'));

export type RefreshResult =
  | { status: 'refreshed' | 'fresh'; row: ConnectionRow }
  | { status: 'reauth_needed'; error: PlatformError }
  | { status: 'failed'; error: PlatformError }
  | { status: 'not_connected' };

/**
 * Refreshes one connection's access token. `force`: even when it is not near expiry (a call was refused with
 * an authorization error). Holds the row's lock through the platform's answer.
 */
export async function refreshConnection(
  deps: ConnectionDeps,
  id: string,
  options: { force?: boolean; signal?: AbortSignal } = {},
): Promise<RefreshResult> {
  const result = await deps.db.transaction().execute(async (trx): Promise<RefreshResult> => {
    const row = await lockConnectionRow(trx, id);
    if (!row || row.status !== 'connected') return { status: 'not_connected' };
    const ahead = Date.now() + deps.settings.refreshAheadSeconds * 1000;
    if (!options.force && row.access_expires_at.getTime() > ahead) return { status: 'fresh', row };
    const platform = parsePlatform(row.platform);
    try {
      const provider = configuredProvider(deps.settings, platform);
      const tokens = {
        access: () => openAccessToken(deps.vault, row),
        refresh: () =>
          row.refresh_token_enc === null
            ? null
            : deps.vault.open(row.refresh_token_enc, binding(row.id, 'refresh_token_enc')),
      };
      const grant = await provider.refresh(
        deps.settings,
        tokens,
        deps.settings.requestTimeoutMs,
        options.signal,
      );
      await storeRefreshed(trx, row.id, {
        access_token_enc: deps.vault.seal(grant.accessToken, binding(row.id, 'access_token_enc')),
        access_expires_at: grant.accessExpiresAt,
        refresh_token_enc:
          grant.refreshToken === null
            ? null
            : deps.vault.seal(grant.refreshToken, binding(row.id, 'refresh_token_enc')),
        refresh_expires_at: grant.refreshExpiresAt,
        ...(grant.scopes && grant.scopes.length > 0 ? { scopes: grant.scopes } : {}),
      });
      return { status: 'refreshed', row: (await lockConnectionRow(trx, row.id))! };
    } catch (err) {
      if (!(err instanceof PlatformError)) throw err;
      if (err.kind === 'auth') {
        await markReauthNeeded(trx, row, err);
        return { status: 'reauth_needed', error: err };
      }
      const counted = await countRefreshFailure(trx, row.id, err.message);
      deps.logger?.warn(
        { connection: row.id, platform, code: err.platformCode, failures: counted?.refresh_failures },
        'token refresh failed; tried again later',
      );
      return { status: 'failed', error: err };
    }
  });
  return result;
}

/** The connection needs a person to connect it again: the status and one event, on the change only. */
export async function markReauthNeeded(
  trx: Executor,
  row: Pick<ConnectionRow, 'id' | 'account_id' | 'platform' | 'username'>,
  err: PlatformError,
): Promise<void> {
  const reason = `${err.platformCode}: ${err.message}`.slice(0, 500);
  if (!(await setConnectionStatus(trx, row.id, 'reauth_needed', reason))) return;
  await recordEvent(trx, {
    category: 'account',
    severity: 'error',
    eventType: 'connection_reauth_needed',
    accountId: row.account_id,
    message: `${row.platform} account ${row.username} must be connected again: the platform refused its token (${err.platformCode}); run sovi connect ${row.platform}:${row.username}`,
    context: { platform: row.platform, platformCode: err.platformCode, connectionId: row.id },
  });
}

/** Forgets connect requests that expired a day ago (kept that long so their starters can read the outcome). */
export async function pruneConnectRequests(db: Executor, now: Date = new Date()): Promise<void> {
  await deleteOldStates(db, new Date(now.getTime() - 86_400_000));
}

/** The refresh job: every connected token expiring within the look-ahead. */
export async function refreshDueConnections(
  deps: ConnectionDeps,
  signal?: AbortSignal,
): Promise<{ refreshed: number; reauthNeeded: number; failed: number }> {
  const due = await dueForRefresh(
    deps.db,
    new Date(Date.now() + deps.settings.refreshAheadSeconds * 1000),
    500,
  );
  const counts = { refreshed: 0, reauthNeeded: 0, failed: 0 };
  for (const { id } of due) {
    if (signal?.aborted) break;
    const r = await refreshConnection(deps, id, { signal });
    if (r.status === 'refreshed') counts.refreshed++;
    else if (r.status === 'reauth_needed') counts.reauthNeeded++;
    else if (r.status === 'failed') counts.failed++;
  }
  return counts;
}
