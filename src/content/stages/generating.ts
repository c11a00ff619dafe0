// Generating: the voice-over and the background, in the content's media folder.
import path from 'node:path';
import { recordEvent } from '../../events/events-service.ts';
import type { Script } from '../content-model.ts';
import type { StageContentRow } from '../content-repository.ts';
import type { PipelineDeps, StageResult } from '../pipeline.ts';
import { advance, formatOf } from '../stage-transitions.ts';

export async function generating(
  deps: PipelineDeps,
  content: StageContentRow,
  signal: AbortSignal,
): Promise<StageResult> {
  const script = content.script_json as Script | null;
  if (!script) throw new Error('there is no script to voice');
  const assets = await deps.media.generate({
    contentId: content.id,
    script,
    format: formatOf(deps, content).name,
    nicheSlug: content.niche_slug,
    dir: path.join(deps.mediaDir, content.id),
    wordsPerMinute: deps.policy.wordsPerMinute,
    signal,
    // A voice that fell back (or any other notice of the media stages) is an event on the content.
    notify: async (notice) => {
      await recordEvent(deps.db, {
        category: 'content',
        severity: 'warning',
        eventType: notice.eventType,
        message: `"${content.topic}": ${notice.message}`,
        context: { ...notice.context, contentId: content.id },
      });
    },
  });
  return deps.db
    .transaction()
    .execute((trx) => advance(deps, trx, content, 'generating', { ...assets, media: deps.media.name }));
}
