// SQL for audit_log. Inserts only: the table is append-only (a trigger refuses UPDATE and DELETE).
import { sql, type Selectable } from 'kysely';
import type { Executor } from '../db/executor.ts';
import { exactTime } from '../db/keyset.ts';
import type { AuditLog } from '../db/types.generated.ts';

export type AuditRow = Selectable<AuditLog> & { cursor_time: string };

export interface NewAuditRow {
  actor: string;
  action: string;
  target_type: string;
  target_id: string;
  target_label: string;
  changes: Record<string, unknown>;
  note: string | null;
}

export async function insertAuditRows(db: Executor, rows: NewAuditRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('audit_log')
    .values(rows.map((r) => ({ ...r, changes: JSON.stringify(r.changes) })))
    .execute();
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  /** A record by type and id, or (when the record is gone or unknown) by the label it was recorded with. */
  target?: { type?: string; id: string } | { label: string };
  since?: Date;
}

/**
 * Newest first, after the (at, id) key. The target filter is served by audit_log_target_idx, the actor
 * filter by audit_log_actor_idx, the rest by audit_log_at_idx.
 */
export async function selectAuditRows(
  db: Executor,
  filter: AuditFilter,
  limit: number,
  after: [string, number] | undefined,
): Promise<AuditRow[]> {
  let query = db
    .selectFrom('audit_log')
    .select([
      'id',
      'at',
      'actor',
      'action',
      'target_type',
      'target_id',
      'target_label',
      'changes',
      'note',
      exactTime('at').$notNull().as('cursor_time'),
    ]);
  if (filter.actor !== undefined) query = query.where('actor', '=', filter.actor);
  if (filter.action !== undefined) query = query.where('action', '=', filter.action);
  if (filter.since !== undefined) query = query.where('at', '>=', filter.since);
  const target = filter.target;
  if (target && 'id' in target) {
    query = query.where('target_id', '=', target.id);
    if (target.type !== undefined) query = query.where('target_type', '=', target.type);
  } else if (target) {
    query = query.where('target_label', '=', target.label);
  }
  if (after) query = query.where(sql<boolean>`(at, id) < (${after[0]}::timestamptz, ${after[1]}::bigint)`);
  return query.orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}
