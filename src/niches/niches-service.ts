// Niches: finding one by what people type (a slug or an id), listing, adding and changing them. Every
// domain that takes a niche from a person resolves it here.
import { countLiveAccounts } from '../accounts/accounts-service.ts';
import type { Executor } from '../db/executor.ts';
import type { Db } from '../db/pool.ts';
import { isUniqueViolation } from '../db/pg-errors.ts';
import { SoviError, invalidInput, oneOf } from '../errors.ts';
import { recordEvent } from '../events/events-service.ts';
import { isUuid } from '../ids.ts';
import { diffChanges, recordAudit } from '../audit/audit-service.ts';
import { decodeCursor, encodeCursor } from '../db/keyset.ts';
import { inNicheScope, type NicheScope } from './niche-scope.ts';
import { NICHE_SLUG, nicheStatuses, type Niche, type NicheStatus } from './niche-model.ts';
import {
  findNicheRow,
  insertNicheRow,
  listNicheRows,
  updateNicheRow,
  type NicheRow,
} from './niches-repository.ts';

export { activeNicheSlugs, nicheIdsBySlug } from './niches-repository.ts';

const toNiche = (r: NicheRow): Niche => ({
  id: r.id,
  name: r.name,
  slug: r.slug,
  tier: r.tier,
  status: r.status as NicheStatus,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

function notFoundNiche(ref: string, field: string): SoviError {
  return new SoviError(
    'not_found',
    `${field}: no niche "${ref}" (sovi niches are by slug, e.g. personal_finance)`,
    {
      field,
    },
  );
}

/**
 * A niche by id or slug; `field` names the argument in the error when there is none. A niche outside the
 * caller's scope is not there for them (niche-scope.ts).
 */
export async function getNiche(
  db: Executor,
  ref: string,
  field = 'niche',
  scope?: NicheScope,
): Promise<Niche> {
  const row =
    (isUuid(ref) ? await findNicheRow(db, { id: ref }) : undefined) ??
    (await findNicheRow(db, { slug: ref }));
  if (!row || !inNicheScope(scope, row.id)) throw notFoundNiche(ref, field);
  return toNiche(row);
}

/** The id of a niche named by id or slug (and within `scope`, when one is given). */
export async function resolveNiche(
  db: Executor,
  ref: string,
  field = 'niche',
  scope?: NicheScope,
): Promise<string> {
  return (await getNiche(db, ref, field, scope)).id;
}

/** The id of the niche a filter names, or undefined when it names none. */
export async function optionalNiche(
  db: Executor,
  ref: string | undefined,
  field = 'niche',
  scope?: NicheScope,
): Promise<string | undefined> {
  return ref ? resolveNiche(db, ref, field, scope) : undefined;
}

export interface NichePageQuery {
  status?: NicheStatus;
  after?: string;
  limit: number;
  /** A niche-limited caller lists only their niches. */
  scope?: NicheScope;
}

export async function listNiches(
  db: Executor,
  query: NichePageQuery,
): Promise<{ niches: Niche[]; nextCursor: string | null }> {
  const afterSlug =
    query.after === undefined
      ? undefined
      : decodeCursor<[string]>(
          query.after,
          'after',
          ([slug]) => typeof slug === 'string' && NICHE_SLUG.test(slug),
        )[0];
  const rows = await listNicheRows(
    db,
    { status: query.status, afterSlug, scope: query.scope },
    query.limit + 1,
  );
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    niches: page.map(toNiche),
    nextCursor: rows.length > query.limit && last ? encodeCursor([last.slug]) : null,
  };
}

export interface NewNiche {
  name: string;
  slug: string;
  tier?: string | null;
  status?: string;
}

export interface NichePatch {
  name?: string;
  slug?: string;
  tier?: string | null;
  status?: string;
  /** Deactivate even though live accounts are in the niche. */
  force?: boolean;
}

const checkName = (name: string): string => {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 100) {
    throw invalidInput('name', `name: expected 1–100 characters, got ${trimmed.length}`);
  }
  return trimmed;
};

const checkSlug = (slug: string): string => {
  if (!NICHE_SLUG.test(slug) || slug.length > 64) {
    throw invalidInput(
      'slug',
      `slug: expected lower snake_case of at most 64 characters, like personal_finance, got "${slug}"`,
    );
  }
  return slug;
};

const checkTier = (tier: string | null): string | null => {
  if (tier !== null && !/^[0-9]{1,3}$/.test(tier)) {
    throw invalidInput('tier', `tier: expected a number like 1 or 2 (or nothing), got "${tier}"`);
  }
  return tier;
};

const checkStatus = (status: string): NicheStatus => oneOf(nicheStatuses, status, 'status');

const slugTaken = (slug: string) =>
  new SoviError('conflict', `slug: a niche "${slug}" already exists`, { field: 'slug' });

export async function addNiche(db: Db, input: NewNiche, actor: string): Promise<Niche> {
  const values = {
    name: checkName(input.name),
    slug: checkSlug(input.slug),
    tier: checkTier(input.tier ?? null),
    status: checkStatus(input.status ?? 'active'),
  };
  try {
    return await db.transaction().execute(async (trx) => {
      const row = await insertNicheRow(trx, values);
      await recordEvent(trx, {
        category: 'system',
        severity: 'info',
        eventType: 'niche_added',
        message: `${actor} added the niche ${row.slug} (${row.name})`,
        context: { actor, nicheId: row.id, ...values },
      });
      await recordAudit(trx, {
        actor,
        action: 'niche.create',
        targetType: 'niche',
        targetId: row.id,
        targetLabel: row.slug,
        changes: diffChanges(undefined, values),
      });
      return toNiche(row);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw slugTaken(values.slug);
    throw err;
  }
}

export async function updateNiche(db: Db, ref: string, patch: NichePatch, actor: string): Promise<Niche> {
  const current = await getNiche(db, ref);
  const changes: { name?: string; slug?: string; tier?: string | null; status?: NicheStatus } = {};
  if (patch.name !== undefined) changes.name = checkName(patch.name);
  if (patch.slug !== undefined) changes.slug = checkSlug(patch.slug);
  if (patch.tier !== undefined) changes.tier = checkTier(patch.tier);
  if (patch.status !== undefined) changes.status = checkStatus(patch.status);
  if (Object.keys(changes).length === 0) {
    throw invalidInput('patch', 'nothing to update: give a name, slug, tier or status');
  }
  try {
    return await db.transaction().execute(async (trx) => {
      if (changes.status === 'inactive' && current.status === 'active' && !patch.force) {
        const live = await countLiveAccounts(trx, { nicheId: current.id });
        if (live > 0) {
          throw new SoviError(
            'conflict',
            `niche ${current.slug} has ${live} live account(s): they would get no new content; move them to ` +
              'another niche first, or deactivate anyway with --force (API: "force": true)',
            { field: 'status', liveAccounts: live },
          );
        }
      }
      const row = await updateNicheRow(trx, current.id, changes);
      await recordEvent(trx, {
        category: 'system',
        severity: 'info',
        eventType: 'niche_updated',
        message: `${actor} changed the niche ${current.slug}: ${Object.keys(changes).join(', ')}`,
        context: { actor, nicheId: current.id, before: pick(current, changes), after: changes },
      });
      await recordAudit(trx, {
        actor,
        action: 'niche.update',
        targetType: 'niche',
        targetId: current.id,
        targetLabel: row.slug,
        changes: diffChanges(pick(current, changes), changes),
      });
      return toNiche(row);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw slugTaken(changes.slug ?? current.slug);
    throw err;
  }
}

const pick = (niche: Niche, changes: object) =>
  Object.fromEntries(Object.keys(changes).map((k) => [k, niche[k as keyof Niche]]));
