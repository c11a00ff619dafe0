// Managed accounts: list (the CLI's filters), show, create (secrets in the body are sealed by the vault and
// never echoed), update, soft delete and restore, lifecycle transitions, and the two audited ways to read a
// secret (reveal, TOTP). Accounts are referred to by id, platform:username or username, as in the CLI.
// The dashboard's workplace adds a CSV import with a preview (the CLI's importer, all or nothing) and bulk
// state changes and moves of selected accounts, each refused or done on its own. Their paths hold a hyphen,
// which no username has, so they never shadow an account's own routes.
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import { accountStates, secretFields } from '../../accounts/account-model.ts';
import {
  addAccount,
  deleteAccount,
  getAccount,
  listAccounts,
  restoreAccount,
  updateAccount,
  type AccountDeps,
} from '../../accounts/accounts-service.ts';
import { currentTotp, revealSecrets } from '../../accounts/account-secrets.ts';
import { setAccountState } from '../../accounts/account-state.ts';
import { checkAccountsCsv, importAccountsCsv } from '../../accounts/account-import.ts';
import { moveAccounts, setAccountStates } from '../../accounts/account-bulk.ts';
import { BATCH_BODY_LIMIT } from '../batch.ts';
import { actorOf, scopeOf } from '../auth.ts';
import { booleanParam, listParam, nicheFields, pageQuery, pageResponses, refParam } from '../schemas.ts';
import type { ApiDeps } from '../api-deps.ts';
import { platforms } from '../../platforms.ts';
import { op } from '../operation.ts';

const secretSummary = z.object({
  set: z.boolean(),
  keyId: z.string().nullable().describe('the vault key it is sealed under'),
  keyConfigured: z.boolean().describe('whether this server has that key'),
});

// Secrets appear as summaries only: no response schema but reveal's has a place for a value.
const account = z.object({
  id: z.uuid(),
  platform: z.enum(platforms),
  username: z.string(),
  ...nicheFields,
  deviceId: z.string().nullable(),
  deviceName: z.string().nullable(),
  state: z.enum(accountStates),
  warmingDayCount: z.number().int(),
  followers: z.number().int(),
  following: z.number().int(),
  bio: z.string().nullable(),
  profilePicUrl: z.string().nullable(),
  lastActivityAt: z.date().nullable(),
  lastWarmedAt: z.date().nullable(),
  lastPostAt: z.date().nullable(),
  deletedAt: z.date().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
  secrets: z
    .object({
      email: secretSummary,
      password: secretSummary,
      totp_secret: secretSummary,
      proxy_credentials: secretSummary,
    })
    .describe('whether each secret is set, and under which key; never the values'),
});

const count = z.number().int().min(0).max(2_147_483_647);
const secret = z.string().max(4000);
const accountRef = z.strictObject({
  ref: refParam.describe('account id, platform:username, or a username only one live account has'),
});
/** Routes that take no body still refuse one with fields in it. */
const noBody = z.strictObject({}).nullish();

const csvUpload = z.strictObject({
  csv: z
    .string()
    .describe('the file, as `sovi accounts import` reads it: a header line, then one account a line'),
  source: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('the file name, named in messages and the event log (default upload.csv)'),
});
const issue = z.object({
  line: z.number().int().optional().describe('the line in the file (1 is the header)'),
  field: z.string().optional(),
  message: z.string(),
});
/** Up to 500 accounts per bulk change: a dashboard selection, not a migration. */
const selection = z.array(z.uuid()).min(1).max(500).describe('account ids');
const bulkOutcome = z.object({
  id: z.string(),
  account: z.string().nullable().describe('platform:username; null when there is no such account'),
  ok: z.boolean(),
  error: z
    .object({ code: z.string(), message: z.string(), allowed: z.array(z.string()).optional() })
    .optional()
    .describe('why this account was not changed'),
});
const bulkResult = z.object({
  changed: z.number().int(),
  refused: z.number().int(),
  results: z.array(bulkOutcome),
});
const summarise = (results: z.infer<typeof bulkOutcome>[]) => ({
  changed: results.filter((r) => r.ok).length,
  refused: results.filter((r) => !r.ok).length,
  results,
});

/** Plaintext leaves through these two routes only: no cache may keep it. */
const noStore = { 'cache-control': 'no-store' } as const;

export const accountsRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { db, vault, policies }) => {
  const deps = (request: FastifyRequest): AccountDeps => ({
    db,
    vault,
    actor: actorOf(request),
    warmingPolicy: policies.warming,
    scope: scopeOf(request),
  });

  app.get(
    '/accounts',
    op('accounts', {
      summary: 'List accounts, oldest first (the warming queue with needsWarming=true)',
      querystring: z.strictObject({
        platform: z.enum(platforms).optional(),
        state: listParam(accountStates).optional().describe('comma-separated, or repeated'),
        niche: z.string().max(100).optional().describe('niche slug'),
        device: refParam.optional().describe('device id, udid or name'),
        needsWarming: booleanParam
          .optional()
          .describe('the warming queue: due states, least recently warmed first'),
        deleted: z.enum(['exclude', 'only', 'include']).optional().describe('default exclude'),
        ...pageQuery(1000),
      }),
      response: pageResponses('accounts', account),
    }),
    async (request) => listAccounts(deps(request), request.query),
  );

  app.get(
    '/accounts/:ref',
    op('accounts', {
      summary: 'One account (deleted ones by id)',
      params: accountRef,
      response: { 200: account },
    }),
    async (request) => getAccount(deps(request), request.params.ref),
  );

  app.post(
    '/accounts',
    op('accounts', {
      action: 'accounts.write',
      summary: 'Add an account; its secrets are sealed by the vault and never returned',
      body: z.strictObject({
        platform: z.enum(platforms),
        username: z.string().max(30).describe('1–30 letters, digits, underscores or periods'),
        niche: z.string().max(100).optional().describe('niche slug'),
        device: refParam.optional().describe('device id, udid or name'),
        state: z.enum(accountStates).optional().describe('default created'),
        bio: z.string().max(2000).optional(),
        profilePicUrl: z.string().max(2000).optional(),
        followers: count.optional(),
        following: count.optional(),
        secrets: z
          .strictObject({
            email: secret.optional(),
            password: secret.optional(),
            totp_secret: secret.optional().describe('base32, as authenticator apps take it'),
            proxy_credentials: secret.optional(),
          })
          .optional(),
      }),
      response: { 201: account },
    }),
    async (request, reply) => reply.status(201).send(await addAccount(deps(request), request.body)),
  );

  app.patch(
    '/accounts/:ref',
    op('accounts', {
      action: 'accounts.write',
      summary: 'Change an account; null clears niche, device, bio, profilePicUrl or a secret',
      params: accountRef,
      body: z.strictObject({
        username: z.string().max(30).optional(),
        niche: z.string().max(100).nullable().optional(),
        device: refParam.nullable().optional(),
        bio: z.string().max(2000).nullable().optional(),
        profilePicUrl: z.string().max(2000).nullable().optional(),
        followers: count.optional(),
        following: count.optional(),
        secrets: z
          .strictObject({
            email: secret.nullable().optional(),
            password: secret.nullable().optional(),
            totp_secret: secret.nullable().optional(),
            proxy_credentials: secret.nullable().optional(),
          })
          .optional(),
      }),
      response: { 200: account },
    }),
    async (request) => updateAccount(deps(request), request.params.ref, request.body),
  );

  app.delete(
    '/accounts/:ref',
    op('accounts', {
      action: 'accounts.write',
      summary: 'Soft-delete an account (it keeps its history; restore brings it back)',
      params: accountRef,
      querystring: z.strictObject({ reason: z.string().max(1000).optional() }),
      response: { 200: account },
    }),
    async (request) => deleteAccount(deps(request), request.params.ref, request.query.reason),
  );

  app.post(
    '/accounts/:ref/restore',
    op('accounts', {
      action: 'accounts.write',
      summary: 'Restore a soft-deleted account (by id)',
      params: accountRef,
      body: noBody,
      response: { 200: account },
    }),
    async (request) => restoreAccount(deps(request), request.params.ref),
  );

  app.post(
    '/accounts/:ref/state',
    op('accounts', {
      action: 'accounts.write',
      summary: 'A lifecycle transition; 409 names the states allowed from the current one',
      params: accountRef,
      body: z.strictObject({
        state: z.enum(accountStates),
        reason: z.string().min(1).max(1000).describe('kept in the event log'),
        from: z.enum(accountStates).optional().describe('only if the account is still in this state'),
      }),
      response: {
        200: z.object({ from: z.enum(accountStates), to: z.enum(accountStates), account }),
      },
    }),
    async (request) => {
      const { state, reason, from } = request.body;
      const change = await setAccountState(deps(request), request.params.ref, state, {
        reason,
        expectedFrom: from,
      });
      return { ...change, account: await getAccount(deps(request), request.params.ref) };
    },
  );

  app.post(
    '/accounts/import-preview',
    {
      config: { action: 'accounts.write' },
      bodyLimit: BATCH_BODY_LIMIT,
      schema: {
        tags: ['accounts'],
        summary: 'Check a CSV of accounts as the import would, writing nothing: every bad line, by number',
        body: csvUpload,
        response: {
          200: z.object({
            rows: z.number().int().describe('the rows read (0 when the header or the CSV itself is bad)'),
            issues: z.array(issue).describe('every problem, by line; empty when the import would succeed'),
          }),
        },
      },
    },
    async (request) => checkAccountsCsv(deps(request), request.body.csv, request.body.source ?? 'upload.csv'),
  );

  app.post(
    '/accounts/import',
    {
      config: { action: 'accounts.write' },
      bodyLimit: BATCH_BODY_LIMIT,
      schema: {
        tags: ['accounts'],
        summary:
          'Import a CSV of accounts (as `sovi accounts import`): all rows or none; 400 lists every bad line',
        body: csvUpload,
        response: { 201: z.object({ imported: z.number().int() }) },
      },
    },
    async (request, reply) =>
      reply.status(201).send(
        await importAccountsCsv(deps(request), request.body.csv, {
          source: request.body.source ?? 'upload.csv',
        }),
      ),
  );

  app.post(
    '/accounts/bulk-state',
    op('accounts', {
      action: 'accounts.write',
      summary: 'A lifecycle transition of each selected account; the ones the lifecycle refuses say why',
      body: z.strictObject({
        accounts: selection,
        state: z.enum(accountStates),
        reason: z.string().min(1).max(1000).describe('kept in the event log'),
      }),
      response: { 200: bulkResult },
    }),
    async (request) => {
      const { accounts, state, reason } = request.body;
      return summarise(await setAccountStates(deps(request), accounts, state, reason));
    },
  );

  app.post(
    '/accounts/bulk-move',
    op('accounts', {
      action: 'accounts.write',
      summary: 'Move each selected account to a device (null: to no device)',
      body: z.strictObject({
        accounts: selection,
        device: refParam.nullable().describe('device id, udid or name; null takes them off their device'),
      }),
      response: { 200: bulkResult },
    }),
    async (request) =>
      summarise(await moveAccounts(deps(request), request.body.accounts, request.body.device)),
  );

  app.post(
    '/accounts/:ref/reveal',
    op('accounts', {
      action: 'secrets.reveal',
      summary: "An account's secrets in plaintext; recorded as an auth event (who and which fields)",
      params: accountRef,
      body: z.strictObject({ fields: z.array(z.enum(secretFields)).min(1).optional() }).nullish(),
      response: {
        200: z.object({
          secrets: z.object({
            email: z.string().optional(),
            password: z.string().optional(),
            totp_secret: z.string().optional(),
            proxy_credentials: z.string().optional(),
          }),
        }),
      },
    }),
    async (request, reply) => {
      const secrets = await revealSecrets(deps(request), request.params.ref, request.body?.fields);
      return reply.headers(noStore).send({ secrets });
    },
  );

  app.post(
    '/accounts/:ref/totp',
    op('accounts', {
      action: 'secrets.reveal',
      summary: "The account's current TOTP code (RFC 6238); recorded as an auth event",
      params: accountRef,
      body: noBody,
      response: {
        200: z.object({ code: z.string(), secondsLeft: z.number().int() }),
      },
    }),
    async (request, reply) =>
      reply.headers(noStore).send(await currentTotp(deps(request), request.params.ref)),
  );
};
