// SQL for activity_log, the partitioned audit trail of what happened to accounts, devices and content.
import type { Executor } from '../db/executor.ts';

export interface ActivityRow {
  account_id: string | null;
  device_id?: string | null;
  action_type: string;
  detail: Record<string, unknown>;
}

export async function insertActivityRows(db: Executor, rows: ActivityRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('activity_log')
    .values(
      rows.map((r) => ({
        account_id: r.account_id,
        device_id: r.device_id ?? null,
        action_type: r.action_type,
        detail_json: JSON.stringify(r.detail),
      })),
    )
    .execute();
}
