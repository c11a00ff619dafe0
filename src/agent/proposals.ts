// A person's decision on what the triage agent proposed: accepting runs the proposed actions as that person
// (their role and niches bound them, and the audit trail names them) and resolves the event as `human`;
// rejecting leaves the event open. Either is recorded with the proposal and audited. An accept is all or
// nothing for the proposal: refused before anything runs when the person's role cannot run every action
// or the event was resolved meanwhile, and marked accepted only once every action ran; otherwise it stays
// pending, for them to retry or reject.
import type { Executor } from '../db/executor.ts';
import { inTransaction } from '../db/in-transaction.ts';
import { SoviError } from '../errors.ts';
import { getEvent, resolveEvent } from '../events/events-service.ts';
import { claimProposal, decideProposal } from '../triage/triage-service.ts';
import type { Triage } from '../triage/triage-model.ts';
import { can, roleFor, type Action } from '../auth/roles.ts';
import { callTool, type Caller, type ToolDeps } from '../mcp/tool-kit.ts';
import { agentTools } from '../mcp/tools.ts';

export interface AcceptOutcome {
  proposal: Triage;
  results: { name: string; ok: boolean; result: string }[];
}

export async function acceptProposal(
  deps: ToolDeps,
  person: Caller,
  id: number,
  note?: string,
): Promise<AcceptOutcome> {
  // Its actions run while the proposal is claimed, each audited as this person; it is marked accepted only
  // when all of them ran.
  return withClaimedProposal(deps, id, async (trx, claimed) => {
    assertMayRunAll(person, claimed.proposedActions, id);
    const event = await getEvent(trx, claimed.eventId);
    if (event.resolved) {
      throw new SoviError(
        'conflict',
        `event ${event.id} was resolved meanwhile (${event.resolvedBy ?? 'by someone'}); nothing ran: reject the proposal instead`,
        { field: 'id' },
      );
    }
    const results: AcceptOutcome['results'] = [];
    let resolutionNote: string | undefined;
    for (const action of claimed.proposedActions) {
      // The agent's own resolve_event becomes the person's resolution, below.
      if (action.name === 'resolve_event') {
        const proposed = action.arguments.note;
        if (typeof proposed === 'string') resolutionNote = proposed;
        continue;
      }
      const outcome = await callTool(agentTools, { ...deps, caller: person }, action.name, action.arguments);
      results.push({ name: action.name, ok: outcome.ok, result: outcome.text.slice(0, 2_000) });
      if (!outcome.ok) {
        const ran = results.filter((r) => r.ok).map((r) => r.name);
        throw new SoviError(
          'conflict',
          `proposal ${id} not accepted: ${outcome.text}` +
            (ran.length > 0 ? ` (${ran.join(', ')} ran already)` : ' (nothing ran)') +
            '; it stays pending, for you to retry or reject',
          { field: 'id', results },
        );
      }
    }
    // The resolution commits with the decision (unless an action resolved it already).
    if (!(await getEvent(trx, event.id)).resolved) {
      await resolveEvent(trx, event.id, {
        by: 'human',
        note:
          note ??
          resolutionNote ??
          `accepted the proposal of ${claimed.agent}: ${claimed.summary}`.slice(0, 2_000),
        actor: person.actor,
      });
    }
    const proposal = await decideProposal(trx, claimed, { status: 'accepted', by: person.actor, note });
    return { proposal, results };
  });
}

/** The action (src/auth/roles.ts) a proposed tool call needs; null for a name no tool has. */
export const actionOfTool = (name: string): Action | null =>
  agentTools.find((t) => t.name === name)?.action ?? null;

/** Refuses, before anything runs, a proposal with an action the person's role may not take. */
function assertMayRunAll(person: Caller, actions: Triage['proposedActions'], id: number): void {
  for (const action of actions) {
    const needed = actionOfTool(action.name);
    if (!needed) {
      throw new SoviError('conflict', `proposal ${id} names an unknown action ${action.name}; reject it`, {
        field: 'id',
      });
    }
    if (!can(person.role, needed)) {
      throw new SoviError(
        'forbidden',
        `proposal ${id} needs the ${roleFor(needed)} role for ${action.name} (you are ${person.role}); nothing ran, and it stays pending for someone who may`,
        { field: 'id', action: action.name, required: roleFor(needed) },
      );
    }
  }
}

export async function rejectProposal(
  deps: ToolDeps,
  person: Caller,
  id: number,
  note?: string,
): Promise<Triage> {
  return withClaimedProposal(deps, id, (trx, claimed) =>
    decideProposal(trx, claimed, { status: 'rejected', by: person.actor, note }),
  );
}

/**
 * Runs `decide` in one transaction with the proposal claimed: it stays locked until the decision commits, so a
 * second person's decision waits, then is refused.
 */
function withClaimedProposal<T>(
  deps: ToolDeps,
  id: number,
  decide: (trx: Executor, claimed: Triage) => Promise<T>,
): Promise<T> {
  return inTransaction(deps.db, async (trx) => decide(trx, await claimProposal(trx, id)));
}
