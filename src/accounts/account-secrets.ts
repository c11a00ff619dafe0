// The only paths by which an account's secret is written (sealed, bound to its row and column) or read
// (revealed or turned into a TOTP code, each audited with who and which fields, never the values).
import { recordEventWithActivity } from '../activity/activity-log.ts';
import { SoviError } from '../errors.ts';
import { normaliseTotpSecret, totpCode, totpSecondsLeft } from '../vault/totp.ts';
import { envelopeKeyId, textEnvelopeKeyId, type Vault } from '../vault/vault.ts';
import {
  secretColumns,
  secretFields,
  type SecretField,
  type Secrets,
  type SecretSummary,
} from './account-model.ts';
import { recordAudit } from '../audit/audit-service.ts';
import { accountLabel } from './account-audit.ts';
import type { AccountRow } from './accounts-repository.ts';
import { findOwnAccount, type AccountDeps } from './accounts-service.ts';

/** Whether each secret is set, and under which vault key; never the value. */
export function summariseSecrets(row: AccountRow, vault: Vault): Record<SecretField, SecretSummary> {
  const summary = {} as Record<SecretField, SecretSummary>;
  for (const field of secretFields) {
    const value = row[secretColumns[field]];
    const keyId =
      value === null
        ? null
        : typeof value === 'string'
          ? (textEnvelopeKeyId(value) ?? null)
          : (envelopeKeyId(value) ?? null);
    summary[field] = { set: value !== null, keyId, keyConfigured: keyId !== null && vault.hasKey(keyId) };
  }
  return summary;
}

/** Seals each given secret for its column of this row; null clears it, undefined leaves it alone. */
export interface SealedSecrets {
  email_enc?: Buffer | null;
  password_enc?: Buffer | null;
  totp_secret_enc?: Buffer | null;
  proxy_credentials?: string | null;
}

export function sealSecrets(
  vault: Vault,
  rowId: string,
  secrets: Partial<Record<SecretField, string | null>>,
): SealedSecrets {
  const sealed: SealedSecrets = {};
  for (const field of secretFields) {
    const value = secrets[field];
    if (value === undefined) continue;
    const column = secretColumns[field];
    const plaintext =
      value === null || value === '' ? null : field === 'totp_secret' ? normaliseTotpSecret(value) : value;
    const binding = { table: 'accounts', column, rowId };
    if (column === 'proxy_credentials')
      sealed[column] = plaintext === null ? null : vault.sealText(plaintext, binding);
    else sealed[column] = plaintext === null ? null : vault.seal(plaintext, binding);
  }
  return sealed;
}

/** The one way to read secrets: decrypts, and records who revealed which fields (never the values). */
export async function revealSecrets(
  deps: AccountDeps,
  ref: string,
  fields: SecretField[] = [...secretFields],
): Promise<Secrets> {
  const row = await findOwnAccount(deps, ref);
  const secrets: Secrets = {};
  for (const field of fields) {
    const column = secretColumns[field];
    const value = row[column];
    if (value === null) continue;
    const binding = { table: 'accounts', column, rowId: row.id };
    secrets[field] =
      typeof value === 'string' ? deps.vault.openText(value, binding) : deps.vault.open(value, binding);
  }
  await audit(
    deps,
    row,
    'secret_revealed',
    `${deps.actor} revealed ${Object.keys(secrets).join(', ') || 'nothing'}`,
    {
      fields: Object.keys(secrets),
    },
  );
  return secrets;
}

export async function currentTotp(
  deps: AccountDeps,
  ref: string,
  at: Date = new Date(),
): Promise<{ code: string; secondsLeft: number }> {
  const row = await findOwnAccount(deps, ref);
  if (row.totp_secret_enc === null) {
    throw new SoviError('not_found', `account ${row.username} has no TOTP secret`, { field: 'totp_secret' });
  }
  const secret = deps.vault.open(row.totp_secret_enc, {
    table: 'accounts',
    column: 'totp_secret_enc',
    rowId: row.id,
  });
  await audit(deps, row, 'totp_generated', `${deps.actor} generated a TOTP code`, {});
  return { code: totpCode(secret, at), secondsLeft: totpSecondsLeft(at) };
}

async function audit(
  deps: AccountDeps,
  row: AccountRow,
  eventType: string,
  message: string,
  context: Record<string, unknown>,
): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    await recordEventWithActivity(trx, {
      category: 'auth',
      severity: 'info',
      eventType,
      accountId: row.id,
      message: `${row.platform} account ${row.username}: ${message}`,
      context: { actor: deps.actor, ...context },
    });
    // Which fields were read, never their values.
    await recordAudit(trx, {
      actor: deps.actor,
      action: eventType === 'totp_generated' ? 'account.totp' : 'account.reveal',
      targetType: 'account',
      targetId: row.id,
      targetLabel: accountLabel(row),
      note: Array.isArray(context.fields) ? `fields: ${context.fields.join(', ') || 'none'}` : null,
    });
  });
}
