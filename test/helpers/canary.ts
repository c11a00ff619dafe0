// Plaintext canaries: every secret the tests store is registered here, and the places secrets must never
// reach (events, activity, logs, stderr, non-reveal output) are scanned for them, raw, base64 and hex.
import { randomBytes } from 'node:crypto';
import type pg from 'pg';

const canaries = new Set<string>();

/**
 * Forgets the canaries of the files run before in this process. Test files share one module cache (the
 * "shared" project in vitest.config.ts), so without this a file's closing scan would look for every earlier
 * file's canaries too: thousands of them by the end of a run, in rows that file never wrote.
 */
export function forgetCanaries(): void {
  canaries.clear();
}

export function canary(kind: string): string {
  const value = `canary-${kind}-${randomBytes(6).toString('hex')}`;
  canaries.add(value);
  return value;
}

/** A TOTP secret is base32, so it cannot carry the canary- prefix; it is registered all the same. */
export function canaryTotpSecret(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const value = Array.from(randomBytes(32), (b) => alphabet[b % 32]).join('');
  canaries.add(value);
  return value;
}

/** A secret made elsewhere (a fake platform's token), scanned for like the others. */
export function registerCanary(value: string): void {
  canaries.add(value);
}

export function forms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  return [value, bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex')];
}

export function findCanaries(text: string): string[] {
  return [...canaries].filter((c) => forms(c).some((f) => text.includes(f)));
}

/** Scans the tables secrets must never reach. Secret columns hold ciphertext, which is the point. */
export async function scanDatabaseForCanaries(pool: pg.Pool): Promise<string[]> {
  if (canaries.size === 0) return [];
  const { rows } = await pool.query<{ text: string }>(`
    SELECT row_to_json(e)::text AS text FROM system_events e
    UNION ALL SELECT row_to_json(l)::text FROM activity_log l
    UNION ALL SELECT row_to_json(a)::text FROM (
      SELECT id, platform, username, bio, profile_pic_url, current_state FROM accounts) a
    UNION ALL SELECT row_to_json(p)::text FROM platform_publishes p
    UNION ALL SELECT row_to_json(c)::text FROM (
      SELECT id, platform_user_id, scopes, status, status_reason, posting_note, last_refresh_error, connected_by
      FROM platform_connections) c
    UNION ALL SELECT row_to_json(s)::text FROM (
      SELECT started_by, outcome, outcome_message FROM oauth_states) s`);
  return findCanaries(rows.map((r) => r.text).join('\n'));
}
