// The event-triage agent's settings (SOVI_AGENT, SOVI_AGENT_POLICY_FILE) and its policy: per event type,
// category and severity, whether it may act (apply its actions and resolve), only propose (a person
// accepts or rejects), or ignore the event; the role it acts with; and its bounds.
import { z } from 'zod';
import { readPolicyFile } from './parse-options.ts';
import type { OneOf } from '../errors.ts';

export const agentModes = ['act', 'propose', 'ignore'] as const;
export type AgentMode = OneOf<typeof agentModes>;

const severityList = z.array(z.enum(['info', 'warning', 'error', 'critical'])).min(1);
const snake = z.string().regex(/^[a-z][a-z0-9_]*$/, 'expected a snake_case name');

const rule = z.strictObject({
  type: snake.optional().describe('event type, e.g. battery_low'),
  category: snake.optional(),
  severity: severityList.optional(),
  mode: z.enum(agentModes),
});
export type AgentRule = z.output<typeof rule>;

export const agentPolicySchema = z.strictObject({
  /** For events no rule matches. */
  default: z.enum(agentModes).default('propose'),
  /** The first rule that matches an event decides. */
  rules: z.array(rule).max(500).default([]),
  /** The role its tools are bounded by, as a person's would be. */
  role: z.enum(['viewer', 'reviewer', 'operator']).default('operator'),
  /** Events it takes up per minute at most; the rest wait their turn. */
  eventsPerMinute: z.number().int().min(1).max(10_000).default(10),
  /** Tool calls per event at most; then it stops and the event is left to a person. */
  maxToolCalls: z.number().int().min(1).max(100).default(8),
  /** How long one event may take, model answers and tools included. */
  deadlineSeconds: z.number().min(1).max(3_600).default(60),
  /** How many events may wait their turn; beyond, the newest are left to people. */
  maxWaiting: z.number().int().min(1).max(100_000).default(1_000),
});
export type AgentPolicy = z.output<typeof agentPolicySchema>;

export const defaultAgentPolicy: AgentPolicy = agentPolicySchema.parse({});

export function loadAgentPolicy(file: string | undefined): AgentPolicy {
  return file === undefined
    ? defaultAgentPolicy
    : readPolicyFile(agentPolicySchema, file, 'SOVI_AGENT_POLICY_FILE', { yaml: true });
}

/** What the policy says for an event: the first matching rule's mode, else the default. */
export function modeFor(
  policy: AgentPolicy,
  event: { eventType: string; category: string; severity: string },
): AgentMode {
  const match = policy.rules.find(
    (r) =>
      (r.type === undefined || r.type === event.eventType) &&
      (r.category === undefined || r.category === event.category) &&
      (r.severity === undefined || (r.severity as string[]).includes(event.severity)),
  );
  return match?.mode ?? policy.default;
}
