// Hook templates: list (the CLI's filters, with use counts and scores), the leaderboard the dashboard shows,
// one hook with the posterior the selector samples from; adding one (checked as `sovi hooks add` is),
// importing a CSV (as `sovi hooks import`: every bad line reported, then all or none), changing and retiring.
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { platforms } from '../../platforms.ts';
import { getHookWithPosteriors, hookLeaderboard, listHooksPage } from '../../hooks/hooks-reads.ts';
import { addHook, importHooks, updateHook } from '../../hooks/hooks-service.ts';
import { formatParam, sendCsv } from '../csv-reply.ts';
import { idParams, integerParam, pageQuery, pageResponses, refParam } from '../schemas.ts';
import type { ApiDeps } from '../api-deps.ts';
import { BATCH_BODY_LIMIT, batchRefusalSchema } from '../batch.ts';
import { actorOf } from '../auth.ts';
import { op } from '../operation.ts';

const platformScore = z.object({
  score: z.number().describe('share of its posts that did well, 0–1'),
  samples: z.number().int().describe('posts the score is learned from'),
});

export const hookSchema = z.object({
  id: z.string(),
  category: z.string(),
  template: z.string().describe('{topic} and {niche} are filled in when it is used'),
  nicheId: z.string().nullable().describe('null: any niche'),
  nicheSlug: z.string().nullable(),
  effectivenessScore: z
    .number()
    .nullable()
    .describe('0–1: the feedback loop’s overall score, or the prior it was added with'),
  usageCount: z.number().int(),
  platformScores: z.record(z.string(), platformScore.optional()),
  createdAt: z.date(),
  retiredAt: z.date().nullable().describe('when it was retired: the selector no longer picks it'),
});

const category = z.string().max(100).describe('snake_case, e.g. curiosity_gap');
const template = z
  .string()
  .max(1000)
  .describe('5–300 characters; {topic} and {niche} are the only placeholders');
const prior = z.number().min(0).max(1).describe('a prior for how well it will do, until posts say otherwise');

const posterior = z.object({ alpha: z.number(), beta: z.number(), mean: z.number() });

export const hooksRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { db }) => {
  app.get(
    '/hooks',
    op('hooks', {
      summary: 'List hooks by category, oldest first, with use counts and scores (retired ones too)',
      querystring: z.strictObject({
        niche: refParam.optional().describe('only this niche’s own hooks (slug)'),
        category: z.string().max(100).optional(),
        ...pageQuery(1000, 100),
      }),
      response: pageResponses('hooks', hookSchema),
    }),
    async (request) => listHooksPage(db, request.query),
  );

  app.get(
    '/hooks/leaderboard',
    op('hooks', {
      summary: 'Hooks ranked by the mean of their posterior on a platform (what the selector expects)',
      description:
        'In a niche, its own hooks and the generic ones compete, as when content is made for it. A hook ' +
        'without posts on the platform starts from its prior (the score it was added with, else the ' +
        'pooled score of its competitors).',
      querystring: z.strictObject({
        platform: z.enum(platforms).optional().describe(`default ${platforms[0]}`),
        niche: refParam.optional().describe('niche slug'),
        limit: integerParam(1, 1000).optional().describe('default 20'),
        format: formatParam,
      }),
      response: {
        200: z.object({
          platform: z.enum(platforms),
          hooks: z.array(
            z.object({
              rank: z.number().int(),
              hook: hookSchema,
              mean: z.number(),
              alpha: z.number(),
              beta: z.number(),
              samples: z.number().int(),
            }),
          ),
        }),
      },
    }),
    async (request, reply) => {
      const platform = request.query.platform ?? platforms[0];
      const hooks = await hookLeaderboard(db, {
        platform,
        niche: request.query.niche,
        limit: request.query.limit ?? 20,
      });
      if (request.query.format === 'csv') {
        // The dashboard's table, one line per hook: the nested hook flattened to the columns it shows.
        const rows = hooks.map((h) => ({
          rank: h.rank,
          template: h.hook.template,
          category: h.hook.category,
          niche: h.hook.nicheSlug,
          mean: h.mean,
          samples: h.samples,
          usageCount: h.hook.usageCount,
          hookId: h.hook.id,
        }));
        const columns = [
          'rank',
          'template',
          'category',
          'niche',
          'mean',
          'samples',
          'usageCount',
          'hookId',
        ] as const;
        return sendCsv(reply, `hook-leaderboard-${platform}`, columns, rows);
      }
      return { platform, hooks };
    },
  );

  app.get(
    '/hooks/:id',
    op('hooks', {
      summary: 'One hook, with the posterior the selector samples from on each platform',
      params: idParams('hook'),
      response: {
        200: hookSchema.extend({ posteriors: z.record(z.enum(platforms), posterior) }),
      },
    }),
    async (request) => getHookWithPosteriors(db, request.params.id),
  );

  app.post(
    '/hooks',
    op('hooks', {
      action: 'hooks.write',
      summary: 'Add a hook template',
      body: z.strictObject({
        category,
        template,
        niche: refParam.optional().describe('only for this niche (slug); default any niche'),
        effectivenessScore: prior.optional(),
      }),
      response: { 201: hookSchema },
    }),
    async (request, reply) => reply.status(201).send(await addHook(db, request.body, actorOf(request))),
  );

  app.post(
    '/hooks/import',
    {
      config: { action: 'hooks.write' },
      bodyLimit: BATCH_BODY_LIMIT,
      schema: {
        tags: ['hooks'],
        summary: 'Import hooks from CSV text: all or none',
        description:
          'Columns category, template (required), niche (slug) and effectiveness_score. Every row is checked ' +
          'first: when any is bad, nothing is written and the 400 lists each bad line by number in `issues`.',
        body: z.strictObject({
          csv: z.string().max(BATCH_BODY_LIMIT).describe('the CSV text, header first'),
          source: z.string().max(200).optional().describe('the file name, for messages; default "upload"'),
        }),
        response: { 201: z.object({ imported: z.number().int() }), 400: batchRefusalSchema },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(await importHooks(db, request.body.csv, request.body.source ?? 'upload', actorOf(request))),
  );

  app.patch(
    '/hooks/:id',
    op('hooks', {
      action: 'hooks.write',
      summary: 'Change a hook (its use counts and scores stay), or retire it',
      params: idParams('hook'),
      body: z.strictObject({
        category: category.optional(),
        template: template.optional(),
        niche: refParam.nullable().optional().describe('a niche slug; null: any niche'),
        effectivenessScore: prior.nullable().optional(),
        retired: z
          .boolean()
          .optional()
          .describe('true retires it (the selector stops picking it); false puts it back in use'),
      }),
      response: { 200: hookSchema },
    }),
    async (request) => updateHook(db, request.params.id, request.body, actorOf(request)),
  );
};
