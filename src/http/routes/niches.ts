// Niches, read-only (they are seeded by 001 and changed by migrations for now). The query lives here until
// niches get a service of their own (src/niches) with writes.
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Db } from '../../db/pool.ts';
import { invalidInput } from '../../errors.ts';
import { nextCursor, pageQuery, readErrors } from '../schemas.ts';
import type { ApiDeps } from '../api-deps.ts';

const niche = z.object({
  id: z.uuid(),
  name: z.string(),
  slug: z.string(),
  tier: z.string().nullable(),
  status: z.enum(['active', 'inactive']),
  createdAt: z.date(),
  updatedAt: z.date(),
});

/** Keyset on slug (UNIQUE, so its index serves the order). */
async function listNiches(
  db: Db,
  query: { status?: 'active' | 'inactive'; after?: string; limit: number },
): Promise<{ niches: z.infer<typeof niche>[]; nextCursor: string | null }> {
  let q = db
    .selectFrom('niches')
    .select(['id', 'name', 'slug', 'tier', 'status', 'created_at', 'updated_at'])
    .orderBy('slug')
    .limit(query.limit + 1);
  if (query.status) q = q.where('status', '=', query.status);
  if (query.after !== undefined) {
    const after = Buffer.from(query.after, 'base64url').toString('utf8');
    if (!/^[a-z0-9]+(_[a-z0-9]+)*$/.test(after)) {
      throw invalidInput('after', 'after: not a cursor returned by a previous page of this listing');
    }
    q = q.where('slug', '>', after);
  }
  const rows = await q.execute();
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    niches: page.map((r) => ({
      id: r.id,
      name: r.name,
      slug: r.slug,
      tier: r.tier,
      status: r.status as 'active' | 'inactive',
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    })),
    nextCursor: rows.length > query.limit && last ? Buffer.from(last.slug).toString('base64url') : null,
  };
}

export const nichesRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { db }) => {
  app.get(
    '/niches',
    {
      schema: {
        tags: ['niches'],
        summary: 'List niches by slug',
        querystring: z.strictObject({
          status: z.enum(['active', 'inactive']).optional(),
          ...pageQuery(1000),
        }),
        response: { 200: z.object({ niches: z.array(niche), nextCursor }), ...readErrors() },
      },
    },
    async (request) => listNiches(db, { ...request.query, limit: request.query.limit ?? 100 }),
  );
};
