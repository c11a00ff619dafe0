// Hooks: adding, importing, choosing one for a piece of content (Thompson sampling over what the feedback
// loop learned, or the priors until it has), and recording its uses and scores. Listings are hooks-reads.ts.
import { recordActivity } from '../activity/activity-log.ts';
import { nicheIdsBySlug, resolveNiche } from '../niches/niches-service.ts';
import { checkHeader, decimal, fieldsByName, importRefused, readCsv } from '../csv-import.ts';
import { invalidInput, notFound } from '../errors.ts';
import type { Executor } from '../db/executor.ts';
import { diffChanges, recordAudit, recordImport } from '../audit/audit-service.ts';
import { inTransaction } from '../db/in-transaction.ts';
import { isUuid } from '../ids.ts';
import { unknownPlaceholders, type Hook, type HookScores, type PlatformScore } from './hook-model.ts';
import { chooseHook } from './hook-selector.ts';
import {
  competingHooks,
  findHook,
  incrementUsage,
  insertHook,
  insertHooks,
  updateHookRow,
  updateScores,
  type HookUpdate,
  type HookRow,
} from './hooks-repository.ts';

const SNAKE = /^[a-z][a-z0-9_]*$/;

export function toHook(row: HookRow): Hook {
  return {
    id: row.id,
    category: row.category,
    template: row.template,
    nicheId: row.niche_id,
    nicheSlug: row.niche_slug,
    effectivenessScore: row.effectiveness_score,
    usageCount: row.usage_count,
    platformScores: (row.platform_scores ?? {}) as Partial<Record<string, PlatformScore>>,
    createdAt: row.created_at,
    retiredAt: row.retired_at,
  };
}

export interface NewHook {
  category: string;
  template: string;
  niche?: string;
  /** A prior for how well it will do, 0–1, until outcomes come in. */
  effectivenessScore?: number;
}

function checkHook(input: NewHook, at = ''): { category: string; template: string } {
  const category = input.category.trim();
  const template = input.template.trim();
  if (!SNAKE.test(category))
    throw invalidInput(
      'category',
      `${at}category: expected snake_case like curiosity_gap, got "${input.category}"`,
    );
  if (template.length < 5 || template.length > 300) {
    throw invalidInput('template', `${at}template: expected 5–300 characters, got ${template.length}`);
  }
  const unknown = unknownPlaceholders(template);
  if (unknown.length > 0) {
    throw invalidInput(
      'template',
      `${at}template: unknown placeholder(s) ${unknown.map((u) => `{${u}}`).join(', ')}; use {topic} and {niche}`,
    );
  }
  const score = input.effectivenessScore;
  if (score !== undefined && (!Number.isFinite(score) || score < 0 || score > 1)) {
    throw invalidInput(
      'effectiveness_score',
      `${at}effectiveness_score: expected a number from 0 to 1, got ${score}`,
    );
  }
  return { category, template };
}

/** A hook as the audit trail names it: its text, shortened. */
const hookLabel = (template: string) => (template.length > 80 ? `${template.slice(0, 79)}…` : template);

export async function addHook(db: Executor, input: NewHook, actor = 'system'): Promise<Hook> {
  const { category, template } = checkHook(input);
  return inTransaction(db, async (trx) => {
    const id = await insertHook(trx, {
      category,
      template,
      niche_id: input.niche ? await resolveNiche(trx, input.niche) : null,
      effectiveness_score: input.effectivenessScore ?? null,
    });
    await recordAudit(trx, {
      actor,
      action: 'hook.create',
      targetType: 'hook',
      targetId: id,
      targetLabel: hookLabel(template),
      changes: diffChanges(undefined, {
        category,
        template,
        niche: input.niche ?? null,
        effectivenessScore: input.effectivenessScore ?? null,
      }),
    });
    return getHook(trx, id);
  });
}

export interface HookChanges {
  category?: string;
  template?: string;
  /** A niche's slug, or null for any niche. */
  niche?: string | null;
  effectivenessScore?: number | null;
  retired?: boolean;
}

/**
 * Changes a hook's text, category, niche or prior, checked as a new hook is; its use counts and scores stay.
 * `retired` retires it (the selector stops picking it; content made with it keeps it) or puts it back.
 */
export async function updateHook(
  db: Executor,
  id: string,
  changes: HookChanges,
  actor = 'system',
): Promise<Hook> {
  if (Object.keys(changes).length === 0) {
    throw invalidInput('changes', 'nothing to update: give at least one value to change');
  }
  return inTransaction(db, async (trx) => {
    const hook = await getHook(trx, id);
    const checked = checkHook({
      category: changes.category ?? hook.category,
      template: changes.template ?? hook.template,
      effectivenessScore: changes.effectivenessScore ?? undefined,
    });
    const values: HookUpdate = {};
    if (changes.category !== undefined) values.category = checked.category;
    if (changes.template !== undefined) values.template = checked.template;
    if (changes.niche !== undefined) {
      values.niche_id = changes.niche === null ? null : await resolveNiche(trx, changes.niche, 'niche');
    }
    if (changes.effectivenessScore !== undefined) values.effectiveness_score = changes.effectivenessScore;
    // Retiring twice keeps the first time.
    if (changes.retired !== undefined && changes.retired !== (hook.retiredAt !== null)) {
      values.retired_at = changes.retired ? new Date() : null;
    }
    if (Object.keys(values).length === 0) return hook;
    await updateHookRow(trx, hook.id, values);
    const updated = await getHook(trx, hook.id);
    const audited = (h: Hook) => ({
      category: h.category,
      template: h.template,
      niche: h.nicheSlug,
      effectivenessScore: h.effectivenessScore,
      retired: h.retiredAt !== null,
    });
    const retiring = values.retired_at !== undefined && Object.keys(values).length === 1;
    await recordAudit(trx, {
      actor,
      action: retiring ? (changes.retired ? 'hook.retire' : 'hook.restore') : 'hook.update',
      targetType: 'hook',
      targetId: hook.id,
      targetLabel: hookLabel(updated.template),
      changes: diffChanges(audited(hook), audited(updated)),
    });
    return updated;
  });
}

export async function getHook(db: Executor, id: string): Promise<Hook> {
  const row = isUuid(id) ? await findHook(db, id) : undefined;
  if (!row) throw notFound('hook', id);
  return toHook(row);
}

const importColumns = ['category', 'template', 'niche', 'effectiveness_score'] as const;

/** Imports hooks from CSV: every row checked first, every bad line reported, then all or none. */
/** The audit trail gets one summary record per import (the file and the count), not one per hook. */
export async function importHooks(
  db: Executor,
  text: string,
  source: string,
  actor = 'system',
): Promise<{ imported: number }> {
  const { header, records, issues } = readCsv(text, source);
  checkHeader(header, source, importColumns, ['category', 'template']);
  const rows: { line: number; category: string; template: string; niche?: string; score?: number }[] = [];
  for (const { line, fields } of records) {
    if (fields.length !== header.length) {
      issues.push({ line, message: `expected ${header.length} fields, got ${fields.length}` });
      continue;
    }
    const value = fieldsByName(header, fields);
    const rawScore = value('effectiveness_score');
    const score = rawScore === undefined ? undefined : decimal(rawScore);
    try {
      const checked = checkHook({
        category: value('category') ?? '',
        template: value('template') ?? '',
        effectivenessScore: score,
      });
      rows.push({ line, ...checked, niche: value('niche'), score });
    } catch (err) {
      const e = err as { message: string; details?: { field?: string } };
      issues.push({ line, field: e.details?.field, message: e.message });
    }
  }
  const niches = await nicheIdsBySlug(db, [...new Set(rows.flatMap((r) => (r.niche ? [r.niche] : [])))]);
  for (const r of rows) {
    if (r.niche && !niches.has(r.niche))
      issues.push({ line: r.line, field: 'niche', message: `niche: no niche "${r.niche}"` });
  }
  if (issues.length > 0) throw importRefused(source, issues);
  await inTransaction(db, async (trx) => {
    await insertHooks(
      trx,
      rows.map((r) => ({
        category: r.category,
        template: r.template,
        niche_id: r.niche ? (niches.get(r.niche) ?? null) : null,
        effectiveness_score: r.score ?? null,
      })),
    );
    await recordImport(
      trx,
      { actor, action: 'hook.import', targetType: 'hook', source },
      { imported: rows.length },
    );
  });
  return { imported: rows.length };
}

/**
 * Chooses the hook for a new piece of content in a niche, for the platform it will mostly go to: the
 * niche's own hooks and the generic ones (no niche) compete by Thompson sampling. Reads only: the choice
 * counts as a use when the content keeps it (recordHookUse).
 */
export async function pickHook(
  db: Executor,
  input: { nicheId: string | null; platform: string },
  random: () => number = Math.random,
): Promise<Hook | undefined> {
  const candidates = (await competingHooks(db, input.nicheId)).map(toHook);
  return chooseHook(candidates, input.platform, random);
}

export async function recordHookUse(
  db: Executor,
  hookId: string,
  detail: { contentId: string; platform: string },
): Promise<void> {
  await incrementUsage(db, hookId);
  await recordActivity(db, [
    { account_id: null, action_type: 'hook_selected', detail: { hookId, ...detail } },
  ]);
}

/** The feedback loop's scores for the hooks it has outcomes for; returns the ids of the hooks updated. */
export async function setHookScores(db: Executor, scores: HookScores[]): Promise<string[]> {
  return updateScores(db, scores);
}
