// SQL for posting_schedules: a niche's posting windows (its accounts' default) and an account's override.
//   posting_schedules_niche_id_key, posting_schedules_account_id_key: one row per owner
import { sql } from 'kysely';
import type { Executor } from '../db/executor.ts';

export interface PostingScheduleRow {
  id: string;
  niche_id: string | null;
  account_id: string | null;
  time_zone: string;
  windows: string[];
  max_per_day: number;
  min_gap_minutes: number;
  updated_at: Date;
}

export type ScheduleOwner = { nicheId: string } | { accountId: string };

const columns = [
  'id',
  'niche_id',
  'account_id',
  'time_zone',
  'windows',
  'max_per_day',
  'min_gap_minutes',
  'updated_at',
] as const;

export async function findScheduleRow(
  db: Executor,
  owner: ScheduleOwner,
): Promise<PostingScheduleRow | undefined> {
  const q = db.selectFrom('posting_schedules').select(columns);
  return 'nicheId' in owner
    ? q.where('niche_id', '=', owner.nicheId).executeTakeFirst()
    : q.where('account_id', '=', owner.accountId).executeTakeFirst();
}

/** The schedule an account posts by: its own override, else its niche's; undefined when neither exists. */
export async function effectiveScheduleRow(
  db: Executor,
  accountId: string,
): Promise<PostingScheduleRow | undefined> {
  const { rows } = await sql<PostingScheduleRow>`
    SELECT s.id, s.niche_id, s.account_id, s.time_zone, s.windows, s.max_per_day, s.min_gap_minutes, s.updated_at
    FROM accounts a
    JOIN posting_schedules s ON s.account_id = a.id OR (s.niche_id = a.niche_id)
    WHERE a.id = ${accountId}
    ORDER BY s.account_id IS NULL
    LIMIT 1`.execute(db);
  return rows[0];
}

export interface ScheduleValues {
  time_zone: string;
  windows: string[];
  max_per_day: number;
  min_gap_minutes: number;
}

export async function upsertScheduleRow(
  db: Executor,
  owner: ScheduleOwner,
  values: ScheduleValues,
): Promise<PostingScheduleRow> {
  const key = 'nicheId' in owner ? 'niche_id' : 'account_id';
  return db
    .insertInto('posting_schedules')
    .values({
      ...values,
      niche_id: 'nicheId' in owner ? owner.nicheId : null,
      account_id: 'accountId' in owner ? owner.accountId : null,
    })
    .onConflict((oc) => oc.column(key).doUpdateSet(values))
    .returning(columns)
    .executeTakeFirstOrThrow();
}

export async function deleteScheduleRow(db: Executor, owner: ScheduleOwner): Promise<boolean> {
  const q = db.deleteFrom('posting_schedules');
  const done = await (
    'nicheId' in owner ? q.where('niche_id', '=', owner.nicheId) : q.where('account_id', '=', owner.accountId)
  ).executeTakeFirst();
  return done.numDeletedRows > 0n;
}
