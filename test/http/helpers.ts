// The API under test: the real app over the test database, with tokens, a vault with a fresh key, and its
// whole log (at debug level) kept in memory so tests can scan it.
import { Writable } from 'node:stream';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createToken } from '../../src/auth/tokens-service.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { loadPolicies } from '../../src/policies.ts';
import type { ApiSettings } from '../../src/settings/api-settings.ts';
import { buildApp, type AppDeps } from '../../src/http/app.ts';
import { createLogger } from '../../src/logger.ts';
import type { Vault } from '../../src/vault/vault.ts';
import { keyLine, vaultWith } from '../helpers/accounts.ts';
import type { TestDatabase } from '../helpers/database.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface TestApp {
  app: FastifyInstance;
  /**
   * One API request with a bearer token: the admin's, or the `secret` given (e.g. `reader.secret`). A
   * payload, when there is one, is sent as JSON.
   */
  call(method: Method, url: string, payload?: unknown, secret?: string): Promise<LightMyRequestResponse>;
  vault: Vault;
  /** Read-write and read-only bearer secrets, and their names. */
  admin: { secret: string; name: string; id: string };
  reader: { secret: string; name: string; id: string };
  /** Everything the app logged, as JSON lines. */
  log(): string;
  config: Config;
  close(): Promise<void>;
}

let n = 0;

export async function startTestApp(
  t: TestDatabase,
  options: {
    api?: Partial<ApiSettings>;
    vault?: Vault;
    media?: AppDeps['media'];
    /** Where production stages and publish jobs go (the MCP tools that retry or approve need one). */
    contentSink?: AppDeps['contentSink'];
    env?: Record<string, string>;
  } = {},
): Promise<TestApp> {
  let logged = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logged += chunk.toString();
      done();
    },
  });
  const logger = createLogger({ level: 'debug', format: 'json' }, 'debug', sink);
  const vault = options.vault ?? vaultWith(keyLine('k1'));
  const base = loadConfig({ SOVI_HOST_NAME: 'api-test-host', ...options.env });
  const config: Config = {
    ...base,
    api: { ...base.api, ...options.api },
  };
  const app = await buildApp({
    db: t.db,
    pool: t.pool,
    logger,
    vault,
    config,
    policies: loadPolicies(config),
    media: options.media,
    contentSink: options.contentSink,
  });
  const suffix = `${process.pid}-${++n}-${Date.now()}`;
  const admin = await createToken(t.db, { name: `admin-${suffix}` }, 'test');
  const reader = await createToken(t.db, { name: `reader-${suffix}`, readOnly: true }, 'test');
  return {
    app,
    call: (method, url, payload, secret = admin.secret) =>
      app.inject({
        method,
        url,
        headers: bearer(secret),
        ...(payload === undefined ? {} : { payload: payload as object }),
      }),
    vault,
    admin: { secret: admin.secret, name: admin.token.name, id: admin.token.id },
    reader: { secret: reader.secret, name: reader.token.name, id: reader.token.id },
    log: () => logged,
    config,
    close: () => app.close(),
  };
}

export const bearer = (secret: string): Record<string, string> => ({ authorization: `Bearer ${secret}` });

/** The error body's fields named by a 400. */
export const fieldsOf = (response: LightMyRequestResponse): string[] =>
  response.json<{ error: { issues?: { field?: string }[] } }>().error.issues?.map((i) => i.field ?? '') ?? [];
