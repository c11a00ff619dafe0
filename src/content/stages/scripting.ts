// Scripting: a hook (the one a resumed stage already chose, or one picked by Thompson sampling) and a
// script from the primary writer, or from the fallback writer when the primary fails.
import { recordEvent } from '../../events/events-service.ts';
import { renderHook } from '../../hooks/hook-model.ts';
import { getHook, pickHook, recordHookUse } from '../../hooks/hooks-service.ts';
import { platforms } from '../../platforms.ts';
import type { Script } from '../content-model.ts';
import type { StageContentRow } from '../content-repository.ts';
import type { PipelineDeps, StageResult } from '../pipeline.ts';
import { advance, formatOf } from '../stage-transitions.ts';

export async function scripting(
  deps: PipelineDeps,
  content: StageContentRow,
  signal: AbortSignal,
): Promise<StageResult> {
  const format = formatOf(deps, content);
  const platform = format.platforms[0] ?? platforms[0];
  // A resumed stage keeps the hook it chose; a first run chooses one (Thompson sampling).
  const hook = content.hook_id
    ? await getHook(deps.db, content.hook_id)
    : await pickHook(deps.db, { nicheId: content.niche_id, platform }, deps.random);
  const niche =
    content.niche_slug && content.niche_name ? { slug: content.niche_slug, name: content.niche_name } : null;
  const request = {
    topic: content.topic,
    niche,
    format: format.name,
    hook: hook
      ? {
          line: renderHook(hook.template, { topic: content.topic, niche: niche?.name ?? '' }),
          category: hook.category,
        }
      : null,
    signal,
  };
  let script: Script;
  let fallback: { writer: string; reason: string } | undefined;
  try {
    script = await deps.writers.primary.write(request);
  } catch (err) {
    if (signal.aborted || !deps.writers.fallback) throw err;
    fallback = {
      writer: deps.writers.primary.name,
      reason: err instanceof Error ? err.message : String(err),
    };
    script = await deps.writers.fallback.write(request);
  }
  return deps.db.transaction().execute(async (trx) => {
    if (fallback) {
      await recordEvent(trx, {
        category: 'content',
        severity: 'warning',
        eventType: 'script_writer_fallback',
        message: `the ${fallback.writer} script writer failed for "${content.topic}" (${fallback.reason}); used the ${script.writer} writer`,
        context: { contentId: content.id, ...fallback },
      });
    }
    if (hook && content.hook_id === null)
      await recordHookUse(trx, hook.id, { contentId: content.id, platform });
    return advance(
      deps,
      trx,
      content,
      'scripting',
      {
        writer: script.writer,
        ...(fallback ? { fallbackFrom: fallback.writer } : {}),
        hookId: hook?.id ?? null,
      },
      { script_json: JSON.stringify(script), hook_id: hook?.id ?? null },
    );
  });
}
