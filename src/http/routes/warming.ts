// The warming schedule, read-only: the policy in force, what `sovi schedule status` shows (who is due, each
// device's queue, the last hour's outcomes), and the history of sessions. Planning and running sessions are
// the workers' job; the API only reads.
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { resolveAccount } from '../../accounts/accounts-service.ts';
import { resolveDevice } from '../../devices/devices-service.ts';
import { scheduleStatus } from '../../warming/schedule-reads.ts';
import { listWarmingSessions, type SessionStreamFilter } from '../../warming/session-reads.ts';
import type { Executor } from '../../db/executor.ts';
import type { NicheScope } from '../../niches/niche-scope.ts';
import { integerParam, pageQuery, pageResponses, refParam, timeParam } from '../schemas.ts';
import type { ApiDeps } from '../api-deps.ts';
import { scopeOf } from '../auth.ts';
import { op } from '../operation.ts';

const count = z.number().int();
const stateRule = z.object({ sessionsPerDay: count, minGapMinutes: count });
const phaseRule = stateRule.extend({ days: count.describe('warming days in this phase') });

const policySchema = z.object({
  source: z.enum(['defaults', 'file']).describe('file: defaults overridden by SOVI_WARMING_POLICY_FILE'),
  created: stateRule,
  warming_p1: phaseRule,
  warming_p2: phaseRule,
  warming_p3: phaseRule,
  active: stateRule,
  sessionTimeoutSeconds: count,
  deviceFailureLimit: count.describe('failed sessions in a row that mark a device failed'),
});

const statusSchema = z.object({
  at: z.date(),
  dueAccounts: count.describe(
    'accounts due for a session now (gap passed, daily sessions left), queued or not',
  ),
  queuedSessions: count.describe('sessions planned and not finished, over all hosts'),
  next: z
    .array(
      z.object({
        id: z.string(),
        platform: z.string(),
        username: z.string(),
        state: z.string(),
        lastWarmedAt: z.date().nullable(),
        device: z.string().nullable().describe('device name; null: the planner assigns one'),
        queued: z.boolean(),
      }),
    )
    .describe('the next accounts due, least recently warmed first'),
  devices: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      host: z.string(),
      status: z.string(),
      queued: count,
      currentSession: z.string().nullable(),
      sessionsLastHour: count,
      utilisation: z.number().describe('share of the last hour spent in sessions, 0–1'),
    }),
  ),
  lastHour: z.record(z.string(), count).describe('sessions finished in the last hour, by outcome'),
});

export const sessionSchema = z.object({
  id: z.string(),
  sessionKey: z.string().nullable(),
  accountId: z.string(),
  platform: z.string(),
  username: z.string(),
  deviceId: z.string().nullable(),
  deviceName: z.string().nullable(),
  phase: count.describe('1–3 while warming, 4 once active'),
  day: count,
  startedAt: z.date(),
  completedAt: z.date().nullable().describe('null while the session runs'),
  outcome: z.string().nullable(),
  data: z.record(z.string(), z.unknown()).describe('what the executor reported'),
});

/** What a listing or stream of sessions may be narrowed to: one account, one device. */
export const sessionFilterQuery = {
  account: refParam.optional().describe('account id, platform:username or username'),
  device: refParam.optional().describe('device id, udid or name'),
};

/** Those refs as ids; an account outside the caller's niches is not found. */
export async function resolveSessionFilter(
  db: Executor,
  query: { account?: string; device?: string },
  scope: NicheScope,
): Promise<SessionStreamFilter> {
  return {
    accountId:
      query.account === undefined ? undefined : await resolveAccount(db, query.account, 'account', scope),
    deviceId: query.device === undefined ? undefined : await resolveDevice(db, query.device),
  };
}

export const warmingRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { db, policies }) => {
  const policy = policies.warming;

  app.get(
    '/warming/policy',
    op('warming', {
      summary: 'The warming policy in force: sessions per day and gaps per state, phase lengths',
      response: { 200: policySchema },
    }),
    async () => ({ source: policies.sources.warming, ...policy }),
  );

  app.get(
    '/warming/status',
    op('warming', {
      summary: 'Who is due, who comes next, each device’s queue, and the last hour of sessions',
      querystring: z.strictObject({
        host: z.string().max(100).optional().describe("only this host's devices"),
        next: integerParam(0, 1000).optional().describe('how many of the next accounts (default 10)'),
      }),
      response: { 200: statusSchema },
    }),
    async (request) => scheduleStatus(db, policy, request.query),
  );

  app.get(
    '/warming/sessions',
    op('warming', {
      summary: 'Warming sessions, newest first',
      querystring: z.strictObject({
        ...sessionFilterQuery,
        since: timeParam.optional().describe('started at or after: ISO-8601, or a duration ago like 2h'),
        until: timeParam.optional().describe('started before'),
        ...pageQuery(1000, 100),
      }),
      response: pageResponses('sessions', sessionSchema),
    }),
    async (request) => {
      const { since, until, after, limit } = request.query;
      const filter = await resolveSessionFilter(db, request.query, scopeOf(request));
      return listWarmingSessions(db, { ...filter, since, until, after, limit });
    },
  );
};
