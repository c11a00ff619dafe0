// The triage agent's record of its work on an event (migration 029): closed sets and the domain types.
import type { OneOf } from '../errors.ts';

export const triageModes = ['act', 'propose'] as const;
export type TriageMode = OneOf<typeof triageModes>;

/** `working`: claimed by an agent, the conversation under way. */
export const triageStatuses = ['working', 'acted', 'proposed', 'accepted', 'rejected', 'failed'] as const;
export type TriageStatus = OneOf<typeof triageStatuses>;

/** One tool call the agent made, as shown with the event. */
export interface TriageToolCall {
  name: string;
  arguments: unknown;
  ok: boolean;
  /** The tool's answer (or why it was refused), cut short. */
  result: string;
}

/** An action the agent proposes, for a person to accept (it then runs as that person) or reject. */
export interface ProposedAction {
  name: string;
  arguments: Record<string, unknown>;
}

export interface Triage {
  id: number;
  eventId: number;
  agent: string;
  mode: TriageMode;
  status: TriageStatus;
  summary: string;
  toolCalls: TriageToolCall[];
  proposedActions: ProposedAction[];
  decidedBy: string | null;
  decidedAt: Date | null;
  decisionNote: string | null;
  createdAt: Date;
}

export interface NewTriage {
  eventId: number;
  fingerprint: string;
  agent: string;
  mode: TriageMode;
  status: 'acted' | 'proposed' | 'failed';
  summary: string;
  toolCalls: TriageToolCall[];
  proposedActions: ProposedAction[];
}

/** An agent's claim on an event as it is now (its fingerprint), before the conversation. */
export interface TriageClaim {
  eventId: number;
  fingerprint: string;
  agent: string;
  mode: TriageMode;
}

/** What came of a claimed attempt. */
export interface TriageOutcome {
  status: 'acted' | 'proposed' | 'failed';
  summary: string;
  toolCalls: TriageToolCall[];
  proposedActions: ProposedAction[];
  /** Set when the endpoint never answered: the event, unchanged, may be taken up again from then on. */
  retryAfter?: Date;
}
