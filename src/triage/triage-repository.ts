// SQL for agent_triage.
import { sql, type Selectable, type Updateable } from 'kysely';
import type { Executor } from '../db/executor.ts';
import type { AgentTriage, SystemEvents } from '../db/types.generated.ts';
import type { NewTriage, TriageClaim, TriageOutcome } from './triage-model.ts';

export type TriageRow = Selectable<AgentTriage>;

/** Inserts an attempt; undefined when one with the same event and fingerprint exists (a concurrent agent). */
export async function insertTriage(db: Executor, triage: NewTriage): Promise<TriageRow | undefined> {
  return db
    .insertInto('agent_triage')
    .values({
      event_id: triage.eventId,
      fingerprint: triage.fingerprint,
      agent: triage.agent,
      mode: triage.mode,
      status: triage.status,
      summary: triage.summary,
      tool_calls: JSON.stringify(triage.toolCalls),
      proposed_actions: JSON.stringify(triage.proposedActions),
    })
    .onConflict((oc) => oc.columns(['event_id', 'fingerprint']).doNothing())
    .returningAll()
    .executeTakeFirst();
}

export async function triageOfEvent(db: Executor, eventId: number): Promise<TriageRow[]> {
  return db.selectFrom('agent_triage').selectAll().where('event_id', '=', eventId).orderBy('id').execute();
}

export async function findTriage(db: Executor, id: number, lock = false): Promise<TriageRow | undefined> {
  const query = db.selectFrom('agent_triage').selectAll().where('id', '=', id);
  return (lock ? query.forUpdate() : query).executeTakeFirst();
}

export async function decideTriage(
  db: Executor,
  id: number,
  decision: { status: 'accepted' | 'rejected'; by: string; note: string | null },
): Promise<TriageRow | undefined> {
  return moveTriage(db, id, 'proposed', {
    status: decision.status,
    decided_by: decision.by,
    decided_at: new Date(),
    decision_note: decision.note,
  });
}

/**
 * Moves an attempt on from the status it is in (compare-and-set): undefined when it is no longer there, so
 * that of two racing writers (two people deciding, a sweep and a slow agent) only one wins.
 */
function moveTriage(
  db: Executor,
  id: number,
  from: TriageRow['status'],
  changes: Updateable<AgentTriage>,
): Promise<TriageRow | undefined> {
  return db
    .updateTable('agent_triage')
    .set(changes)
    .where('id', '=', id)
    .where('status', '=', from)
    .returningAll()
    .executeTakeFirst();
}

/** One lock for every agent's claims: the count of attempts in the window and the claim are one step. */
const RATE_LOCK = sql`pg_advisory_xact_lock(hashtext('sovi.agent_triage.rate'))`;

/** Attempts started (by any process) in the last `windowMs`, and when the oldest of them leaves it. */
export async function attemptsInWindow(
  trx: Executor,
  windowMs: number,
): Promise<{ count: number; freeInMs: number }> {
  await sql`SELECT ${RATE_LOCK}`.execute(trx);
  const window = sql<Date>`clock_timestamp() - make_interval(secs => ${windowMs / 1000})`;
  const row = await trx
    .selectFrom('agent_triage')
    .select([
      sql<number>`count(*)::int`.as('count'),
      sql<number>`coalesce(ceil(extract(epoch FROM min(created_at) - ${window}) * 1000), 0)::int`.as(
        'freeInMs',
      ),
    ])
    .where('created_at', '>', window)
    .executeTakeFirstOrThrow();
  return { count: row.count, freeInMs: Math.max(0, row.freeInMs) };
}

/**
 * Inserts a `working` attempt for the event as it is now; undefined when another (of any process) has it.
 * A claim left `working` since `staleBefore` (its process died) or a failed attempt whose retry_after has
 * come is taken over.
 */
export async function insertClaim(
  trx: Executor,
  claim: TriageClaim,
  staleMs: number,
): Promise<TriageRow | undefined> {
  const staleBefore = sql<Date>`clock_timestamp() - make_interval(secs => ${staleMs / 1000})`;
  const fresh = {
    agent: claim.agent,
    mode: claim.mode,
    status: 'working',
    summary: '',
    tool_calls: '[]',
    proposed_actions: '[]',
    retry_after: null,
    created_at: sql<Date>`clock_timestamp()`,
  };
  return trx
    .insertInto('agent_triage')
    .values({ event_id: claim.eventId, fingerprint: claim.fingerprint, ...fresh })
    .onConflict((oc) =>
      oc
        .columns(['event_id', 'fingerprint'])
        .doUpdateSet(fresh)
        .where((eb) =>
          eb.or([
            eb.and([
              eb('agent_triage.status', '=', 'working'),
              eb('agent_triage.created_at', '<', staleBefore),
            ]),
            eb('agent_triage.retry_after', '<=', sql<Date>`clock_timestamp()`),
          ]),
        ),
    )
    .returningAll()
    .executeTakeFirst();
}

/** Closes a claimed attempt with what came of it. */
export async function finishClaim(
  db: Executor,
  id: number,
  outcome: TriageOutcome,
): Promise<TriageRow | undefined> {
  return moveTriage(db, id, 'working', {
    status: outcome.status,
    summary: outcome.summary,
    tool_calls: JSON.stringify(outcome.toolCalls),
    proposed_actions: JSON.stringify(outcome.proposedActions),
    retry_after: outcome.retryAfter ?? null,
  });
}

/** A page of open events (not the agent's own), oldest first, with the fingerprints no attempt may repeat yet. */
export async function openEventsToSweep(
  db: Executor,
  options: { afterId: number; limit: number; agentCategory: string; staleMs: number; horizonMs: number },
): Promise<(Selectable<SystemEvents> & { settled: string[] })[]> {
  const rows = await db
    .selectFrom('system_events as e')
    .selectAll('e')
    .select((eb) => [
      eb
        .selectFrom('agent_triage as a')
        .select(sql<string[]>`coalesce(array_agg(a.fingerprint), '{}')`.as('f'))
        .whereRef('a.event_id', '=', 'e.id')
        .where((w) =>
          w.not(
            w.or([
              w.and([
                w('a.status', '=', 'working'),
                w('a.created_at', '<', sql<Date>`now() - make_interval(secs => ${options.staleMs / 1000})`),
              ]),
              w('a.retry_after', '<=', sql<Date>`now()`),
            ]),
          ),
        )
        .as('settled'),
    ])
    .where('e.resolved', '=', false)
    .where('e.timestamp', '>', sql<Date>`now() - make_interval(secs => ${options.horizonMs / 1000})`)
    .where('e.category', '<>', options.agentCategory)
    .where('e.id', '>', options.afterId)
    .orderBy('e.id')
    .limit(options.limit)
    .execute();
  return rows.map((r) => ({ ...r, settled: r.settled ?? [] }));
}
