// The audit trail: every write records who changed which record and each changed field before and after,
// in the same transaction as the change (a rolled-back change leaves no record). Services call
// recordAudit with the executor of their transaction; diffChanges turns a before and an after into the
// changed fields, with each domain's secret fields reduced to "changed".
import type { Executor } from '../db/executor.ts';
import { isExactTime, keysetPage, pageLimit, type Keyset } from '../db/keyset.ts';
import { SECRET_CHANGED, type AuditEntry, type AuditRecord, type Changes } from './audit-model.ts';
import { insertAuditRows, selectAuditRows, type AuditFilter, type AuditRow } from './audit-repository.ts';

export type { AuditFilter } from './audit-repository.ts';

type Snapshot = Record<string, unknown> | null | undefined;

/** A value as JSON keeps it: dates as ISO text, undefined as null. */
function plain(value: unknown): unknown {
  if (value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  return value;
}

function same(a: unknown, b: unknown): boolean {
  // Sealed secrets are compared as bytes, never turned into text.
  if (Buffer.isBuffer(a) || Buffer.isBuffer(b))
    return Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b);
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  return JSON.stringify(plain(a)) === JSON.stringify(plain(b));
}

/**
 * The fields that differ between a record before and after a write (null before: created; null after:
 * removed). Fields in `secret` are recorded as "changed", never by value, and `ignore` drops bookkeeping
 * such as updatedAt.
 */
export function diffChanges(
  before: Snapshot,
  after: Snapshot,
  options: { secret?: readonly string[]; ignore?: readonly string[] } = {},
): Changes {
  const secret = new Set(options.secret ?? []);
  const ignore = new Set(options.ignore ?? []);
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  const changes: Changes = {};
  for (const key of keys) {
    if (ignore.has(key)) continue;
    const was = before?.[key] ?? null;
    const is = after?.[key] ?? null;
    if (same(was, is)) continue;
    changes[key] = secret.has(key) ? SECRET_CHANGED : { before: plain(was), after: plain(is) };
  }
  return changes;
}

/**
 * One summary record for a file import (its target is `import:<source>`, its changes the counts): a record
 * per row would double the cost of a large import, and each row's own history already says where it came
 * from.
 */
export async function recordImport(
  db: Executor,
  entry: {
    actor: string;
    action: AuditEntry['action'];
    targetType: AuditEntry['targetType'];
    source: string;
  },
  counts: Record<string, number>,
): Promise<void> {
  await recordAudit(db, {
    actor: entry.actor,
    action: entry.action,
    targetType: entry.targetType,
    targetId: `import:${entry.source}`,
    targetLabel: entry.source,
    changes: Object.fromEntries(Object.entries(counts).map(([k, n]) => [k, { before: null, after: n }])),
  });
}

/** Records changes in the caller's transaction: the record and the change commit or roll back together. */
export async function recordAudit(db: Executor, entries: AuditEntry | AuditEntry[]): Promise<void> {
  const list = Array.isArray(entries) ? entries : [entries];
  await insertAuditRows(
    db,
    list.map((e) => ({
      actor: e.actor,
      action: e.action,
      target_type: e.targetType,
      target_id: e.targetId,
      target_label: e.targetLabel.slice(0, 500),
      changes: e.changes ?? {},
      note: e.note?.slice(0, 2000) || null,
    })),
  );
}

const toRecord = (row: AuditRow): AuditRecord => ({
  id: row.id,
  at: row.at,
  actor: row.actor,
  action: row.action,
  targetType: row.target_type as AuditRecord['targetType'],
  targetId: row.target_id,
  targetLabel: row.target_label,
  changes: row.changes as Changes,
  note: row.note,
});

export interface AuditQuery extends AuditFilter {
  /** The nextCursor of the previous page. */
  after?: string;
  limit?: number;
}

/** Newest first: a record's key is its time (exact text) and its id. */
const newestFirst: Keyset<AuditRow, [string, number]> = {
  keyOf: (row) => [row.cursor_time, row.id],
  isKey: ([at, id]) => isExactTime(at) && Number.isSafeInteger(id),
};

/** The trail newest first, in keyset pages by (at, id). */
export async function listAudit(
  db: Executor,
  query: AuditQuery,
): Promise<{ entries: AuditRecord[]; nextCursor: string | null }> {
  const page = await keysetPage(
    { after: query.after, limit: pageLimit(query.limit, 100) },
    newestFirst,
    (after, rows) => selectAuditRows(db, query, rows, after),
    toRecord,
  );
  return { entries: page.items, nextCursor: page.nextCursor };
}
