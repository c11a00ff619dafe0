// The event-triage agent: follows the event log, and for each new unresolved event the policy does not
// ignore, asks an OpenAI-compatible model to diagnose it with the agent tools (src/mcp/), in-process. With
// `act` it applies its actions and resolves; with `propose` its actions are recorded for a person to accept
// or reject (src/agent/proposals.ts). Bounded: events per minute, tool calls per event, a deadline per
// event, one attempt per state of an event, never an event it raised itself. Failures of the endpoint and
// malformed tool calls become its own events; nothing stops the loop.
import { createHash } from 'node:crypto';
import type { SystemEvent } from '../events/event-model.ts';
import { followEvents, latestEventId, openEventExists, recordEvent } from '../events/events-service.ts';
import type { SubscribeToEvents } from '../events/event-notifier.ts';
import { redactContext } from '../redact.ts';
import { modeFor, type AgentPolicy } from '../settings/agent-settings.ts';
import { recordTriage, triageExists } from '../triage/triage-service.ts';
import type { ProposedAction, TriageToolCall } from '../triage/triage-model.ts';
import { eventInFull } from '../mcp/event-tools.ts';
import {
  callTool,
  inputJsonSchema,
  toolsFor,
  type Caller,
  type ToolContext,
  type ToolDeps,
} from '../mcp/tool-kit.ts';
import { agentTools } from '../mcp/tools.ts';
import {
  chat,
  ChatEndpointError,
  type ChatMessage,
  type ChatSettings,
  type ChatTool,
} from './chat-endpoint.ts';

/** The agent's own events: never triaged by it. */
export const AGENT_CATEGORY = 'agent';
export const AGENT_NAME = 'triage';
const RESULT_CHARS = 2_000;
const MODEL_RESULT_CHARS = 12_000;

export interface TriageAgentOptions {
  deps: ToolDeps;
  policy: AgentPolicy;
  chat: ChatSettings;
  subscribe: SubscribeToEvents;
  /** Re-read the log this often regardless of notifications. */
  pollMs?: number;
}

export interface TriageAgentStats {
  /** Events taken up (a conversation started). */
  taken: number;
  /** Events waiting for their turn under the rate bound. */
  waiting: number;
  /** Events left to people because too many were waiting. */
  dropped: number;
}

export interface TriageAgent {
  /** Resolves once it follows the log: events recorded from then on are seen. */
  readonly ready: Promise<void>;
  stats(): TriageAgentStats;
  stop(): Promise<void>;
}

/** What about an event the agent looks at: a change to any of it is worth another attempt. */
export function fingerprintOf(event: SystemEvent): string {
  const { resolution: _resolution, ...context } = event.context;
  const seen = [event.severity, event.message, event.resolved, event.deviceId, event.accountId, context];
  return createHash('sha256').update(JSON.stringify(seen)).digest('hex').slice(0, 32);
}

const SYSTEM_PROMPT = (mode: 'act' | 'propose') =>
  [
    'You are the event-triage agent of sovi, which runs phones and short-form video accounts.',
    'You get one event with its device, account and runbook. Diagnose it with the read tools, then:',
    mode === 'act'
      ? '- apply the fix the runbook suggests with the action tools, and resolve the event with resolve_event and a note saying what you did.'
      : '- call the action tools you would use, including resolve_event with a note: they are NOT run, but recorded as a proposal for a person to accept or reject.',
    '- when unsure, do nothing and say why: a person will look.',
    'End with a short summary of your diagnosis and what was done or proposed.',
  ].join('\n');

export function startTriageAgent(options: TriageAgentOptions): TriageAgent {
  const { deps, policy } = options;
  const logger = deps.logger.child({ component: 'triage-agent' });
  const caller: Caller = {
    role: policy.role,
    scope: null,
    agentName: AGENT_NAME,
    actor: `llm_agent:${AGENT_NAME} (sovi)`,
  };
  const ctx: ToolContext = { ...deps, caller };
  const tools = toolsFor(agentTools, policy.role);
  const chatTools: ChatTool[] = tools.map((tool) => ({
    type: 'function',
    function: { name: tool.name, description: tool.description, parameters: inputJsonSchema(tool) },
  }));
  const controller = new AbortController();
  const waiting: SystemEvent[] = [];
  const startedAt: number[] = [];
  const stats = { taken: 0, dropped: 0 };
  let wake: () => void = () => undefined;

  const onEvent = (event: SystemEvent) => {
    if (event.resolved || event.category === AGENT_CATEGORY) return;
    if (modeFor(policy, event) === 'ignore') return;
    if (waiting.length >= policy.maxWaiting) {
      stats.dropped++;
      return;
    }
    waiting.push(event);
    wake();
  };

  /** Resolves when the rate bound allows one more event now, or the agent stops. */
  async function turn(): Promise<void> {
    for (;;) {
      const now = Date.now();
      while (startedAt.length > 0 && (startedAt[0] as number) <= now - 60_000) startedAt.shift();
      if (startedAt.length < policy.eventsPerMinute || controller.signal.aborted) return;
      await pause((startedAt[0] as number) + 60_000 - now);
    }
  }

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      controller.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });

  async function ownEvent(
    eventType: 'agent_endpoint_failed' | 'agent_tool_call_failed',
    about: SystemEvent,
    detail: Record<string, unknown>,
    message: string,
  ) {
    // One open endpoint failure at a time: an endpoint that is down is one problem, not one per event.
    if (eventType === 'agent_endpoint_failed' && (await openEventExists(deps.db, { eventType }))) return;
    await recordEvent(deps.db, {
      category: AGENT_CATEGORY,
      severity: 'warning',
      eventType,
      message,
      context: { eventId: about.id, eventType: about.eventType, ...detail },
    });
  }

  async function triage(event: SystemEvent): Promise<void> {
    const mode = modeFor(policy, event);
    if (mode === 'ignore') return;
    const fingerprint = fingerprintOf(event);
    if (await triageExists(deps.db, event.id, fingerprint)) return;
    stats.taken++;
    const deadline = AbortSignal.any([
      controller.signal,
      AbortSignal.timeout(policy.deadlineSeconds * 1_000),
    ]);
    const calls: TriageToolCall[] = [];
    const proposals: ProposedAction[] = [];
    let summary: string;
    let failed = false;
    const messages: ChatMessage[] = [
      { role: 'system', content: SYSTEM_PROMPT(mode) },
      // Redacted as events are: nothing that looks like a secret goes to the model.
      { role: 'user', content: JSON.stringify(redactContext(await eventInFull(ctx, event.id)), null, 2) },
    ];
    try {
      conversation: for (;;) {
        const answer = await chat(options.chat, messages, chatTools, deadline);
        messages.push(answer);
        const toolCalls = answer.tool_calls ?? [];
        if (toolCalls.length === 0) {
          summary = answer.content ?? '';
          break;
        }
        for (const call of toolCalls) {
          if (calls.length >= policy.maxToolCalls) {
            summary = `stopped after ${policy.maxToolCalls} tool calls (the bound per event); left to a person`;
            failed = true;
            break conversation;
          }
          if (deadline.aborted) throw new ChatEndpointError('deadline');
          const reply = await runCall(call.function.name, call.function.arguments, mode, event);
          calls.push(reply.record);
          if (reply.proposal) proposals.push(reply.proposal);
          messages.push({ role: 'tool', tool_call_id: call.id, content: reply.forModel });
        }
      }
    } catch (err) {
      failed = true;
      const deadlinePassed = deadline.aborted && !controller.signal.aborted;
      summary = deadlinePassed
        ? `gave up: the deadline of ${policy.deadlineSeconds} s per event passed; left to a person`
        : `gave up: ${(err as Error).message}; left to a person`;
      if (err instanceof ChatEndpointError || deadlinePassed) {
        await ownEvent(
          'agent_endpoint_failed',
          event,
          { reason: summary },
          `triage agent: ${summary} (event ${event.id})`,
        );
      } else {
        logger.error({ err, eventId: event.id }, 'triage failed');
      }
    }
    await recordTriage(deps.db, {
      eventId: event.id,
      fingerprint,
      agent: caller.actor,
      mode,
      status: failed ? 'failed' : mode === 'act' ? 'acted' : 'proposed',
      summary: summary || (mode === 'propose' && proposals.length === 0 ? 'no action proposed' : ''),
      toolCalls: calls,
      proposedActions: failed ? [] : proposals,
    });
  }

  async function runCall(name: string, rawArguments: string, mode: 'act' | 'propose', event: SystemEvent) {
    let args: unknown;
    try {
      args = JSON.parse(rawArguments);
      if (args === null || typeof args !== 'object' || Array.isArray(args)) throw new Error('not an object');
    } catch {
      const text = `${name}: the arguments are not a JSON object: ${rawArguments.slice(0, 200)}`;
      await ownEvent(
        'agent_tool_call_failed',
        event,
        { tool: name.slice(0, 100), reason: 'arguments are not a JSON object' },
        `triage agent: malformed call of ${name.slice(0, 100)} (event ${event.id})`,
      );
      return {
        record: { name, arguments: rawArguments.slice(0, 500), ok: false, result: text },
        forModel: text,
      };
    }
    const tool = tools.find((t) => t.name === name);
    if (!tool) {
      const text = `no tool named "${name}"; the tools are: ${tools.map((t) => t.name).join(', ')}`;
      await ownEvent(
        'agent_tool_call_failed',
        event,
        { tool: name.slice(0, 100), reason: 'no such tool' },
        `triage agent: call of an unknown tool ${name.slice(0, 100)} (event ${event.id})`,
      );
      return { record: { name, arguments: args, ok: false, result: text }, forModel: text };
    }
    if (mode === 'propose' && tool.action !== 'read') {
      const check = tool.input.safeParse(args);
      if (!check.success) {
        const text = `${name}: ${check.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
        return { record: { name, arguments: args, ok: false, result: text }, forModel: text };
      }
      const text = 'recorded as a proposal for a person to accept or reject; it has not run';
      return {
        record: { name, arguments: args, ok: true, result: text },
        proposal: { name, arguments: args as Record<string, unknown> },
        forModel: text,
      };
    }
    const outcome = await callTool(tools, ctx, name, args);
    const forModel = outcome.ok ? JSON.stringify(redactContext(outcome.value), null, 2) : outcome.text;
    return {
      record: { name, arguments: args, ok: outcome.ok, result: forModel.slice(0, RESULT_CHARS) },
      forModel: forModel.slice(0, MODEL_RESULT_CHARS),
    };
  }

  async function work(): Promise<void> {
    while (!controller.signal.aborted) {
      if (waiting.length === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          controller.signal.addEventListener('abort', () => resolve(), { once: true });
        });
        wake = () => undefined;
        continue;
      }
      // The event stays in line (and counted as waiting) until the rate bound lets it through.
      await turn();
      const event = waiting.shift();
      if (controller.signal.aborted || !event) return;
      startedAt.push(Date.now());
      try {
        await triage(event);
      } catch (err) {
        // A database error, say: logged, and the next event is taken up all the same.
        logger.error({ err, eventId: event.id }, 'triage failed');
      }
    }
  }

  let listening: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (listening = resolve));
  const running = (async () => {
    const fromId = await latestEventId(deps.db);
    const follow = followEvents(deps.db, { unresolved: true }, fromId, onEvent, controller.signal, {
      subscribe: options.subscribe,
      pollMs: options.pollMs ?? 2_000,
      onListening: () => listening(),
    });
    await Promise.all([follow, work()]);
  })().catch((err: unknown) => {
    if (!controller.signal.aborted) logger.error({ err }, 'triage agent stopped');
  });
  void running.then(() => listening());

  return {
    ready,
    stats: () => ({ ...stats, waiting: waiting.length }),
    stop: async () => {
      controller.abort();
      await running;
    },
  };
}
