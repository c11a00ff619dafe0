// What a fault must never do to the data: run a session twice, give an account or a device two sessions
// at once, or publish a distribution twice. Counted in SQL; each list should come back empty.
import type pg from 'pg';
import { expect } from 'vitest';

export interface IntegrityReport {
  /** session_key with more than one warming_progress row. */
  duplicateSessions: unknown[];
  /** Accounts (or devices) with two sessions whose run times overlap. */
  overlappingAccountSessions: unknown[];
  overlappingDeviceSessions: unknown[];
  /** Devices still leased to a session that is already over. */
  staleLeases: unknown[];
  /** (content, account) pairs with more than one distribution. */
  duplicateDistributions: unknown[];
  /** Distributions published more than once: several publish events, or a post other than the platform's. */
  republished: unknown[];
  /**
   * Posts the platform made whose distribution sovi has not recorded as posted: the fault hit between the
   * two. They must still be pending, so that the retry (same idempotency key) records that very post.
   */
  unrecordedPosts: { id: string; status: string }[];
  /** The simulator platform's posts: more than one per distribution is impossible by its key. */
  platformPosts: number;
  posted: number;
}

export async function checkIntegrity(pool: pg.Pool): Promise<IntegrityReport> {
  const q = async (text: string) => (await pool.query(text)).rows;
  return {
    duplicateSessions: await q(
      `SELECT session_key, count(*)::int AS n FROM warming_progress
        WHERE session_key IS NOT NULL GROUP BY session_key HAVING count(*) > 1`,
    ),
    overlappingAccountSessions: await q(
      `SELECT a.account_id, a.session_key, b.session_key AS other FROM warming_progress a
         JOIN warming_progress b ON a.account_id = b.account_id AND a.id < b.id
        WHERE tstzrange(a.started_at, coalesce(a.completed_at, 'infinity')) &&
              tstzrange(b.started_at, coalesce(b.completed_at, 'infinity'))`,
    ),
    overlappingDeviceSessions: await q(
      `SELECT a.device_id, a.session_key, b.session_key AS other FROM warming_progress a
         JOIN warming_progress b ON a.device_id = b.device_id AND a.id < b.id
        WHERE tstzrange(a.started_at, coalesce(a.completed_at, 'infinity')) &&
              tstzrange(b.started_at, coalesce(b.completed_at, 'infinity'))`,
    ),
    staleLeases: await q(
      `SELECT d.id, d.current_session_key FROM devices d
         JOIN warming_progress w ON w.session_key = d.current_session_key
        WHERE w.completed_at IS NOT NULL`,
    ),
    duplicateDistributions: await q(
      `SELECT content_id, account_id, count(*)::int AS n FROM distributions
        GROUP BY content_id, account_id HAVING count(*) > 1`,
    ),
    republished: await q(
      `SELECT d.id, d.platform_post_id, p.platform_post_id AS platform_post,
              (SELECT count(*)::int FROM system_events e
                WHERE e.event_type = 'post_published' AND e.context->>'distributionId' = d.id::text) AS events
         FROM distributions d LEFT JOIN simulated_posts p ON p.idempotency_key = d.id::text
        WHERE d.status = 'posted'
          AND (p.platform_post_id IS DISTINCT FROM d.platform_post_id
               OR (SELECT count(*) FROM system_events e
                    WHERE e.event_type = 'post_published' AND e.context->>'distributionId' = d.id::text) <> 1)`,
    ),
    unrecordedPosts: (await q(
      `SELECT d.id, d.status FROM simulated_posts p JOIN distributions d ON d.id::text = p.idempotency_key
        WHERE p.posted_at IS NOT NULL AND d.status <> 'posted'`,
    )) as { id: string; status: string }[],
    platformPosts: (await q(`SELECT count(*)::int AS n FROM simulated_posts WHERE posted_at IS NOT NULL`))[0]
      .n as number,
    posted: (await q(`SELECT count(*)::int AS n FROM distributions WHERE status = 'posted'`))[0].n as number,
  };
}

/** The assertions every fault test makes of the report: nothing ran or was published twice, nothing lost. */
export function expectNothingTwice(integrity: IntegrityReport): void {
  expect(integrity).toMatchObject({
    duplicateSessions: [],
    overlappingAccountSessions: [],
    overlappingDeviceSessions: [],
    staleLeases: [],
    duplicateDistributions: [],
    republished: [],
  });
  expect(integrity.unrecordedPosts.filter((p) => p.status !== 'pending')).toEqual([]);
}
