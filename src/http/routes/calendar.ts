// The content calendar: posts by their time in a range (week and month views), and the posting schedules
// (windows in a time zone) that place them, per niche (the default of its accounts) or per account.
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { resolveAccount } from '../../accounts/accounts-service.ts';
import { CALENDAR_MAX_DAYS, listCalendar } from '../../distributions/calendar-reads.ts';
import {
  removePostingSchedule,
  setPostingSchedule,
  showPostingSchedule,
  type ScheduleRef,
} from '../../distributions/posting-schedules-service.ts';
import { resolveNiche } from '../../niches/niches-service.ts';
import { platforms } from '../../platforms.ts';
import { actorOf, scopeOf } from '../auth.ts';
import { integerParam, refParam, timeParam } from '../schemas.ts';
import type { ApiDeps } from '../api-deps.ts';
import { distributionSchema } from './distributions.ts';
import { op } from '../operation.ts';

const calendarEntrySchema = distributionSchema.extend({
  at: z.date().describe('where it shows: when it went out, else its slot'),
  topic: z.string(),
  nicheSlug: z.string().nullable(),
  hasVideo: z.boolean().describe('GET /content/{contentId}/video plays it'),
});

const scheduleSchema = z.object({
  scope: z.enum(['niche', 'account']).describe('a niche’s default, or an account’s override'),
  nicheId: z.string().nullable(),
  accountId: z.string().nullable(),
  timeZone: z.string().describe('IANA time zone the windows are in'),
  windows: z.array(z.string()).describe('local times, HH:MM'),
  maxPerDay: z.number().int().describe('posts per local day'),
  minGapMinutes: z.number().int().describe('minutes between two posts of an account'),
  updatedAt: z.date(),
});

const scheduleView = z.object({
  own: scheduleSchema.nullable().describe('the schedule stored for this niche or account'),
  effective: scheduleSchema
    .nullable()
    .describe(
      'the one its posts are placed by (an account’s own, else its niche’s); null: posts go out as the cadence allows',
    ),
});

const scheduleBody = z.strictObject({
  timeZone: z.string().min(1).max(100).describe('IANA time zone, e.g. Europe/Berlin'),
  windows: z.array(z.string().max(5)).min(1).max(48).describe('local times, HH:MM, e.g. ["09:00", "18:30"]'),
  maxPerDay: z.number().int().min(1).max(100).optional().describe('default: one per window'),
  minGapMinutes: z.number().int().min(0).max(10_080).optional().describe('default 0'),
});

export const calendarRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { db }) => {
  app.get(
    '/calendar',
    op('calendar', {
      summary: 'Posts on the calendar: scheduled, awaiting review, posted, failed… in a time range',
      description:
        `Posts whose time (when they went out, else their slot) is in [from, to), earliest first; from ` +
        `defaults to the start of today (UTC) and to to 7 days later, at most ${CALENDAR_MAX_DAYS} days. ` +
        'state says what a pending post is waiting for. truncated: more posts than limit fell in the range.',
      querystring: z.strictObject({
        from: timeParam.optional().describe('ISO-8601, or a duration ago like 1d'),
        to: timeParam.optional().describe('ISO-8601'),
        account: refParam.optional().describe('account id, platform:username or username'),
        niche: refParam.optional().describe('niche slug'),
        platform: z.enum(platforms).optional(),
        limit: integerParam(1, 5_000).optional().describe('default 2000'),
      }),
      response: {
        200: z.object({
          from: z.date(),
          to: z.date(),
          entries: z.array(calendarEntrySchema),
          truncated: z.boolean(),
        }),
      },
    }),
    async (request) => {
      const { account, niche, ...q } = request.query;
      const scope = scopeOf(request);
      return listCalendar(db, {
        ...q,
        scope,
        accountId: account === undefined ? undefined : await resolveAccount(db, account, 'account', scope),
        nicheId: niche === undefined ? undefined : await resolveNiche(db, niche, 'niche', scope),
      });
    },
  );

  for (const owner of ['niches', 'accounts'] as const) {
    const what = owner === 'niches' ? 'niche' : 'account';
    const ref = (value: string): ScheduleRef => (owner === 'niches' ? { niche: value } : { account: value });
    const params = z.strictObject({
      ref: refParam.describe(
        owner === 'niches' ? 'niche slug or id' : 'account id, platform:username or username',
      ),
    });
    const article = what === 'niche' ? 'a niche' : 'an account';
    const about =
      owner === 'niches'
        ? 'A niche’s posting schedule is the default of its accounts.'
        : 'An account’s posting schedule overrides its niche’s.';

    app.get(
      `/${owner}/:ref/posting-schedule`,
      op('calendar', {
        summary: `The posting schedule of ${article}`,
        description: about,
        params,
        response: { 200: scheduleView },
      }),
      async (request) => showPostingSchedule(db, ref(request.params.ref), scopeOf(request)),
    );

    app.put(
      `/${owner}/:ref/posting-schedule`,
      op('calendar', {
        action: 'content.write',
        summary: `Set the posting schedule of ${article}`,
        description: `${about} Posts already scheduled keep their slots; new ones are placed by it.`,
        params,
        body: scheduleBody,
        response: { 200: scheduleSchema },
      }),
      async (request) =>
        setPostingSchedule(db, ref(request.params.ref), request.body, actorOf(request), scopeOf(request)),
    );

    app.delete(
      `/${owner}/:ref/posting-schedule`,
      op('calendar', {
        action: 'content.write',
        summary: `Remove the posting schedule of ${article}`,
        description:
          owner === 'niches'
            ? 'Its accounts without their own then post as their cadence allows.'
            : 'The account then posts by its niche’s schedule, if any.',
        params,
        response: { 204: z.undefined().describe('removed') },
      }),
      async (request, reply) => {
        await removePostingSchedule(db, ref(request.params.ref), actorOf(request), scopeOf(request));
        return reply.status(204).send();
      },
    );
  }
};
