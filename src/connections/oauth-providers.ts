// What differs between the platforms' OAuth flows, in one table over the platform list: a new platform does
// not compile until it has an entry, where a `platform === 'tiktok' ? … : …` would quietly treat it as the
// other one. connections-service.ts runs the flow (state, sealing, audit, the row lock) the same for all.
import type { Platform } from '../platforms.ts';
import type { AppCredentials, ConnectorSettings } from '../settings/connector-settings.ts';
import type { TokenGrant } from './connection-model.ts';
import { instagramAuthorizeUrl, instagramExchangeCode, instagramRefresh } from './instagram-api.ts';
import { PlatformError } from './platform-http.ts';
import { tiktokAuthorizeUrl, tiktokExchangeCode, tiktokRefresh } from './tiktok-api.ts';

/** A refresh's answer: new tokens, and the scopes when the platform restates them. */
export type RefreshedGrant = Omit<TokenGrant, 'platformUserId' | 'scopes'> & { scopes?: string[] };

/** A connection's sealed tokens, opened only when a provider asks for one. */
export interface HeldTokens {
  access(): string;
  refresh(): string | null;
}

export interface OAuthProvider {
  /** The variables that configure the developer app, named when it is missing. */
  readonly appVariables: readonly [id: string, secret: string];
  app(settings: ConnectorSettings): AppCredentials | undefined;
  /**
   * Whether the flow uses PKCE (RFC 7636): the service then makes a verifier, seals it with the state, and
   * hands it to authorizeUrl and exchangeCode; without PKCE they get null.
   */
  readonly pkce: boolean;
  authorizeUrl(
    settings: ConnectorSettings,
    input: { state: string; redirectUri: string; codeVerifier: string | null },
  ): string;
  exchangeCode(
    settings: ConnectorSettings,
    input: { code: string; redirectUri: string; codeVerifier: string | null },
    timeoutMs: number,
  ): Promise<TokenGrant>;
  refresh(
    settings: ConnectorSettings,
    tokens: HeldTokens,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<RefreshedGrant>;
}

const verifier = (codeVerifier: string | null): string => {
  // The service makes one whenever `pkce` is set; its absence is a bug, not a person's mistake.
  if (codeVerifier === null) throw new Error('a PKCE flow needs its code verifier');
  return codeVerifier;
};

export const oauthProviders: Readonly<Record<Platform, OAuthProvider>> = {
  tiktok: {
    appVariables: ['SOVI_TIKTOK_CLIENT_KEY', 'SOVI_TIKTOK_CLIENT_SECRET'],
    app: (settings) => settings.tiktok.app,
    pkce: true,
    authorizeUrl: (settings, input) =>
      tiktokAuthorizeUrl(settings.tiktok, { ...input, codeVerifier: verifier(input.codeVerifier) }),
    exchangeCode: (settings, input, timeoutMs) =>
      tiktokExchangeCode(
        settings.tiktok,
        { ...input, codeVerifier: verifier(input.codeVerifier) },
        timeoutMs,
      ),
    refresh: (settings, tokens, timeoutMs, signal) => {
      const refreshToken = tokens.refresh();
      if (refreshToken === null)
        throw new PlatformError(
          'tiktok',
          'auth',
          'no_refresh_token',
          'TikTok connection has no refresh token',
        );
      return tiktokRefresh(settings.tiktok, refreshToken, timeoutMs, signal);
    },
  },
  instagram: {
    appVariables: ['SOVI_META_APP_ID', 'SOVI_META_APP_SECRET'],
    app: (settings) => settings.instagram.app,
    pkce: false,
    authorizeUrl: (settings, input) => instagramAuthorizeUrl(settings.instagram, input),
    exchangeCode: (settings, input, timeoutMs) => instagramExchangeCode(settings.instagram, input, timeoutMs),
    // Business Login's long-lived token is refreshed with itself; there is no refresh token.
    refresh: (settings, tokens, timeoutMs, signal) =>
      instagramRefresh(settings.instagram, tokens.access(), timeoutMs, signal),
  },
};
