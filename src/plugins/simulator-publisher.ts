// The simulator publisher: posts nothing anywhere. It stands in for a platform with a table of "posts"
// keyed by idempotency key, so that retries behave as a real idempotent API would, and it fails, and later
// reports posts removed, at configurable rates, deterministically for a seed and distribution. It records
// the options and slot of the latest attempt, as a platform would show them on the post.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import { PublishError, requireVideo, type Publisher, type PublisherContext } from './publisher.ts';
import { sleep } from '../time.ts';
import { parseOptions } from '../settings/parse-options.ts';
import { rate, roll, seedOption } from './simulation.ts';

const optionsSchema = z
  .object({
    seed: seedOption,
    /** Share of attempts that fail and are worth retrying (rate limits, network). */
    transientFailureRate: rate.default(0.05),
    /** Share of distributions the platform refuses for good. */
    rejectionRate: rate.default(0.01),
    /** Share of posts later reported removed. */
    removalRate: rate.default(0.02),
    delayMs: z.number().int().min(0).max(60_000).default(0),
  })
  .strict();

export function createSimulatorPublisher(
  input: Readonly<Record<string, unknown>>,
  context: PublisherContext,
): Publisher {
  const o = parseOptions(optionsSchema, input, 'SOVI_PUBLISHER_OPTIONS');
  const seed = String(o.seed);
  return {
    name: 'simulator',
    publish: async (request) => {
      if (o.delayMs > 0) await sleep(o.delayMs, request.signal);
      request.signal.throwIfAborted();
      // Every attempt is counted against the key; a key the "platform" already posted returns that post.
      const { rows } = await sql<{
        attempts: number;
        platform_post_id: string | null;
        posted_at: Date | null;
      }>`
        INSERT INTO simulated_posts (idempotency_key, platform, options, scheduled_at)
        VALUES (${request.idempotencyKey}, ${request.platform}, ${JSON.stringify(request.options)}::jsonb, ${request.scheduledAt})
        ON CONFLICT (idempotency_key) DO UPDATE SET attempts = simulated_posts.attempts + 1,
          options = excluded.options, scheduled_at = excluded.scheduled_at
        RETURNING attempts, platform_post_id, posted_at`.execute(context.db);
      const post = rows[0]!;
      if (post.platform_post_id !== null && post.posted_at !== null) {
        return { platformPostId: post.platform_post_id, postedAt: post.posted_at };
      }
      if (context.media) await requireVideo(context.media, request.videoKey);
      if (roll(seed, request.idempotencyKey, 'reject') < o.rejectionRate) {
        throw new PublishError('simulated rejection: the platform refused this video', false);
      }
      if (roll(seed, request.idempotencyKey, 'transient', post.attempts) < o.transientFailureRate) {
        throw new PublishError('simulated transient failure: the platform timed out', true);
      }
      const postId = `sim_${request.platform}_${createHash('sha256').update(`${seed}:${request.idempotencyKey}`).digest('hex').slice(0, 16)}`;
      const posted = await sql<{ posted_at: Date }>`
        UPDATE simulated_posts SET platform_post_id = ${postId}, posted_at = now()
        WHERE idempotency_key = ${request.idempotencyKey} RETURNING posted_at`.execute(context.db);
      return { platformPostId: postId, postedAt: posted.rows[0]!.posted_at };
    },
    status: async (post) => {
      const { rows } = await sql<{ idempotency_key: string; removed: boolean }>`
        SELECT idempotency_key, removed FROM simulated_posts WHERE platform_post_id = ${post.platformPostId}`.execute(
        context.db,
      );
      const row = rows[0];
      if (!row) return 'unknown';
      if (row.removed || roll(seed, row.idempotency_key, 'removed') < o.removalRate) {
        await sql`UPDATE simulated_posts SET removed = true WHERE platform_post_id = ${post.platformPostId}`.execute(
          context.db,
        );
        return 'removed';
      }
      return 'live';
    },
  };
}
