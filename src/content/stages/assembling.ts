// Assembling: the video from the script and the generated assets, then its quality checks. A video below
// the policy's score, or failing a required check, fails the production (the video is kept for a look).
import path from 'node:path';
import type { Script } from '../content-model.ts';
import { videoKeyOf } from '../../media/media-keys.ts';
import { recordRenderRow, type StageContentRow } from '../content-repository.ts';
import type { GeneratedAssets } from '../../plugins/media-stages.ts';
import type { PipelineDeps, StageResult } from '../pipeline.ts';
import { advance, fail, formatOf, stageData } from '../stage-transitions.ts';

export async function assembling(
  deps: PipelineDeps,
  content: StageContentRow,
  signal: AbortSignal,
): Promise<StageResult> {
  const script = content.script_json as Script | null;
  const assets = stageData(content.asset_manifest, 'generating') as GeneratedAssets | undefined;
  if (!script || !assets?.voice || !assets.background)
    throw new Error('the voice-over and background are missing: retry from generating');
  const format = formatOf(deps, content);
  const video = await deps.media.assemble({
    contentId: content.id,
    script,
    nicheSlug: content.niche_slug,
    assets,
    outFile: path.join(deps.mediaDir, content.id, 'video.mp4'),
    signal,
  });
  const quality = await deps.media.check({
    file: video.outputPath,
    script,
    nicheSlug: content.niche_slug,
    assets,
    details: video.details,
    captions: video.captions,
    minSeconds: format.minSeconds,
    maxSeconds: format.maxSeconds,
    blackFrameMaxSeconds: deps.policy.quality.blackFrameMaxSeconds,
    signal,
  });
  const data = {
    outputPath: video.outputPath,
    durationSeconds: video.durationSeconds,
    captions: video.captions.length,
    ...video.details,
    quality,
  };
  const required = new Set(deps.policy.quality.requiredChecks);
  const failedRequired = quality.checks.filter((c) => !c.passed && required.has(c.name));
  if (quality.score < deps.policy.quality.minScore || failedRequired.length > 0) {
    const failed = quality.checks
      .filter((c) => !c.passed)
      .map((c) => `${c.name} (${String(c.value)}; expected ${c.expected})`);
    await recordRenderRow(deps.db, content.id, { outputPath: video.outputPath, qualityScore: quality.score });
    const why =
      quality.score < deps.policy.quality.minScore
        ? `quality ${quality.score.toFixed(2)} is below ${deps.policy.quality.minScore}`
        : `quality ${quality.score.toFixed(2)}, but a required check failed`;
    return fail(deps, content, 'assembling', `${why}: ${failed.join(', ')}`, { quality });
  }
  // Into the media store before the content moves on: a publish on another host must find it there.
  if (deps.store) await deps.store.put(videoKeyOf(content.id), video.outputPath, signal);
  return deps.db.transaction().execute((trx) =>
    advance(deps, trx, content, 'assembling', data, {
      output_path: video.outputPath,
      quality_score: quality.score,
    }),
  );
}
