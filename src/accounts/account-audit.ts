// What the audit trail records of an account: the fields people set, its niche and device by the names
// people know them by, and its secrets only as "changed" (the ciphertext is compared, never recorded).
import { diffChanges, recordAudit } from '../audit/audit-service.ts';
import type { Executor } from '../db/executor.ts';
import { secretFields } from './account-model.ts';
import { findAccountRow, type AccountRow, type NewAccountRow } from './accounts-repository.ts';

type Audited = Pick<
  NewAccountRow,
  | 'username'
  | 'current_state'
  | 'bio'
  | 'profile_pic_url'
  | 'followers'
  | 'following'
  | 'deleted_at'
  | 'email_enc'
  | 'password_enc'
  | 'totp_secret_enc'
  | 'proxy_credentials'
>;

/** The audited fields of a row; `niche` and `device` are the slug and name. */
export const auditedAccount = (row: Audited, niche: string | null, device: string | null) => ({
  username: row.username,
  niche,
  device,
  state: row.current_state ?? 'created',
  bio: row.bio ?? null,
  profilePicUrl: row.profile_pic_url ?? null,
  followers: row.followers ?? 0,
  following: row.following ?? 0,
  deletedAt: row.deleted_at ?? null,
  email: row.email_enc ?? null,
  password: row.password_enc ?? null,
  totp_secret: row.totp_secret_enc ?? null,
  proxy_credentials: row.proxy_credentials ?? null,
});

const snapshot = (row: AccountRow | undefined) => row && auditedAccount(row, row.niche_slug, row.device_name);

export const accountLabel = (row: { platform: string; username: string }) =>
  `${row.platform}:${row.username}`;

export const accountChanges = (
  before: Parameters<typeof diffChanges>[0],
  after: Parameters<typeof diffChanges>[1],
) => diffChanges(before, after, { secret: secretFields });

/**
 * Records a write to one account in the caller's transaction: `before` is the row as it was (undefined for
 * a new account); the after is read back here, so the record shows what the database now holds.
 */
export async function auditAccount(
  trx: Executor,
  entry: { actor: string; action: string; id: string; before: AccountRow | undefined; note?: string | null },
): Promise<void> {
  const after = await findAccountRow(trx, entry.id);
  const label = after ?? entry.before;
  await recordAudit(trx, {
    actor: entry.actor,
    action: entry.action,
    targetType: 'account',
    targetId: entry.id,
    targetLabel: label ? accountLabel(label) : entry.id,
    changes: accountChanges(snapshot(entry.before), snapshot(after)),
    note: entry.note,
  });
}
