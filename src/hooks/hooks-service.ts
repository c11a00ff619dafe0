// Hooks: adding, importing, listing, and choosing one for a piece of content (Thompson sampling over what
// the feedback loop learned, or the priors until it has).
import { sql, type Selectable } from 'kysely';
import { recordActivity } from '../activity/activity-log.ts';
import { nicheIdsBySlug } from '../niches/niches-service.ts';
import { resolveNiche } from '../niches/niches-service.ts';
import { checkHeader, decimal, fieldsByName, importRefused, readCsv } from '../csv-import.ts';
import type { Hooks } from '../db/types.generated.ts';
import { invalidInput, notFound } from '../errors.ts';
import type { Executor } from '../db/executor.ts';
import { isUuid } from '../ids.ts';
import { unknownPlaceholders, type Hook, type PlatformScore } from './hook-model.ts';
import { chooseHook } from './hook-selector.ts';

type HookRow = Selectable<Hooks> & { niche_slug: string | null };

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
  };
}

const base = (db: Executor) =>
  db
    .selectFrom('hooks as h')
    .leftJoin('niches as n', 'n.id', 'h.niche_id')
    .select([
      'h.id',
      'h.category',
      'h.template',
      'h.niche_id',
      'h.effectiveness_score',
      'h.usage_count',
      'h.platform_scores',
      'h.created_at',
      'n.slug as niche_slug',
    ]);

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

export async function addHook(db: Executor, input: NewHook): Promise<Hook> {
  const { category, template } = checkHook(input);
  const row = await db
    .insertInto('hooks')
    .values({
      category,
      template,
      niche_id: input.niche ? await resolveNiche(db, input.niche) : null,
      effectiveness_score: input.effectivenessScore ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return getHook(db, row.id);
}

export async function getHook(db: Executor, id: string): Promise<Hook> {
  const row = isUuid(id) ? await base(db).where('h.id', '=', id).executeTakeFirst() : undefined;
  if (!row) throw notFound('hook', id);
  return toHook(row);
}

export async function listHooks(
  db: Executor,
  filter: { niche?: string; category?: string } = {},
): Promise<Hook[]> {
  let query = base(db);
  if (filter.niche) query = query.where('h.niche_id', '=', await resolveNiche(db, filter.niche));
  if (filter.category) query = query.where('h.category', '=', filter.category);
  return (await query.orderBy('h.category').orderBy('h.created_at').execute()).map(toHook);
}

const importColumns = ['category', 'template', 'niche', 'effectiveness_score'] as const;

/** Imports hooks from CSV: every row checked first, every bad line reported, then all or none. */
export async function importHooks(db: Executor, text: string, source: string): Promise<{ imported: number }> {
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
  if (rows.length > 0) {
    await db
      .insertInto('hooks')
      .values(
        rows.map((r) => ({
          category: r.category,
          template: r.template,
          niche_id: r.niche ? (niches.get(r.niche) ?? null) : null,
          effectiveness_score: r.score ?? null,
        })),
      )
      .execute();
  }
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
  const query =
    input.nicheId === null
      ? base(db).where('h.niche_id', 'is', null)
      : base(db).where((eb) => eb.or([eb('h.niche_id', '=', input.nicheId), eb('h.niche_id', 'is', null)]));
  const candidates = (await query.orderBy('h.id').execute()).map(toHook);
  return chooseHook(candidates, input.platform, random);
}

export async function recordHookUse(
  db: Executor,
  hookId: string,
  detail: { contentId: string; platform: string },
): Promise<void> {
  await db
    .updateTable('hooks')
    .set({ usage_count: sql`usage_count + 1` })
    .where('id', '=', hookId)
    .execute();
  await recordActivity(db, [
    { account_id: null, action_type: 'hook_selected', detail: { hookId, ...detail } },
  ]);
}
