// A person's decision on what the triage agent proposed: accepting runs the proposed actions as that person
// (their role and niches bound them, and the audit trail names them) and resolves the event as `human`;
// rejecting leaves the event open. Either is recorded with the proposal and audited.
import { inTransaction } from '../db/in-transaction.ts';
import { SoviError } from '../errors.ts';
import { getEvent, resolveEvent } from '../events/events-service.ts';
import { claimProposal, decideProposal } from '../triage/triage-service.ts';
import type { Triage } from '../triage/triage-model.ts';
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
  // Claimed first (a second person's accept is refused), then the actions, each audited as this person.
  const proposal = await inTransaction(deps.db, async (trx) => {
    const claimed = await claimProposal(trx, id);
    return decideProposal(trx, claimed, { status: 'accepted', by: person.actor, note });
  });
  const results: AcceptOutcome['results'] = [];
  let resolutionNote: string | undefined;
  for (const action of proposal.proposedActions) {
    // The agent's own resolve_event becomes the person's resolution, below.
    if (action.name === 'resolve_event') {
      const proposed = action.arguments.note;
      if (typeof proposed === 'string') resolutionNote = proposed;
      continue;
    }
    const outcome = await callTool(agentTools, { ...deps, caller: person }, action.name, action.arguments);
    results.push({ name: action.name, ok: outcome.ok, result: outcome.text.slice(0, 2_000) });
    if (!outcome.ok) {
      throw new SoviError(
        'conflict',
        `proposal ${id} accepted, but ${outcome.text}; the event stays open for you to finish`,
        { field: 'id', results },
      );
    }
  }
  const event = await getEvent(deps.db, proposal.eventId);
  if (!event.resolved) {
    await resolveEvent(deps.db, event.id, {
      by: 'human',
      note:
        note ??
        resolutionNote ??
        `accepted the proposal of ${proposal.agent}: ${proposal.summary}`.slice(0, 2_000),
      actor: person.actor,
    });
  }
  return { proposal, results };
}

export async function rejectProposal(
  deps: ToolDeps,
  person: Caller,
  id: number,
  note?: string,
): Promise<Triage> {
  return inTransaction(deps.db, async (trx) => {
    const claimed = await claimProposal(trx, id);
    return decideProposal(trx, claimed, { status: 'rejected', by: person.actor, note });
  });
}
