// The official platform connectors: the developer apps' credentials, the APIs' base URLs (configurable so
// tests point them at local fakes), the public URL the OAuth callback is reached at, which publisher each
// platform uses, and the token refresh schedule. Read by src/config.ts from the SOVI_TIKTOK_*, SOVI_META_*,
// SOVI_INSTAGRAM_* and SOVI_PUBLISHER_* variables (or a key file).
import type { Platform } from '../platforms.ts';

export interface AppCredentials {
  /** TikTok's client_key; Meta's Instagram app id. */
  readonly id: string;
  /** TikTok's client_secret; Meta's Instagram app secret. Never logged, never sent anywhere but the token endpoint. */
  readonly secret: string;
}

export interface ConnectorSettings {
  /**
   * Where people and platforms reach this sovi (SOVI_PUBLIC_URL, e.g. https://sovi.example.com): the OAuth
   * redirect URI is <publicUrl>/oauth/callback/<platform>. Unset: connecting is refused with what to set.
   */
  readonly publicUrl: string | undefined;
  readonly tiktok: {
    readonly app: AppCredentials | undefined;
    /** The Login Kit authorization page (https://www.tiktok.com/v2/auth/authorize/). */
    readonly authUrl: string;
    /** The Open API (https://open.tiktokapis.com): /v2/oauth/token/, /v2/post/publish/…. */
    readonly apiUrl: string;
    readonly scopes: readonly string[];
    /** Publish initialisations per minute per user token sovi allows itself (TikTok enforces 6). */
    readonly publishInitsPerMinute: number;
  };
  readonly instagram: {
    readonly app: AppCredentials | undefined;
    /** The Business Login authorization page (https://www.instagram.com/oauth/authorize). */
    readonly authUrl: string;
    /** Where the short-lived token is obtained (https://api.instagram.com/oauth/access_token). */
    readonly tokenUrl: string;
    /** The Instagram Graph API (https://graph.instagram.com): token exchange, refresh and publishing. */
    readonly graphUrl: string;
    /** The Graph API version in paths (v23.0). */
    readonly graphVersion: string;
    readonly scopes: readonly string[];
  };
  /** Per platform: 'simulator', 'official', or the path of a publisher module (default: SOVI_PUBLISHER). */
  readonly publishers: Readonly<Record<Platform, string>>;
  /** When due token refreshes run. */
  readonly refreshCron: string;
  /** Tokens expiring within this many seconds are refreshed (by the job, and before a call). */
  readonly refreshAheadSeconds: number;
  /** How long an authorization request (its state) stays valid. */
  readonly stateTtlSeconds: number;
  /** Each call to a platform gives up after this long. */
  readonly requestTimeoutMs: number;
}

export const defaultConnectorSettings = {
  tiktokAuthUrl: 'https://www.tiktok.com/v2/auth/authorize/',
  tiktokApiUrl: 'https://open.tiktokapis.com',
  // user.info.basic for the open_id; video.publish for Direct Post; video.list and user.info.stats (the
  // follower count: https://developers.tiktok.com/doc/tiktok-api-v2-get-user-info) for the metrics collectors.
  tiktokScopes: ['user.info.basic', 'video.publish', 'video.list', 'user.info.stats'],
  tiktokPublishInitsPerMinute: 6,
  instagramAuthUrl: 'https://www.instagram.com/oauth/authorize',
  instagramTokenUrl: 'https://api.instagram.com/oauth/access_token',
  instagramGraphUrl: 'https://graph.instagram.com',
  instagramGraphVersion: 'v23.0',
  // manage_insights for the metrics collectors' media insights.
  instagramScopes: [
    'instagram_business_basic',
    'instagram_business_content_publish',
    'instagram_business_manage_insights',
  ],
  refreshCron: '*/10 * * * *',
  refreshAheadSeconds: 3_600,
  stateTtlSeconds: 900,
  requestTimeoutMs: 30_000,
} as const;

/**
 * The key file (SOVI_CONNECTOR_KEY_FILE, mode 0600): JSON
 * {"tiktok": {"clientKey", "clientSecret"}, "instagram": {"appId", "appSecret"}}; either part may be absent.
 */
export interface ConnectorKeyFile {
  tiktok?: { clientKey: string; clientSecret: string };
  instagram?: { appId: string; appSecret: string };
}
