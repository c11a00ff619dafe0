// The official metrics collectors' tokens, from the connections domain: the TokenProvider the collector
// contract asks for (src/plugins/metrics-collector.ts), over connection-access.ts. An account with no usable
// connection (none, reauth_needed, revoked) answers null, so it is never given to a collector that needs one.
import type { Platform } from '../platforms.ts';
import type { TokenProvider } from '../plugins/metrics-collector.ts';
import { accessFor, afterRejected, markCallSucceeded, type PlatformAccess } from './connection-access.ts';
import type { ConnectionDeps } from './connections-service.ts';
import { PlatformError } from './platform-http.ts';

export function connectionTokens(deps: ConnectionDeps): TokenProvider {
  // The access last handed out per account, for rejected/succeeded to name its connection.
  const handedOut = new Map<string, PlatformAccess>();
  const keyOf = (accountId: string, platform: Platform) => `${platform}:${accountId}`;
  return {
    async accessFor(accountId, platform) {
      try {
        const access = await accessFor(deps, accountId, platform);
        handedOut.set(keyOf(accountId, platform), access);
        return { accessToken: access.accessToken, platformUserId: access.platformUserId };
      } catch (err) {
        if (err instanceof PlatformError && err.kind === 'auth') return null;
        throw err;
      }
    },
    async rejected(accountId, platform) {
      const access = handedOut.get(keyOf(accountId, platform));
      if (!access) return;
      handedOut.delete(keyOf(accountId, platform));
      // Refreshes the token once, or marks the connection reauth_needed with its one event; the next pull
      // asks accessFor again. A refresh that failed for a passing reason is the next pull's to retry.
      await afterRejected(
        deps,
        access,
        new PlatformError(platform, 'auth', 'token_rejected', `${platform} refused the access token`),
      ).catch((err: unknown) => {
        if (!(err instanceof PlatformError)) throw err;
      });
    },
    async succeeded(accountId, platform) {
      const access = handedOut.get(keyOf(accountId, platform));
      if (access) await markCallSucceeded(deps.db, access);
    },
  };
}
