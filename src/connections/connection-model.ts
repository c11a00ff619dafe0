// A connection: one account's grant to sovi on one platform's official API (OAuth), with its tokens sealed
// in the vault. Its status is what the dashboard and `sovi connections list` show; `reauth_needed` means a
// person must connect the account again (a refresh was refused), `revoked` that the grant was withdrawn.
import type { OneOf } from '../errors.ts';
import type { Platform } from '../platforms.ts';

export const connectionStatuses = ['connected', 'reauth_needed', 'revoked'] as const;
export type ConnectionStatus = OneOf<typeof connectionStatuses>;

export interface Connection {
  id: string;
  accountId: string;
  username: string;
  platform: Platform;
  platformUserId: string;
  scopes: string[];
  status: ConnectionStatus;
  statusReason: string | null;
  /** What limits posting, as the platform says (e.g. an unaudited TikTok client posts privately only). */
  postingNote: string | null;
  accessExpiresAt: Date;
  refreshExpiresAt: Date | null;
  lastRefreshedAt: Date | null;
  lastCallAt: Date | null;
  connectedBy: string;
  connectedAt: Date;
}

/** The tokens a platform answers an authorization or a refresh with, before they are sealed. */
export interface TokenGrant {
  accessToken: string;
  /** Absent for Instagram: its long-lived token is refreshed with itself. */
  refreshToken: string | null;
  accessExpiresAt: Date;
  refreshExpiresAt: Date | null;
  platformUserId: string;
  scopes: string[];
}

/** Where a connect request stands, as the person who started it sees it. */
export type ConnectOutcome =
  | { status: 'pending'; expiresAt: Date }
  | { status: 'connected'; message: string }
  | { status: 'failed'; message: string }
  | { status: 'expired' };
