// sovi audit list: who changed what, and what it was before. Each record is a line (time, actor, action,
// target), then one indented line per changed field: before → after.
import type { Command } from 'commander';
import { SECRET_CHANGED, type AuditRecord } from '../audit/audit-model.ts';
import { listAudit } from '../audit/audit-service.ts';
import { resolveAuditTarget } from '../audit/audit-targets.ts';
import { parseTime } from '../time.ts';
import { action } from './context.ts';
import { json, printMore, shortTime } from './format.ts';
import { pageOptions, type PageFlags } from './read-command.ts';

interface AuditOptions extends Partial<PageFlags> {
  actor?: string;
  target?: string;
  action?: string;
  since?: string;
}

const DEFAULT_LIMIT = 50;

const shown = (value: unknown): string =>
  value === null || value === undefined
    ? '(none)'
    : typeof value === 'string'
      ? value
      : JSON.stringify(value);

export function auditText(entry: AuditRecord): string {
  const head = [
    shortTime(entry.at),
    entry.actor,
    entry.action,
    `${entry.targetType} ${entry.targetLabel}`,
    entry.note ? `(${entry.note})` : '',
  ]
    .filter(Boolean)
    .join('  ');
  const fields = Object.entries(entry.changes).map(([field, change]) =>
    change === SECRET_CHANGED
      ? `    ${field}: changed`
      : `    ${field}: ${shown(change.before)} → ${shown(change.after)}`,
  );
  return [head, ...fields].join('\n');
}

export function registerAuditCommands(audit: Command): void {
  pageOptions(
    audit
      .command('list')
      .description('the audit trail, newest first: who changed what, each field before → after')
      .option('--actor <actor>', 'only changes by this actor (e.g. token:ci, root, system)')
      .option(
        '--target <ref>',
        'only changes to this record: a device name or udid, an account platform:username, a niche slug, or an id',
      )
      .option('--action <action>', 'only this action (e.g. device.update, account.state)')
      .option('--since <time>', 'from this time (ISO-8601, or a duration ago like 2h, 7d)'),
    DEFAULT_LIMIT,
    1000,
  ).action(
    action(async (ctx, o: AuditOptions) => {
      const db = await ctx.db();
      const page = await listAudit(db, {
        actor: o.actor,
        action: o.action,
        target: o.target === undefined ? undefined : await resolveAuditTarget(db, o.target),
        since: o.since === undefined ? undefined : parseTime('--since', o.since),
        after: o.after,
        limit: o.limit ?? DEFAULT_LIMIT,
      });
      if (o.json) ctx.print(json(page));
      else ctx.print(page.entries.length === 0 ? 'no changes match' : page.entries.map(auditText).join('\n'));
      printMore(
        'sovi audit list',
        { actor: o.actor, target: o.target, action: o.action, since: o.since, limit: o.limit },
        page.nextCursor,
      );
    }),
  );
}
