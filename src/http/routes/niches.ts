// Niches: list by slug, one niche, add one, change one (name, slug, tier, status). Deactivating a niche
// that still has live accounts is refused with their count unless the request says force.
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { nicheStatuses } from '../../niches/niche-model.ts';
import { addNiche, getNiche, listNiches, updateNiche } from '../../niches/niches-service.ts';
import type { ApiDeps } from '../api-deps.ts';
import { actorOf, scopeOf } from '../auth.ts';
import { pageQuery, pageResponses, refParam } from '../schemas.ts';
import { op } from '../operation.ts';

export const nicheSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  slug: z.string(),
  tier: z.string().nullable(),
  status: z.enum(nicheStatuses),
  createdAt: z.date(),
  updatedAt: z.date(),
});

const nicheRef = z.strictObject({ ref: refParam.describe('niche slug or id') });

const editable = {
  name: z.string().max(200).describe('1–100 characters'),
  slug: z.string().max(200).describe('lower snake_case, e.g. personal_finance; unique'),
  tier: z.string().max(10).nullable().describe('"1", "2"…, or null'),
  status: z.enum(nicheStatuses),
};

export const nichesRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { db }) => {
  app.get(
    '/niches',
    op('niches', {
      summary: 'List niches by slug',
      querystring: z.strictObject({ status: z.enum(nicheStatuses).optional(), ...pageQuery(1000, 100) }),
      response: pageResponses('niches', nicheSchema),
    }),
    async (request) => listNiches(db, { ...request.query, scope: scopeOf(request) }),
  );

  app.get(
    '/niches/:ref',
    op('niches', {
      summary: 'One niche, by slug or id',
      params: nicheRef,
      response: { 200: nicheSchema },
    }),
    async (request) => getNiche(db, request.params.ref, 'ref', scopeOf(request)),
  );

  app.post(
    '/niches',
    op('niches', {
      action: 'niches.write',
      summary: 'Add a niche (409 when the slug is taken)',
      body: z.strictObject({
        name: editable.name,
        slug: editable.slug,
        tier: editable.tier.optional(),
        status: editable.status.optional().describe('default active'),
      }),
      response: { 201: nicheSchema },
    }),
    async (request, reply) => reply.status(201).send(await addNiche(db, request.body, actorOf(request))),
  );

  app.patch(
    '/niches/:ref',
    op('niches', {
      action: 'niches.write',
      summary: 'Change a niche: name, slug, tier or status',
      description:
        '409 when the new slug is taken, and when deactivating a niche that has live accounts (the ' +
        'message says how many) unless `force` is true.',
      params: nicheRef,
      body: z.strictObject({
        name: editable.name.optional(),
        slug: editable.slug.optional(),
        tier: editable.tier.optional(),
        status: editable.status.optional(),
        force: z.boolean().optional().describe('deactivate even though live accounts are in the niche'),
      }),
      response: { 200: nicheSchema },
    }),
    async (request) => updateNiche(db, request.params.ref, request.body, actorOf(request)),
  );
};
