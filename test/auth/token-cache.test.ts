// The API's bearer-token cache (src/auth/token-cache.ts): a token is looked up once, and forgotten when it,
// its owner or the owner's niches change, whoever changes them (here: raw SQL on another connection, as
// another process or psql would, which this process's own writes cannot short-cut); nothing is served while
// the cache is not listening, and it listens again after its connection is lost.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenCache, forgetCachedTokens, type TokenCache } from '../../src/auth/token-cache.ts';
import { selectLiveTokenByHash } from '../../src/auth/tokens-repository.ts';
import { createToken, hashToken } from '../../src/auth/tokens-service.ts';
import { addUser } from '../../src/users/users-service.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { bearer, startTestApp, type TestApp } from '../http/helpers.ts';

const t = useTestDatabase();

/** Another connection of its own: what another sovi process, the CLI or psql would write through. */
let other: pg.Client;
beforeAll(async () => {
  other = new pg.Client({ connectionString: t.url });
  await other.connect();
});
afterAll(() => other.end());

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A token's row through the cache, counting the lookups that reached the database. */
function reader(cache: TokenCache, secret: string) {
  const hash = hashToken(secret);
  const counted = { lookups: 0 };
  const read = () =>
    cache.row(hash, async () => {
      counted.lookups++;
      return selectLiveTokenByHash(t.db, hash);
    });
  return Object.assign(counted, { read });
}

let n = 0;
const newToken = async (userId?: string) =>
  createToken(t.db, { name: `cached-${process.pid}-${++n}`, userId: userId ?? null }, 'test');

describe('the token cache', () => {
  let cache: TokenCache;
  beforeAll(async () => {
    cache = createTokenCache(t.pool, quietLogger);
    await until('listening', () => cache.listening);
  });
  afterAll(() => cache.close());

  it('looks a token up once, and again once another connection changes it', async () => {
    const { secret, token } = await newToken();
    const r = reader(cache, secret);
    await r.read();
    expect((await r.read())?.id).toBe(token.id);
    expect(r.lookups).toBe(1);

    await other.query(`UPDATE api_tokens SET revoked_at = now() WHERE id = $1`, [token.id]);
    await until('the revocation is heard', async () => (await r.read()) === undefined);
    expect(r.lookups).toBeGreaterThan(1);
  });

  it("forgets every token when a user or a user's niches change", async () => {
    const user = await addUser(
      t.db,
      { name: `owner-${++n}`, role: 'operator', password: 'a-long-password-1' },
      'test',
    );
    const { secret } = await newToken(user.id);
    const r = reader(cache, secret);
    await r.read();
    await r.read();
    expect(r.lookups).toBe(1);

    await other.query(`UPDATE users SET role = 'viewer' WHERE id = $1`, [user.id]);
    await until('the new role is read', async () => (await r.read())?.owner_role === 'viewer');

    const niche = (await other.query<{ id: string }>('SELECT id FROM niches LIMIT 1')).rows[0]!.id;
    await other.query('INSERT INTO user_niches (user_id, niche_id) VALUES ($1, $2)', [user.id, niche]);
    await until('the niche limit is read', async () => (await r.read())?.owner_niche_ids?.[0] === niche);
  });

  it('forgets at once when this process writes (forgetCachedTokens), and keeps no lookup a change overtook', async () => {
    const { secret } = await newToken();
    const r = reader(cache, secret);
    await r.read();
    forgetCachedTokens();
    await r.read();
    expect(r.lookups).toBe(2);

    // A change lands while a lookup is on its way: what it read may be the old row, so it is not kept.
    forgetCachedTokens();
    const hash = hashToken(secret);
    await cache.row(hash, async () => {
      const row = await selectLiveTokenByHash(t.db, hash);
      cache.forget();
      return row;
    });
    await r.read();
    expect(r.lookups).toBe(3);
  });

  it('serves nothing while its connection is lost, and listens again', async () => {
    const { secret, token } = await newToken();
    const r = reader(cache, secret);
    await r.read();
    await other.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE application_name = 'sovi token cache' AND datname = current_database()`,
    );
    await until('deaf', () => !cache.listening);
    // Revoked while nobody listens: no notification will ever say so.
    await other.query(`UPDATE api_tokens SET revoked_at = now() WHERE id = $1`, [token.id]);
    expect(await r.read()).toBeUndefined();

    // A later request listens again (after a second's pause), starting empty.
    const fresh = await newToken();
    const f = reader(cache, fresh.secret);
    await until('listening again', async () => {
      await f.read();
      return cache.listening;
    });
    await f.read();
    const before = f.lookups;
    await f.read();
    await f.read();
    expect(f.lookups).toBe(before);
  });
});

describe('bearer requests with the cache', () => {
  let api: TestApp;
  beforeAll(async () => {
    api = await startTestApp(t);
  });
  afterAll(() => api.close());

  const status = async (secret: string) =>
    (await api.app.inject({ url: '/api/v1/devices', headers: bearer(secret) })).statusCode;

  it('are refused once another process revokes the token', async () => {
    const { secret, token } = await newToken();
    await until('the token is served', async () => (await status(secret)) === 200);
    await other.query(`UPDATE api_tokens SET revoked_at = now() WHERE id = $1`, [token.id]);
    await until('401', async () => (await status(secret)) === 401);
  });

  it('are refused once a cached token expires', async () => {
    const { secret } = await createToken(t.db, { name: `expiring-${++n}`, expiresInMs: 1_500 }, 'test');
    expect(await status(secret)).toBe(200);
    expect(await status(secret)).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    const response = await api.app.inject({ url: '/api/v1/devices', headers: bearer(secret) });
    expect(response.statusCode).toBe(401);
    expect(response.json().error.message).toMatch(/expired/);
  });
});
