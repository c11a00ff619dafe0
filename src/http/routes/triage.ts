// The triage agent's work on an event (its reasoning summary and each tool call), and a person's one-click
// decision on what it proposed: accept (the actions run as that person, then the event is resolved) or
// reject.
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import { acceptProposal, actionOfTool, rejectProposal } from '../../agent/proposals.ts';
import { actionRoles, type Action } from '../../auth/roles.ts';
import { getEvent } from '../../events/events-service.ts';
import { toolDepsOf, type Caller } from '../../mcp/tool-kit.ts';
import { eventTriage } from '../../triage/triage-service.ts';
import { triageModes, triageStatuses, type Triage } from '../../triage/triage-model.ts';
import { actorOf, scopeOf } from '../auth.ts';
import { integerParam } from '../schemas.ts';
import type { ApiDeps } from '../api-deps.ts';
import { op } from '../operation.ts';

const triageSchema = z.object({
  id: z.number().int(),
  eventId: z.number().int(),
  agent: z.string(),
  mode: z.enum(triageModes),
  status: z.enum(triageStatuses),
  summary: z.string().describe('its reasoning summary'),
  toolCalls: z.array(
    z.object({ name: z.string(), arguments: z.unknown(), ok: z.boolean(), result: z.string() }),
  ),
  proposedActions: z
    .array(
      z.object({
        name: z.string(),
        arguments: z.record(z.string(), z.unknown()),
        action: z
          .enum(Object.keys(actionRoles) as [Action, ...Action[]])
          .nullable()
          .describe('what it needs the accepting person to be allowed (roles as in the API); null: unknown'),
      }),
    )
    .describe('what accepting runs, as the person who accepts: they must be allowed every action'),
  decidedBy: z.string().nullable(),
  decidedAt: z.date().nullable(),
  decisionNote: z.string().nullable(),
  createdAt: z.date(),
});

/** Each proposed action with what it needs, so a page offers Accept only to who may run them all. */
const shown = (triage: Triage) => ({
  ...triage,
  proposedActions: triage.proposedActions.map((a) => ({ ...a, action: actionOfTool(a.name) })),
});

const byId = z.strictObject({ id: integerParam(1, Number.MAX_SAFE_INTEGER) });
const decision = z.strictObject({ note: z.string().max(2000).optional() }).nullish();

export const triageRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const toolDeps = toolDepsOf(deps);
  const person = (request: FastifyRequest): Caller => ({
    role: request.auth?.role ?? 'viewer',
    scope: scopeOf(request),
    agentName: 'person',
    actor: actorOf(request),
  });

  app.get(
    '/events/:id/triage',
    op('events', {
      summary: "The triage agent's work on an event: each attempt's summary, tool calls and proposal",
      params: byId,
      response: { 200: z.object({ triage: z.array(triageSchema) }) },
    }),
    async (request) => {
      await getEvent(deps.db, request.params.id); // 404 for no such event.
      return { triage: (await eventTriage(deps.db, request.params.id)).map(shown) };
    },
  );

  app.post(
    '/events/proposals/:id/accept',
    op('events', {
      action: 'events.resolve',
      summary: "Accept the agent's proposal: its actions run as you, then the event is resolved",
      description:
        'Each action needs its own role as well (device maintenance needs operator): 403 before anything ' +
        'runs when yours does not allow them all. 409 when the proposal was decided already, the event was ' +
        'resolved meanwhile, or an action fails; the proposal then stays pending.',
      params: byId,
      body: decision,
      response: {
        200: z.object({
          proposal: triageSchema,
          results: z.array(z.object({ name: z.string(), ok: z.boolean(), result: z.string() })),
        }),
      },
    }),
    async (request) => {
      const outcome = await acceptProposal(toolDeps, person(request), request.params.id, request.body?.note);
      return { ...outcome, proposal: shown(outcome.proposal) };
    },
  );

  app.post(
    '/events/proposals/:id/reject',
    op('events', {
      action: 'events.resolve',
      summary: "Reject the agent's proposal: nothing runs, and the event stays open",
      params: byId,
      body: decision,
      response: { 200: triageSchema },
    }),
    async (request) =>
      shown(await rejectProposal(toolDeps, person(request), request.params.id, request.body?.note)),
  );
};
