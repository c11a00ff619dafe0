// SQL for activity_log, the partitioned audit trail of what happened to accounts, devices and content.
import { sql } from 'kysely';
import type { Executor } from '../db/executor.ts';

export interface ActivityRow {
  account_id: string | null;
  device_id?: string | null;
  action_type: string;
  detail: Record<string, unknown>;
}

/**
 * One statement for any number of rows, with four array parameters: a multi-row VALUES list would send four
 * parameters a row (the planner's ticks write thousands) and make the driver and the server parse them all.
 */
export async function insertActivityRows(db: Executor, rows: ActivityRow[]): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    INSERT INTO activity_log (account_id, device_id, action_type, detail_json)
    SELECT * FROM unnest(${rows.map((r) => r.account_id)}::uuid[], ${rows.map((r) => r.device_id ?? null)}::uuid[],
                         ${rows.map((r) => r.action_type)}::text[], ${rows.map((r) => JSON.stringify(r.detail))}::jsonb[])`.execute(
    db,
  );
}
