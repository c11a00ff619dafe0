// What the MCP action tools act on, seeded the same way for the stdio and the HTTP test: a production that
// failed at a stage, a failed post, a live post, and two pieces awaiting review with a planned post each.
import type pg from 'pg';
import { factories } from '../helpers/factories.ts';

export async function seedActionTargets(pool: pg.Pool, nicheId: unknown, accountId: unknown) {
  const piece = (values: Record<string, unknown>) =>
    factories.content(pool, { niche_id: nicheId, output_path: '/tmp/video.mp4', ...values });
  const failedContent = await piece({
    production_status: 'failed',
    asset_manifest: JSON.stringify({
      failure: { stage: 'generating', reason: 'voice timed out', at: '2026-01-01T00:00:00.000Z' },
    }),
  });
  const failedPost = await factories.distribution(pool, {
    content_id: (await piece({ production_status: 'complete' })).id,
    account_id: accountId,
    status: 'failed',
  });
  const livePost = await factories.distribution(pool, {
    content_id: (await piece({ production_status: 'complete' })).id,
    account_id: accountId,
    status: 'posted',
    platform_post_id: '17900000000000001',
    posted_at: new Date(Date.now() - 86_400_000),
  });
  const awaiting = async () => {
    const content = await piece({
      production_status: 'distributing',
      review_state: 'awaiting',
      review_requested_at: new Date(),
    });
    const planned = await factories.distribution(pool, {
      content_id: content.id,
      account_id: accountId,
      review: 'awaiting',
      caption: 'planned caption',
      scheduled_at: new Date(Date.now() + 3_600_000),
    });
    return { id: content.id as string, post: planned.id as string };
  };
  return { failedContent, failedPost, livePost, toApprove: await awaiting(), toReject: await awaiting() };
}
