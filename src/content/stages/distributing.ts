// Distributing: plan a post per account that can take the content (each at its account's next slot), and
// queue their publish jobs at those slots. Content its niche's policy sends to review (reviewModeFor) enters
// the review queue instead: with `required` its posts wait, with no job, for a reviewer's approval; with
// `optional` they are queued all the same. Once a reviewer decided, nothing more is planned. With no account
// able to take it yet, the content waits (one no_distribution_targets event) and the sweep plans it again
// later. The content completes when its distributions settle (publishing), not here.
import { recordActivity } from '../../activity/activity-log.ts';
import { planDistributions } from '../../distributions/distribution-planner.ts';
import { listDistributions } from '../../distributions/distributions-reads.ts';
import { recordEvent } from '../../events/events-service.ts';
import { queuePublishes } from '../../distributions/calendar-service.ts';
import { reviewModeFor } from '../content-policy.ts';
import { requestReview } from '../review-service.ts';
import type { Script } from '../content-model.ts';
import { markWaitingRow, type StageContentRow } from '../content-repository.ts';
import type { PipelineDeps, StageResult } from '../pipeline.ts';
import { formatOf, stageData } from '../stage-transitions.ts';

export async function distributing(deps: PipelineDeps, content: StageContentRow): Promise<StageResult> {
  const script = content.script_json as Script | null;
  if (!script) throw new Error('there is no script to caption the posts with');
  const format = formatOf(deps, content);
  if (content.review_state === 'approved' || content.review_state === 'rejected')
    return { status: 'advanced', to: 'distributing' };
  const review = reviewModeFor(deps.policy, content.niche_slug, script.writer);
  const now = deps.now?.() ?? new Date();
  return deps.db.transaction().execute(async (trx) => {
    const planned = await planDistributions(
      trx,
      {
        contentId: content.id,
        nicheId: content.niche_id,
        format: format.name,
        script,
        attribution: attributionOf(content.asset_manifest),
      },
      deps.policy,
      now,
      review === 'required' ? 'awaiting' : null,
      deps.connectionRequired,
    );
    if (planned.length > 0) {
      if (review !== 'off') await requestReview(trx, content, planned.length, review === 'optional', now);
      if (review !== 'required') {
        await queuePublishes(
          trx,
          deps.sink,
          planned.map((p) => ({ ...p, contentId: content.id })),
          now,
        );
      }
      await recordActivity(
        trx,
        planned.map((p) => ({
          account_id: p.accountId,
          action_type: 'distribution_planned',
          detail: { contentId: content.id, distributionId: p.id, platform: p.platform },
        })),
      );
      return { status: 'advanced' as const, to: 'distributing' as const };
    }
    const { distributions } = await listDistributions(trx, { contentId: content.id, limit: 1 });
    if (distributions.length > 0) return { status: 'advanced' as const, to: 'distributing' as const };
    const waiting = (
      stageData(content.asset_manifest, 'distributing') as { waitingSince?: string } | undefined
    )?.waitingSince;
    if (!waiting) {
      await markWaitingRow(trx, content.id);
      await recordEvent(trx, {
        category: 'content',
        severity: 'warning',
        eventType: 'no_distribution_targets',
        message: `"${content.topic}" is ready, but no account can take it now (niche, state, cadence or quota); it will be tried again`,
        context: { contentId: content.id, niche: content.niche_slug, format: format.name },
      });
    }
    return { status: 'waiting' as const };
  });
}

/** The music attribution the assembling stage asked to append to the caption, if any. */
function attributionOf(manifest: unknown): string | null {
  const assembled = stageData(manifest, 'assembling') as { attributionInCaption?: unknown } | undefined;
  return typeof assembled?.attributionInCaption === 'string' ? assembled.attributionInCaption : null;
}
