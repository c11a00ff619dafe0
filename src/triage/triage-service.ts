// The triage agent's record on each event: attempts (one per state of the event it saw), proposals and the
// decision a person takes on them. Running a proposal's actions is the agent edge's (src/agent/): they are
// agent tools, called as the person who accepts.
import type { Executor } from '../db/executor.ts';
import { SoviError, notFound } from '../errors.ts';
import { recordAudit } from '../audit/audit-service.ts';
import { toEvent } from '../events/events-service.ts';
import type { SystemEvent } from '../events/event-model.ts';
import {
  attemptsInWindow,
  decideTriage,
  findTriage,
  finishClaim,
  insertClaim,
  insertTriage,
  openEventsToSweep,
  triageOfEvent,
  type TriageRow,
} from './triage-repository.ts';
import { inTransaction } from '../db/in-transaction.ts';
import type {
  NewTriage,
  TriageClaim,
  TriageOutcome,
  ProposedAction,
  Triage,
  TriageMode,
  TriageStatus,
  TriageToolCall,
} from './triage-model.ts';

export const toTriage = (row: TriageRow): Triage => ({
  id: row.id,
  eventId: row.event_id,
  agent: row.agent,
  mode: row.mode as TriageMode,
  status: row.status as TriageStatus,
  summary: row.summary,
  toolCalls: row.tool_calls as unknown as TriageToolCall[],
  proposedActions: row.proposed_actions as unknown as ProposedAction[],
  decidedBy: row.decided_by,
  decidedAt: row.decided_at,
  decisionNote: row.decision_note,
  createdAt: row.created_at,
});

/** Records an attempt; undefined when this event, as it was, has one already. */
export async function recordTriage(db: Executor, triage: NewTriage): Promise<Triage | undefined> {
  const row = await insertTriage(db, { ...triage, summary: triage.summary.slice(0, 8000) });
  return row && toTriage(row);
}

export type ClaimResult = { claimed: Triage } | { taken: true } | { waitMs: number };

/**
 * Claims an event, as it is now, for one attempt: refused while `perWindow` attempts (by any process on this
 * database) started in the last `windowMs` (waitMs says when one leaves the window), or when another
 * agent has it (taken). The count and the claim hold one lock, so two processes cannot both take the last
 * place in the window.
 */
export async function claimEvent(
  db: Executor,
  claim: TriageClaim,
  bound: { perWindow: number; windowMs: number; staleMs: number },
): Promise<ClaimResult> {
  return inTransaction(db, async (trx) => {
    const { count, freeInMs } = await attemptsInWindow(trx, bound.windowMs);
    if (count >= bound.perWindow) return { waitMs: Math.max(freeInMs, 20) };
    const row = await insertClaim(trx, claim, bound.staleMs);
    return row ? { claimed: toTriage(row) } : { taken: true };
  });
}

/** Records what came of a claimed attempt. */
export async function finishTriage(
  db: Executor,
  id: number,
  outcome: TriageOutcome,
): Promise<Triage | undefined> {
  const row = await finishClaim(db, id, { ...outcome, summary: outcome.summary.slice(0, 8000) });
  return row && toTriage(row);
}

/**
 * A page of open events (the agent's own category left out), oldest first after `afterId`, each with the
 * fingerprints of the attempts that stand (no second attempt at the event as it was then).
 */
export async function eventsToSweep(
  db: Executor,
  options: { afterId: number; limit: number; agentCategory: string; staleMs: number; horizonMs: number },
): Promise<{ event: SystemEvent; settled: Set<string> }[]> {
  const rows = await openEventsToSweep(db, options);
  return rows.map(({ settled, ...row }) => ({ event: toEvent(row), settled: new Set(settled) }));
}

export async function eventTriage(db: Executor, eventId: number): Promise<Triage[]> {
  return (await triageOfEvent(db, eventId)).map(toTriage);
}

export async function getTriage(db: Executor, id: number): Promise<Triage> {
  const row = await findTriage(db, id);
  if (!row) throw notFound('proposal', String(id));
  return toTriage(row);
}

/**
 * Takes a proposal for deciding: locked in the caller's transaction, refused unless it still waits for a
 * decision (another person may have been quicker).
 */
export async function claimProposal(trx: Executor, id: number): Promise<Triage> {
  const row = await findTriage(trx, id, true);
  if (!row) throw notFound('proposal', String(id));
  if (row.status !== 'proposed') {
    throw new SoviError(
      'conflict',
      `proposal ${id} is ${row.status}${row.decided_by ? ` (by ${row.decided_by})` : ''}: only a proposal waiting for a decision can be accepted or rejected`,
      { field: 'id' },
    );
  }
  return toTriage(row);
}

/** Marks a claimed proposal accepted or rejected, audited as the person who decided. */
export async function decideProposal(
  trx: Executor,
  proposal: Triage,
  decision: { status: 'accepted' | 'rejected'; by: string; note?: string },
): Promise<Triage> {
  const row = await decideTriage(trx, proposal.id, {
    status: decision.status,
    by: decision.by,
    note: decision.note ?? null,
  });
  if (!row)
    throw new SoviError('conflict', `proposal ${proposal.id} was decided concurrently`, { field: 'id' });
  await recordAudit(trx, {
    actor: decision.by,
    action: decision.status === 'accepted' ? 'event.accept_proposal' : 'event.reject_proposal',
    targetType: 'event',
    targetId: String(proposal.eventId),
    targetLabel: `proposal ${proposal.id} of ${proposal.agent}`,
    changes: { proposal: { before: 'proposed', after: decision.status } },
    note: decision.note ?? null,
  });
  return toTriage(row);
}
