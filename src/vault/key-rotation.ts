// Re-encrypts every stored secret under the newest key, in batches.
//
// Each batch locks its rows (FOR UPDATE) in id order, re-seals the values not yet under the newest key and
// writes them back in the same transaction. A concurrent update of one of those rows waits for the batch and
// then applies on top, so no update is lost; one that committed first is what the batch reads. Values
// already under the newest key are skipped, so a killed rotation simply runs again from the start, cheaply.
import { sql } from 'kysely';
import type { Db } from '../db/pool.ts';
import { recordEvent } from '../events/events-service.ts';
import { recordAudit } from '../audit/audit-service.ts';
import { isTransactionConflict } from '../db/pg-errors.ts';
import { sleep } from '../time.ts';
import { envelopeKeyId, textEnvelopeKeyId, type Vault } from './vault.ts';

const SECRET_COLUMNS = ['email_enc', 'password_enc', 'totp_secret_enc', 'proxy_credentials'] as const;
type SecretColumn = (typeof SECRET_COLUMNS)[number];

interface SecretRow {
  id: string;
  email_enc: Buffer | null;
  password_enc: Buffer | null;
  totp_secret_enc: Buffer | null;
  proxy_credentials: string | null;
}

const keyIdOf = (value: Buffer | string) =>
  typeof value === 'string' ? textEnvelopeKeyId(value) : envelopeKeyId(value);

export interface RotationProgress {
  rowsScanned: number;
  rowsTotal: number;
  valuesRewritten: number;
}

export interface RotationResult extends RotationProgress {
  keyId: string;
  /** Values still under another key afterwards (0 when the rotation is complete). */
  valuesLeftOnOldKeys: number;
}

// A batch locks hundreds of accounts while sessions, the planner and people update them one or a few at a
// time: a deadlock with one of those is rare but possible on a busy fleet. The batch is rolled back whole,
// so it simply runs again (a rotation stopping there would leave the person to run it again by hand).
const CONFLICT_RETRIES = 5;

async function retryOnConflict<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (!isTransactionConflict(err) || attempt >= CONFLICT_RETRIES) throw err;
      await sleep(50 * attempt);
    }
  }
}

export async function rotateKeys(
  db: Db,
  vault: Vault,
  options: {
    batchSize?: number;
    actor: string;
    onProgress?: (p: RotationProgress) => void;
    signal?: AbortSignal;
  },
): Promise<RotationResult> {
  const batchSize = options.batchSize ?? 500;
  const keyId = vault.currentKeyId();
  const rowsTotal = Number(
    (
      await db
        .selectFrom('accounts')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
  const progress: RotationProgress = { rowsScanned: 0, rowsTotal, valuesRewritten: 0 };
  let lastId = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    options.signal?.throwIfAborted();
    const batch = await retryOnConflict(() =>
      db.transaction().execute(async (trx) => {
        const rows = await sql<SecretRow>`
        SELECT id, email_enc, password_enc, totp_secret_enc, proxy_credentials
        FROM accounts WHERE id > ${lastId}
        ORDER BY id LIMIT ${batchSize}
        FOR UPDATE`.execute(trx);
        let rewritten = 0;
        for (const row of rows.rows) {
          const patch: {
            email_enc?: Buffer;
            password_enc?: Buffer;
            totp_secret_enc?: Buffer;
            proxy_credentials?: string;
          } = {};
          for (const column of SECRET_COLUMNS) {
            const value = row[column];
            if (value === null || keyIdOf(value) === keyId) continue;
            const binding = { table: 'accounts', column, rowId: row.id };
            // open() refuses values under unconfigured keys, naming the key: the rotation stops there, and the
            // rows already done stay done.
            if (typeof value === 'string')
              patch.proxy_credentials = vault.sealText(vault.openText(value, binding), binding);
            else
              patch[column as Exclude<SecretColumn, 'proxy_credentials'>] = vault.seal(
                vault.open(value, binding),
                binding,
              );
            rewritten++;
          }
          // updated_at is left as it was: rotation is not a change anyone made to the account.
          if (Object.keys(patch).length > 0) {
            await trx.updateTable('accounts').set(patch).where('id', '=', row.id).execute();
          }
        }
        return { count: rows.rows.length, lastId: rows.rows.at(-1)?.id, rewritten };
      }),
    );
    progress.rowsScanned += batch.count;
    progress.valuesRewritten += batch.rewritten;
    options.onProgress?.({ ...progress, rowsTotal: Math.max(progress.rowsTotal, progress.rowsScanned) });
    if (!batch.lastId || batch.count < batchSize) break;
    lastId = batch.lastId;
  }
  const left = await countValuesByKey(db);
  const valuesLeftOnOldKeys = [...left.entries()]
    .filter(([id]) => id !== keyId)
    .reduce((sum, [, n]) => sum + n, 0);
  await db.transaction().execute(async (trx) => {
    await recordEvent(trx, {
      category: 'auth',
      severity: 'info',
      eventType: 'keys_rotated',
      message: `${options.actor} rotated vault keys to ${keyId}: ${progress.valuesRewritten} values re-encrypted, ${valuesLeftOnOldKeys} left on older keys`,
      context: {
        actor: options.actor,
        keyId,
        valuesRewritten: progress.valuesRewritten,
        valuesLeftOnOldKeys,
      },
    });
    // The key's id and the counts; key material never leaves the keyring. Each batch commits on its own
    // (the rotation is resumable), so the record is written once the whole run is done.
    await recordAudit(trx, {
      actor: options.actor,
      action: 'key.rotate',
      targetType: 'key',
      targetId: keyId,
      targetLabel: `vault key ${keyId}`,
      changes: {
        valuesRewritten: { before: null, after: progress.valuesRewritten },
        valuesLeftOnOldKeys: { before: null, after: valuesLeftOnOldKeys },
      },
    });
  });
  return { ...progress, keyId, valuesLeftOnOldKeys };
}

/** How many stored values each key seals (the header names the key; nothing is decrypted). */
export async function countValuesByKey(db: Db): Promise<Map<string, number>> {
  const rows = await sql<{ key_id: string | null; n: number }>`
    SELECT key_id, count(*)::int AS n FROM (
      SELECT sovi_envelope_key_id(email_enc) AS key_id FROM accounts WHERE email_enc IS NOT NULL
      UNION ALL SELECT sovi_envelope_key_id(password_enc) FROM accounts WHERE password_enc IS NOT NULL
      UNION ALL SELECT sovi_envelope_key_id(totp_secret_enc) FROM accounts WHERE totp_secret_enc IS NOT NULL
      UNION ALL SELECT sovi_envelope_key_id(decode(proxy_credentials, 'base64')) FROM accounts
        WHERE proxy_credentials IS NOT NULL
    ) v GROUP BY key_id ORDER BY key_id`.execute(db);
  return new Map(rows.rows.map((r) => [r.key_id ?? '(not a vault value)', r.n]));
}
