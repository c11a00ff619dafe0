// SQL for agent_triage.
import type { Selectable } from 'kysely';
import type { Executor } from '../db/executor.ts';
import type { AgentTriage } from '../db/types.generated.ts';
import type { NewTriage } from './triage-model.ts';

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

export async function triageExists(db: Executor, eventId: number, fingerprint: string): Promise<boolean> {
  const row = await db
    .selectFrom('agent_triage')
    .select('id')
    .where('event_id', '=', eventId)
    .where('fingerprint', '=', fingerprint)
    .executeTakeFirst();
  return row !== undefined;
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
  return db
    .updateTable('agent_triage')
    .set({
      status: decision.status,
      decided_by: decision.by,
      decided_at: new Date(),
      decision_note: decision.note,
    })
    .where('id', '=', id)
    .where('status', '=', 'proposed')
    .returningAll()
    .executeTakeFirst();
}
