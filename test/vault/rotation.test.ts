// Key rotation: everything ends under the newest key, a killed rotation resumes, and concurrent updates
// are never lost.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { addAccount, updateAccount } from '../../src/accounts/accounts-service.ts';
import { revealSecrets } from '../../src/accounts/account-secrets.ts';
import { createDb } from '../../src/db/pool.ts';
import { countValuesByKey, rotateKeys } from '../../src/vault/key-rotation.ts';
import { accountDeps, keyLine, newAccount, vaultWith } from '../helpers/accounts.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { until } from '../helpers/until.ts';

const t = useTestDatabase();
const k1 = keyLine('k1');
const k2 = keyLine('k2');
const k3 = keyLine('k3');

async function freshAccounts(n: number, lines: string[]) {
  await t.pool.query('DELETE FROM activity_log; DELETE FROM system_events; DELETE FROM accounts');
  const deps = accountDeps(t.db, vaultWith(...lines));
  const made = [];
  for (let i = 0; i < n; i++) {
    const input = newAccount();
    made.push({ id: (await addAccount(deps, input)).id, secrets: input.secrets! });
  }
  return made;
}

describe('key rotation', () => {
  it('re-encrypts every value under the newest key, with progress, and says none are left behind', async () => {
    const made = await freshAccounts(7, [k1]);
    expect(await countValuesByKey(t.db)).toEqual(new Map([['k1', 28]]));
    const vault = vaultWith(k1, k2);
    const seen: number[] = [];
    const result = await rotateKeys(t.db, vault, {
      batchSize: 3,
      actor: 'ops',
      onProgress: (p) => seen.push(p.rowsScanned),
    });
    expect(result).toMatchObject({
      keyId: 'k2',
      rowsScanned: 7,
      rowsTotal: 7,
      valuesRewritten: 28,
      valuesLeftOnOldKeys: 0,
    });
    expect(seen).toEqual([3, 6, 7]);
    expect(await countValuesByKey(t.db)).toEqual(new Map([['k2', 28]]));
    // Readable with the new key alone: the old one can go.
    const newOnly = accountDeps(t.db, vaultWith(k2));
    for (const a of made) expect(await revealSecrets(newOnly, a.id)).toEqual(a.secrets);
    const again = await rotateKeys(t.db, vault, { actor: 'ops' });
    expect(again.valuesRewritten).toBe(0);
  });

  it('resumes where a killed rotation stopped', async () => {
    await freshAccounts(10, [k1]);
    const vault = vaultWith(k1, k2);
    const controller = new AbortController();
    await expect(
      rotateKeys(t.db, vault, {
        batchSize: 4,
        actor: 'ops',
        signal: controller.signal,
        onProgress: () => controller.abort(), // Killed after the first committed batch.
      }),
    ).rejects.toThrow();
    expect(await countValuesByKey(t.db)).toEqual(
      new Map([
        ['k1', 24],
        ['k2', 16],
      ]),
    );
    const resumed = await rotateKeys(t.db, vault, { batchSize: 4, actor: 'ops' });
    expect(resumed).toMatchObject({ valuesRewritten: 24, valuesLeftOnOldKeys: 0 });
  });

  it('never loses an update that lands while it runs', async () => {
    const made = await freshAccounts(40, [k1]);
    const vault = vaultWith(k1, k2);
    const deps = accountDeps(t.db, vault);
    const last = new Map<string, string>();
    let stop = false;
    const updater = (async () => {
      for (let round = 0; !stop || round < 3; round++) {
        await Promise.all(
          made.map(async (a) => {
            const value = `pw-${a.id.slice(0, 8)}-${round}`;
            await updateAccount(deps, a.id, { secrets: { password: value } });
            last.set(a.id, value);
          }),
        );
      }
    })();
    await rotateKeys(t.db, vault, { batchSize: 5, actor: 'ops' });
    stop = true;
    await updater;
    for (const a of made) {
      const secrets = await revealSecrets(accountDeps(t.db, vaultWith(k2)), a.id);
      expect(secrets.password).toBe(last.get(a.id));
      expect(secrets.email).toBe(a.secrets.email);
    }
  });

  it('runs a batch again when the server picks it as a deadlock victim, losing neither side', async () => {
    await freshAccounts(6, [k1]);
    const ids = (await t.pool.query<{ id: string }>('SELECT id FROM accounts ORDER BY id')).rows.map(
      (r) => r.id,
    );
    const [first, last] = [ids[0]!, ids.at(-1)!];
    // Another transaction holds the batch's last row and then wants its first: a lock cycle. PostgreSQL
    // looks for a cycle once per wait, deadlock_timeout after the wait began, and cancels the transaction
    // that finds it. So that the rotator is the one, it waits on a connection whose check comes 10 s in
    // (time enough, on a busy machine, for the other side to join the cycle first), and the other side's
    // check comes far later. With the default 1 s on both, a slow machine let the other side find it.
    const rotatorPool = new pg.Pool({ connectionString: t.url, options: '-c deadlock_timeout=10s', max: 2 });
    const other = await t.pool.connect();
    try {
      await other.query('BEGIN');
      await other.query(`SET LOCAL deadlock_timeout = '10min'`);
      await other.query('SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE', [last]);
      const rotation = rotateKeys(createDb(rotatorPool), vaultWith(k1, k2), { actor: 'ops' });
      await until('the rotator waiting for the held row', async () => {
        const { rows } = await t.pool.query(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        return rows.length > 0 ? true : undefined;
      });
      await other.query(`UPDATE accounts SET bio = 'kept' WHERE id = $1`, [first]);
      await other.query('COMMIT');
      await expect(rotation).resolves.toMatchObject({ valuesRewritten: 24, valuesLeftOnOldKeys: 0 });
    } finally {
      // A failed step leaves the transaction open: never hand it back to the pool for the next test.
      await other.query('ROLLBACK').catch(() => undefined);
      other.release();
      await rotatorPool.end();
    }
    expect(await countValuesByKey(t.db)).toEqual(new Map([['k2', 24]]));
    const { rows } = await t.pool.query<{ bio: string }>('SELECT bio FROM accounts WHERE id = $1', [first]);
    expect(rows[0]?.bio).toBe('kept');
  });

  it('stops at a value under a key that is not configured, naming it, keeping finished batches', async () => {
    await freshAccounts(3, [k1]);
    await freshAccountsAppend(3, [k3]);
    const vault = vaultWith(k1, k2); // k3 is unknown here.
    await expect(rotateKeys(t.db, vault, { batchSize: 1, actor: 'ops' })).rejects.toThrow(
      /encrypted under key "k3", which is not configured/,
    );
    const counts = await countValuesByKey(t.db);
    expect(counts.get('k3')).toBe(12);
    expect((counts.get('k1') ?? 0) + (counts.get('k2') ?? 0)).toBe(12);
    // Once the missing key is configured, the same command finishes the job.
    const fixed = await rotateKeys(t.db, vaultWith(k3, k1, k2), { batchSize: 1, actor: 'ops' });
    expect(fixed.valuesLeftOnOldKeys).toBe(0);
    expect(await countValuesByKey(t.db)).toEqual(new Map([['k2', 24]]));
  });
});

async function freshAccountsAppend(n: number, lines: string[]) {
  const deps = accountDeps(t.db, vaultWith(...lines));
  for (let i = 0; i < n; i++) await addAccount(deps, newAccount());
}
