// A route's documentation and role, declared as one flat object: its resource's tag, what it does (summary,
// description), what it takes and answers (params, querystring, body, response) and the action a caller's
// role must allow (src/auth/roles.ts; reads default to `read`).
import type { FastifySchema } from 'fastify';
import type { Action } from '../auth/roles.ts';

interface Documented {
  summary: string;
  action?: Action;
}

/** Fastify route options from a route's documentation, grouped under `tag` in the OpenAPI document. */
export function op<S extends Omit<FastifySchema, 'tags' | 'summary'> & Documented>(
  tag: string,
  { action, ...schema }: S,
) {
  return { config: { action }, schema: { tags: [tag], ...schema } };
}
