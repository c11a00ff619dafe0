// The event-triage agent: follows the event log, and for each new unresolved event the policy does not
// ignore, asks an OpenAI-compatible model to diagnose it with the agent tools (src/mcp/), in-process. With
// `act` it applies its actions and resolves; with `propose` its actions are recorded for a person to accept
// or reject (src/agent/proposals.ts). Bounded: events per minute, tool calls per event, a deadline per
// event, one attempt per state of an event, never an event it raised or caused itself. Several processes on
// one database share the work: each event is claimed in the database before the conversation (one attempt,
// whichever process), and the events-per-minute bound counts every process's attempts. A slow sweep of open
// events brings back those that changed, arrived while no agent ran, or met an endpoint outage. Failures
// of the endpoint and malformed tool calls become its own events; nothing stops the loop.
import { createHash } from 'node:crypto';
import type { SystemEvent } from '../events/event-model.ts';
import {
  followEvents,
  getEvent,
  latestEventId,
  openEventExists,
  recordEvent,
} from '../events/events-service.ts';
import type { SubscribeToEvents } from '../events/event-notifier.ts';
import { redactContext } from '../redact.ts';
import { modeFor, type AgentPolicy } from '../settings/agent-settings.ts';
import { claimEvent, eventsToSweep, finishTriage } from '../triage/triage-service.ts';
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
  /** The window of the events-per-minute bound: a minute; tests shorten it. */
  rateWindowMs?: number;
  /** How often open events are swept for ones changed or missed (default a minute). */
  sweepMs?: number;
  /** How far back the sweep looks: older open events are left to people (default a day). */
  sweepHorizonMs?: number;
  /** When an event the endpoint never answered for is taken up again (default 5 minutes). */
  retryAfterMs?: number;
}

export interface TriageAgentStats {
  /** Events taken up (a conversation started). */
  taken: number;
  /** Events waiting for their turn under the rate bound. */
  waiting: number;
  /** Events left to people because too many were waiting (a sweep brings them back later). */
  dropped: number;
  /** Times a claim waited for the rate bound (shared by every agent on the database). */
  throttled: number;
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
  const bound = {
    perWindow: policy.eventsPerMinute,
    windowMs: options.rateWindowMs ?? 60_000,
    // A claim still `working` this long after it was made lost its process: the deadline has long passed.
    staleMs: 2 * policy.deadlineSeconds * 1_000 + 60_000,
  };
  const retryAfterMs = options.retryAfterMs ?? 300_000;
  const controller = new AbortController();
  const waiting: SystemEvent[] = [];
  /** Ids waiting or being worked on here: the follower and the sweep may both bring one. */
  const queued = new Set<number>();
  const stats = { taken: 0, dropped: 0, throttled: 0 };
  let wake: () => void = () => undefined;

  /** Its own events, and events its own actions caused (they carry its actor), are never taken up. */
  const ownDoing = (event: SystemEvent) =>
    event.category === AGENT_CATEGORY || event.context.actor === caller.actor;

  const worthALook = (event: SystemEvent) =>
    !event.resolved && !ownDoing(event) && modeFor(policy, event) !== 'ignore';

  const onEvent = (event: SystemEvent) => {
    if (!worthALook(event) || queued.has(event.id)) return;
    if (waiting.length >= policy.maxWaiting) {
      stats.dropped++;
      return;
    }
    waiting.push(event);
    queued.add(event.id);
    wake();
  };

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

  /** The event as it is now, or undefined when it is gone, resolved or not for the agent any more. */
  async function current(id: number): Promise<SystemEvent | undefined> {
    const event = await getEvent(deps.db, id).catch(() => undefined);
    return event && worthALook(event) ? event : undefined;
  }

  type Prepared = { skip: true } | { waitMs: number } | { event: SystemEvent; claimId: number };

  /** Re-reads the event and claims it, as it is now, in the database. */
  async function prepare(queuedEvent: SystemEvent): Promise<Prepared> {
    const event = await current(queuedEvent.id);
    if (!event) return { skip: true };
    const mode = modeFor(policy, event) as 'act' | 'propose';
    const claim = await claimEvent(
      deps.db,
      { eventId: event.id, fingerprint: fingerprintOf(event), agent: caller.actor, mode },
      bound,
    );
    if ('waitMs' in claim) return claim;
    if ('taken' in claim) return { skip: true };
    return { event, claimId: claim.claimed.id };
  }

  async function triage(event: SystemEvent, claimId: number): Promise<void> {
    const mode = modeFor(policy, event) as 'act' | 'propose';
    stats.taken++;
    const deadline = AbortSignal.any([
      controller.signal,
      AbortSignal.timeout(policy.deadlineSeconds * 1_000),
    ]);
    const calls: TriageToolCall[] = [];
    const proposals: ProposedAction[] = [];
    let summary: string;
    let failed = false;
    let actionRan = false;
    let retryAfter: Date | undefined;
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
          const acting =
            mode === 'act' && tools.find((t) => t.name === call.function.name)?.action !== 'read';
          // Right before acting, the event as it is now: a person may have resolved it meanwhile.
          if (acting && !(await current(event.id))) {
            summary = `stopped before ${call.function.name.slice(0, 100)}: the event was resolved (or changed beyond the agent's policy) meanwhile`;
            failed = true;
            break conversation;
          }
          const reply = await runCall(call.function.name, call.function.arguments, mode, event);
          if (acting) actionRan = true;
          calls.push(reply.record);
          if (reply.proposal) proposals.push(reply.proposal);
          messages.push({ role: 'tool', tool_call_id: call.id, content: reply.forModel });
        }
      }
    } catch (err) {
      failed = true;
      const stopping = controller.signal.aborted;
      const deadlinePassed = deadline.aborted && !stopping;
      summary = deadlinePassed
        ? `gave up: the deadline of ${policy.deadlineSeconds} s per event passed; left to a person`
        : `gave up: ${(err as Error).message}; left to a person`;
      const endpoint = err instanceof ChatEndpointError || deadlinePassed;
      // Nothing was done yet and the endpoint (or this process) is to blame: the event, unchanged, is
      // taken up again later (at once after a shutdown) rather than left to people for good.
      if ((endpoint || stopping) && !actionRan) {
        retryAfter = new Date(Date.now() + (stopping ? 0 : retryAfterMs));
      }
      if (endpoint && !stopping) {
        await ownEvent(
          'agent_endpoint_failed',
          event,
          { reason: summary },
          `triage agent: ${summary} (event ${event.id})`,
        );
      } else if (!stopping) {
        logger.error({ err, eventId: event.id }, 'triage failed');
      }
    }
    await finishTriage(deps.db, claimId, {
      status: failed ? 'failed' : mode === 'act' ? 'acted' : 'proposed',
      summary: summary || (mode === 'propose' && proposals.length === 0 ? 'no action proposed' : ''),
      toolCalls: calls,
      proposedActions: failed ? [] : proposals,
      retryAfter,
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
      const next = waiting[0];
      if (!next) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          controller.signal.addEventListener('abort', () => resolve(), { once: true });
        });
        wake = () => undefined;
        continue;
      }
      try {
        // The event stays in line (and counted as waiting) until the rate bound lets it through.
        const prepared = await prepare(next);
        if ('waitMs' in prepared) {
          stats.throttled++;
          await pause(prepared.waitMs);
          continue;
        }
        waiting.shift();
        if ('event' in prepared) await triage(prepared.event, prepared.claimId);
      } catch (err) {
        // A database error, say: logged, and the next event is taken up all the same.
        if (waiting[0] === next) waiting.shift();
        logger.error({ err, eventId: next.id }, 'triage failed');
        await pause(1_000);
      } finally {
        if (waiting[0] !== next) queued.delete(next.id);
      }
    }
  }

  /**
   * Brings back open events worth another attempt: changed since the last one (a new fingerprint), never
   * taken up (they came while no agent ran, or were dropped), or left by an endpoint outage or a dead
   * process. One pass over the open events of the last day (older ones stay with people), a page at a time.
   */
  async function sweep(): Promise<void> {
    let afterId = 0;
    while (!controller.signal.aborted && waiting.length < policy.maxWaiting) {
      const page = await eventsToSweep(deps.db, {
        afterId,
        limit: 500,
        agentCategory: AGENT_CATEGORY,
        staleMs: bound.staleMs,
        horizonMs: options.sweepHorizonMs ?? 86_400_000,
      });
      for (const { event, settled } of page) {
        if (waiting.length >= policy.maxWaiting) return;
        if (!settled.has(fingerprintOf(event))) onEvent(event);
      }
      if (page.length < 500) return;
      afterId = page.at(-1)?.event.id ?? afterId;
    }
  }

  async function sweeping(): Promise<void> {
    while (!controller.signal.aborted) {
      await sweep().catch((err: unknown) => logger.error({ err }, 'triage sweep failed'));
      await pause(options.sweepMs ?? 60_000);
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
    await Promise.all([follow, work(), sweeping()]);
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
