// API tokens: shown once, stored as a hash, found by it, revoked (never deleted), audited.
import { describe, expect, it } from 'vitest';
import {
  authenticateToken,
  createToken,
  findToken,
  hashToken,
  listTokens,
  liveTokenById,
  revokeToken,
} from '../../src/auth/tokens-service.ts';
import { SoviError } from '../../src/errors.ts';
import { useTestDatabase } from '../helpers/database.ts';

const t = useTestDatabase();

const code = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (err) {
    if (err instanceof SoviError) return err.code;
    throw err;
  }
  return 'ok';
};

describe('API tokens', () => {
  it('are 32 random bytes shown once, stored only as their SHA-256', async () => {
    const { token, secret } = await createToken(t.db, { name: 'grafana', readOnly: true }, 'ops');
    expect(secret).toMatch(/^sovi_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(secret.slice(5), 'base64url')).toHaveLength(32);
    expect(token).toMatchObject({ name: 'grafana', readOnly: true, lastUsedAt: null, revokedAt: null });
    const { rows } = await t.pool.query(
      'SELECT row_to_json(a)::text AS row, token_hash FROM api_tokens a WHERE id = $1',
      [token.id],
    );
    expect(rows[0].token_hash).toEqual(hashToken(secret));
    expect(rows[0].row).not.toContain(secret.slice(5));
    const again = await createToken(t.db, { name: 'grafana-2' }, 'ops');
    expect(again.secret).not.toBe(secret);
  });

  it('authenticate by their secret while live, and record their use', async () => {
    const { token, secret } = await createToken(t.db, { name: 'agent' }, 'ops');
    expect(await authenticateToken(t.db, secret)).toMatchObject({
      ok: true,
      token: { id: token.id, name: 'agent', readOnly: false, role: 'admin', owner: null },
    });
    expect((await findToken(t.db, 'agent')).lastUsedAt).toBeInstanceOf(Date);
    expect(await authenticateToken(t.db, `${secret}x`)).toMatchObject({ ok: false });
    expect(await authenticateToken(t.db, 'sovi_short')).toMatchObject({ ok: false });
    expect(await authenticateToken(t.db, '')).toMatchObject({ ok: false });
    expect(await liveTokenById(t.db, token.id)).toMatchObject({ id: token.id });
    expect(await liveTokenById(t.db, 'not-a-uuid')).toBeUndefined();

    await revokeToken(t.db, 'agent', 'ops');
    expect(await authenticateToken(t.db, secret)).toMatchObject({ ok: false });
    expect(await liveTokenById(t.db, token.id)).toBeUndefined();
  });

  it('have names unique among live tokens; a revoked token’s name may be reused', async () => {
    const first = await createToken(t.db, { name: 'Laptop' }, 'ops');
    expect(await code(createToken(t.db, { name: 'laptop' }, 'ops'))).toBe('conflict');
    expect(await code(createToken(t.db, { name: 'has space' }, 'ops'))).toBe('invalid_input');
    expect(await code(createToken(t.db, { name: '' }, 'ops'))).toBe('invalid_input');
    await revokeToken(t.db, first.token.id, 'ops');
    const second = await createToken(t.db, { name: 'laptop' }, 'ops');
    expect((await findToken(t.db, 'LAPTOP')).id).toBe(second.token.id);
  });

  it('are revoked by id or name, once, and listed live or all', async () => {
    const { token } = await createToken(t.db, { name: 'temp' }, 'ops');
    expect((await listTokens(t.db)).map((x) => x.name)).toContain('temp');
    const revoked = await revokeToken(t.db, token.id, 'ops');
    expect(revoked.revokedAt).toBeInstanceOf(Date);
    expect(await code(revokeToken(t.db, 'temp', 'ops'))).toBe('conflict');
    expect(await code(revokeToken(t.db, 'no-such-token', 'ops'))).toBe('not_found');
    expect((await listTokens(t.db)).map((x) => x.name)).not.toContain('temp');
    expect((await listTokens(t.db, { all: true })).map((x) => x.name)).toContain('temp');
  });

  it('are created and revoked as auth events naming the token and who acted, never its secret', async () => {
    const { token, secret } = await createToken(t.db, { name: 'audited', readOnly: true }, 'alice');
    await revokeToken(t.db, 'audited', 'bob');
    const { rows } = await t.pool.query(
      `SELECT event_type, message, context FROM system_events
       WHERE category = 'auth' AND context->>'id' = $1 ORDER BY id`,
      [token.id],
    );
    expect(rows.map((r) => [r.event_type, r.context.actor, r.context.name])).toEqual([
      ['api_token_created', 'alice', 'audited'],
      ['api_token_revoked', 'bob', 'audited'],
    ]);
    expect(rows[0].message).toBe('viewer API token "audited" created by alice');
    expect(JSON.stringify(rows)).not.toContain(secret.slice(5));
  });
});
