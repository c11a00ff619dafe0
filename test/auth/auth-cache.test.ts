// The API's cache of who calls (src/auth/auth-cache.ts): a bearer token or a dashboard session is looked up
// once, and forgotten when it, its token, its user or the user's niches change, whoever changes them (here:
// raw SQL on another connection, as another process or psql would, which this process's own writes cannot
// short-cut); nothing is served while the cache is not listening, and it listens again after its connection
// is lost. A kept session's expiry and its once-a-minute touch are still decided on every request.
import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthCache, forgetCachedAuth, type AuthCache } from '../../src/auth/auth-cache.ts';
import { selectLiveSession } from '../../src/auth/sessions-repository.ts';
import { startSession } from '../../src/auth/sessions-service.ts';
import { selectLiveTokenByHash } from '../../src/auth/tokens-repository.ts';
import { createToken, hashToken, revokeToken } from '../../src/auth/tokens-service.ts';
import { addUser, disableUser, setPassword } from '../../src/users/users-service.ts';
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

/** A row through the cache (`through`), counting the lookups (`read`) that reached the database. */
function counted<Row>(
  through: (read: () => Promise<Row | undefined>) => Promise<Row | undefined>,
  read: () => Promise<Row | undefined>,
) {
  const counter = { lookups: 0 };
  const readThrough = () =>
    through(() => {
      counter.lookups++;
      return read();
    });
  return Object.assign(counter, { read: readThrough });
}

function reader(cache: AuthCache, secret: string) {
  const hash = hashToken(secret);
  return counted(
    (read) => cache.token(hash, read),
    () => selectLiveTokenByHash(t.db, hash),
  );
}

/** A session's secret is kept as its SHA-256, as sessions-service.ts does. */
const sessionHash = (secret: string) => createHash('sha256').update(secret, 'utf8').digest();

function sessionReader(cache: AuthCache, secret: string) {
  const hash = sessionHash(secret);
  return counted(
    (read) => cache.session(hash, read),
    () => selectLiveSession(t.db, hash),
  );
}

type Counted = { lookups: number; read: () => Promise<unknown> };
/** Until a read through the cache reaches the database (`through`) or not: its row was forgotten, or kept. */
const readsThrough = (what: string, r: Counted, through: boolean) =>
  until(what, async () => {
    const before = r.lookups;
    await r.read();
    return r.lookups > before === through;
  });
const forgotten = (what: string, r: Counted) => readsThrough(what, r, true);
/** Kept, once the changes the test's setup made (a new user's niches, say) have been heard. */
const keptBy = (r: Counted) => readsThrough('kept', r, false);

let n = 0;
const newToken = async (userId?: string) =>
  createToken(t.db, { name: `cached-${process.pid}-${++n}`, userId: userId ?? null }, 'test');
const newUser = () =>
  addUser(t.db, { name: `person-${++n}`, role: 'operator', password: 'a-long-password-1' }, 'test');
/** A dashboard session of a user, signed in with a password (no token) or a token; an hour long. */
async function newSession(userId: string, tokenId: string | null = null, ttlMs = 3_600_000) {
  const { secret, id } = await startSession(t.db, { userId, tokenId, ttlMs, address: null, userAgent: null });
  return { secret, id, cookie: `sovi_session=${secret}` };
}

describe('the auth cache', () => {
  let cache: AuthCache;
  beforeAll(async () => {
    cache = createAuthCache(t.pool, quietLogger);
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
    // Kept, once the notification of the new user's niches (written as it was added) has been heard: a first
    // read may come before it.
    await keptBy(r);

    await other.query(`UPDATE users SET role = 'viewer' WHERE id = $1`, [user.id]);
    await until('the new role is read', async () => (await r.read())?.owner_role === 'viewer');

    const niche = (await other.query<{ id: string }>('SELECT id FROM niches LIMIT 1')).rows[0]!.id;
    await other.query('INSERT INTO user_niches (user_id, niche_id) VALUES ($1, $2)', [user.id, niche]);
    await until('the niche limit is read', async () => (await r.read())?.owner_niche_ids?.[0] === niche);
  });

  it('forgets at once when this process writes (forgetCachedAuth), and keeps no lookup a change overtook', async () => {
    const { secret } = await newToken();
    const r = reader(cache, secret);
    await r.read();
    forgetCachedAuth();
    await r.read();
    expect(r.lookups).toBe(2);

    // A change lands while a lookup is on its way: what it read may be the old row, so it is not kept.
    forgetCachedAuth();
    const hash = hashToken(secret);
    await cache.token(hash, async () => {
      const row = await selectLiveTokenByHash(t.db, hash);
      cache.forget();
      return row;
    });
    await r.read();
    expect(r.lookups).toBe(3);
  });

  it('keeps a session until it, its token, any user or any session deleted changes; a touch is no change', async () => {
    const user = await newUser();
    const { token } = await newToken(user.id);
    const session = await newSession(user.id, token.id);
    const mine = sessionReader(cache, session.secret);
    const marker = await newSession(user.id);
    const theirs = sessionReader(cache, marker.secret);
    await keptBy(mine);
    await keptBy(theirs);
    expect((await mine.read())?.id).toBe(session.id);
    const lookups = mine.lookups;

    // Touched, then another session changed: once that change is heard, a notification of the touch would
    // have been too (one connection's notifications arrive in commit order). There was none.
    await other.query(`UPDATE sessions SET last_seen_at = now() WHERE id = $1`, [session.id]);
    await other.query(`UPDATE sessions SET expires_at = expires_at + interval '1 hour' WHERE id = $1`, [
      marker.id,
    ]);
    await forgotten('the other session’s change is heard', theirs);
    await mine.read();
    expect(mine.lookups).toBe(lookups);

    await other.query(`UPDATE api_tokens SET name = name || '-renamed' WHERE id = $1`, [token.id]);
    await forgotten('the token’s change is heard', mine);
    await other.query(`UPDATE users SET role = 'viewer' WHERE id = $1`, [user.id]);
    await forgotten('the user’s change is heard', mine);
    await other.query(`DELETE FROM sessions WHERE id = $1`, [marker.id]);
    await forgotten('a deleted session is heard', mine);
    await other.query(`UPDATE sessions SET ended_at = now(), ended_reason = 'signed_out' WHERE id = $1`, [
      session.id,
    ]);
    await until('the session’s end is heard', async () => (await mine.read()) === undefined);
  });

  it('keeps a token through its use being noted and its owner signing in, which change nothing it acts with', async () => {
    const user = await newUser();
    const { secret, token } = await newToken(user.id);
    const mine = reader(cache, secret);
    const marker = await newToken();
    const theirs = reader(cache, marker.secret);
    await keptBy(mine);
    await keptBy(theirs);
    const lookups = mine.lookups;

    // The touches (migrations/034 leaves them unannounced), then a change to another token: once that change
    // is heard, a notification of either touch would have been too (one connection's notifications arrive in
    // commit order). There was none.
    await other.query(`UPDATE api_tokens SET last_used_at = now() WHERE id = $1`, [token.id]);
    await other.query(`UPDATE users SET last_sign_in_at = now() WHERE id = $1`, [user.id]);
    await other.query(`UPDATE api_tokens SET name = name || '-renamed' WHERE id = $1`, [marker.token.id]);
    await forgotten('the other token’s change is heard', theirs);
    await mine.read();
    expect(mine.lookups).toBe(lookups);

    // Anything else about the user is still heard, and so is the token's own deletion.
    await other.query(`UPDATE users SET name = name || '-renamed' WHERE id = $1`, [user.id]);
    await forgotten('the user’s rename is heard', mine);
    await other.query(`DELETE FROM api_tokens WHERE id = $1`, [token.id]);
    await until('the token’s deletion is heard', async () => (await mine.read()) === undefined);
  });

  it('serves nothing while its connection is lost, and listens again', async () => {
    const { secret, token } = await newToken();
    const r = reader(cache, secret);
    await r.read();
    await other.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE application_name = 'sovi auth cache' AND datname = current_database()`,
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

/** Every statement sent through `pool` while `fn` runs (each client is wrapped when first handed out). */
function statementRecorder(pool: pg.Pool) {
  let into: string[] | undefined;
  const wrapped = new WeakSet<pg.PoolClient>();
  pool.on('acquire', (client) => {
    if (wrapped.has(client)) return;
    wrapped.add(client);
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    client.query = ((...args: unknown[]) => {
      const [first] = args;
      into?.push(typeof first === 'string' ? first : (first as { text: string }).text);
      return query(...args);
    }) as typeof client.query;
  });
  return async <T>(fn: () => Promise<T>) => {
    const statements: string[] = [];
    into = statements;
    try {
      return { value: await fn(), statements };
    } finally {
      into = undefined;
    }
  };
}

describe('cookie requests with the cache', () => {
  let api: TestApp;
  let recorded: ReturnType<typeof statementRecorder>;
  beforeAll(async () => {
    api = await startTestApp(t);
    recorded = statementRecorder(t.pool);
  });
  afterAll(() => api.close());

  const isLookup = (sql: string) => /\bfrom sessions\b/i.test(sql);
  const isTouch = (sql: string) => /^update "sessions" set "last_seen_at"/i.test(sql);

  /** A request's status, and the statements it sent about who is calling (sessions and tokens). */
  async function request(cookie: string) {
    const { value, statements } = await recorded(() =>
      api.app.inject({ url: '/api/v1/devices', headers: { cookie } }),
    );
    return {
      status: value.statusCode,
      auth: statements.filter((sql) => /\b(sessions|api_tokens)\b/.test(sql)),
    };
  }
  /** Until a request is answered from what the cache keeps: 200, and not a statement about who calls. */
  const kept = (cookie: string) =>
    until('the session is kept', async () => {
      const { status, auth } = await request(cookie);
      return status === 200 && auth.length === 0;
    });
  const refused = (what: string, cookie: string, ms?: number) =>
    until(what, async () => (await request(cookie)).status === 401, ms);

  it('cost no query about who calls once their session is known, signed in with a password or a token', async () => {
    const user = await newUser();
    const withPassword = await newSession(user.id);
    const first = await request(withPassword.cookie);
    expect(first.status).toBe(200);
    expect(first.auth.filter(isLookup)).toHaveLength(1);
    await kept(withPassword.cookie);
    expect(await request(withPassword.cookie)).toEqual({ status: 200, auth: [] });

    // Its token is kept too (the first request notes the token's use, which forgets it once).
    const { token } = await newToken(user.id);
    const withToken = await newSession(user.id, token.id);
    await kept(withToken.cookie);
    expect(await request(withToken.cookie)).toEqual({ status: 200, auth: [] });
  });

  it('are refused once another connection ends the session', async () => {
    const session = await newSession((await newUser()).id);
    await kept(session.cookie);
    await other.query(`UPDATE sessions SET ended_at = now(), ended_reason = 'signed_out' WHERE id = $1`, [
      session.id,
    ]);
    await refused('the end is heard', session.cookie);
  });

  it('are refused once a kept session expires, which nobody announces', async () => {
    const session = await newSession((await newUser()).id, null, 3_000);
    await kept(session.cookie);
    await refused('the expiry', session.cookie, 10_000);
  });

  it('still mark their session seen, once a minute in each process', async () => {
    const session = await newSession((await newUser()).id);
    // Seen 50 s ago, which notifies nobody: the row is kept so, and a later request finds the touch due.
    await other.query(`UPDATE sessions SET last_seen_at = now() - interval '50 seconds' WHERE id = $1`, [
      session.id,
    ]);
    await kept(session.cookie);
    const secondsSinceSeen = async () =>
      Number(
        (
          await other.query<{ s: string }>(
            'SELECT extract(epoch FROM now() - last_seen_at) AS s FROM sessions WHERE id = $1',
            [session.id],
          )
        ).rows[0]!.s,
      );
    const sent: string[] = [];
    await until(
      'the touch',
      async () => {
        const { status, auth } = await request(session.cookie);
        expect(status).toBe(200);
        sent.push(...auth);
        return (await secondsSinceSeen()) < 30;
      },
      15_000,
    );
    expect(sent.filter(isLookup)).toEqual([]);
    expect(sent.filter(isTouch)).toHaveLength(1);
    // Marked seen: the next requests neither look up nor write.
    expect(await request(session.cookie)).toEqual({ status: 200, auth: [] });
  });

  it('are refused once another connection disables the user', async () => {
    const user = await newUser();
    const session = await newSession(user.id);
    await kept(session.cookie);
    await other.query('UPDATE users SET disabled_at = now() WHERE id = $1', [user.id]);
    await refused('the user’s change is heard', session.cookie);
  });

  it('signed in with a token, are refused once another connection revokes it', async () => {
    const user = await newUser();
    const { token } = await newToken(user.id);
    const session = await newSession(user.id, token.id);
    await kept(session.cookie);
    await other.query('UPDATE api_tokens SET revoked_at = now() WHERE id = $1', [token.id]);
    await refused('the revocation is heard', session.cookie);
  });

  it('are refused at once when this process signs out, disables the user, sets a password or revokes the token', async () => {
    const signedOut = await newSession((await newUser()).id);
    await kept(signedOut.cookie);
    await api.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie: signedOut.cookie } });
    expect((await request(signedOut.cookie)).status).toBe(401);

    const disabled = await newUser();
    const ofDisabled = await newSession(disabled.id);
    await kept(ofDisabled.cookie);
    await disableUser(t.db, disabled.id, 'test');
    expect((await request(ofDisabled.cookie)).status).toBe(401);

    const reset = await newUser();
    const ofReset = await newSession(reset.id);
    await kept(ofReset.cookie);
    await setPassword(t.db, reset.id, 'another-long-password-2', 'test');
    expect((await request(ofReset.cookie)).status).toBe(401);

    const owner = await newUser();
    const { token } = await newToken(owner.id);
    const ofToken = await newSession(owner.id, token.id);
    await kept(ofToken.cookie);
    await revokeToken(t.db, token.id, 'test');
    expect((await request(ofToken.cookie)).status).toBe(401);
  });
});
