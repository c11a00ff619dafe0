// The audit trail: who changed what, and each field before and after, newest first in keyset pages. The
// target is what people type (a device name, an account platform:username, a niche slug, an id).
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { auditTargetTypes, SECRET_CHANGED } from '../../audit/audit-model.ts';
import { listAudit } from '../../audit/audit-service.ts';
import { resolveAuditTarget } from '../../audit/audit-targets.ts';
import { MAX_REF_LENGTH, pageQuery, pageResponses, timeParam } from '../schemas.ts';
import type { ApiDeps } from '../api-deps.ts';
import { op } from '../operation.ts';

const change = z.union([
  z.object({ before: z.unknown(), after: z.unknown() }),
  z.literal(SECRET_CHANGED).describe('a secret field: only that it changed, never its value'),
]);

const entry = z.object({
  id: z.number().int(),
  at: z.date(),
  actor: z.string().describe('user:<name>, token:<name>, a CLI user, auto, llm_agent:<name> or system'),
  action: z.string().describe('<target type>.<verb>, e.g. device.update'),
  targetType: z.enum(auditTargetTypes),
  targetId: z.string(),
  targetLabel: z.string().describe('the name people knew the record by at the time'),
  changes: z.record(z.string(), change).describe('changed fields only'),
  note: z.string().nullable(),
});

export const auditRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { db }) => {
  app.get(
    '/audit',
    op('audit', {
      summary: 'The audit trail, newest first: who changed what, and what it was before',
      querystring: z.strictObject({
        actor: z.string().max(300).optional().describe('e.g. token:ci'),
        target: z
          .string()
          .max(MAX_REF_LENGTH)
          .optional()
          .describe('a device name or udid, an account platform:username, a niche slug, or an id'),
        action: z.string().max(100).optional().describe('e.g. device.update'),
        since: timeParam.optional().describe('ISO-8601, or a duration ago like 2h, 7d'),
        ...pageQuery(1000),
      }),
      response: pageResponses('entries', entry),
    }),
    async (request) => {
      const { actor, target, action, since, after, limit } = request.query;
      return listAudit(db, {
        actor,
        action,
        since,
        target: target === undefined ? undefined : await resolveAuditTarget(db, target),
        after,
        limit,
      });
    },
  );
};
