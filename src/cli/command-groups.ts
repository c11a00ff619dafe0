// The command manifest: every command group, in the order `sovi --help` lists them, each loaded only when
// the command line names it (`sovi --help` loads none of them, `sovi accounts list` only accounts').
import type { Command } from 'commander';

export interface CommandGroup {
  readonly name: string;
  /** The one line `sovi --help` shows for the group. */
  readonly description: string;
  /** Imports the group's module and returns what adds its subcommands (or options and action) to it. */
  readonly load: () => Promise<(command: Command) => void>;
}

/** Every command group, in the order `sovi --help` lists them. */
export const groups: readonly CommandGroup[] = [
  {
    name: 'up',
    description: 'the main job: start the database (embedded if no DATABASE_URL), migrate, and serve',
    load: () => import('./up-command.ts').then((m) => m.registerUpCommand),
  },
  {
    name: 'migrate',
    description: 'apply the pending migrations in migrations/, in order, each in its own transaction',
    load: () => import('./migrate-command.ts').then((m) => m.registerMigrateCommand),
  },
  {
    name: 'db',
    description: 'the database: status, and the embedded server',
    load: () => import('./db-commands.ts').then((m) => m.registerDbCommands),
  },
  {
    name: 'niches',
    description: 'niches: the content verticals accounts, content, hooks and trends belong to',
    load: () => import('./niches-commands.ts').then((m) => m.registerNichesCommands),
  },
  {
    name: 'devices',
    description: 'the fleet of iPhones: add, list, show, update, remove, and check their WebDriverAgent',
    load: () => import('./devices-commands.ts').then((m) => m.registerDevicesCommands),
  },
  {
    name: 'accounts',
    description: 'managed accounts: records, lifecycle and credentials',
    load: () => import('./accounts-commands.ts').then((m) => m.registerAccountsCommands),
  },
  {
    name: 'connect',
    description:
      "connect an account to its platform's official API (OAuth): prints the URL to open, then waits",
    load: () => import('./connections-commands.ts').then((m) => m.registerConnectCommand),
  },
  {
    name: 'connections',
    description: 'connections to the official APIs: list (scopes, expiry, last refresh, status)',
    load: () => import('./connections-commands.ts').then((m) => m.registerConnectionsCommands),
  },
  {
    name: 'keys',
    description: 'vault keys: generate, rotate, status',
    load: () => import('./keys-commands.ts').then((m) => m.registerKeysCommands),
  },
  {
    name: 'users',
    description: 'people: add, list, show, update, disable, enable, reset-password',
    load: () => import('./users-commands.ts').then((m) => m.registerUsersCommands),
  },
  {
    name: 'tokens',
    description: 'HTTP API tokens: create (shown once), list, revoke',
    load: () => import('./tokens-commands.ts').then((m) => m.registerTokensCommands),
  },
  {
    name: 'events',
    description: 'the event log: list, follow and resolve',
    load: () => import('./events-commands.ts').then((m) => m.registerEventsCommands),
  },
  {
    name: 'schedule',
    description: 'the warming schedule: status, policy, and planning',
    load: () => import('./schedule-commands.ts').then((m) => m.registerScheduleCommands),
  },
  {
    name: 'hooks',
    description: 'hook templates: the opening lines videos start with',
    load: () => import('./hooks-commands.ts').then((m) => m.registerHooksCommands),
  },
  {
    name: 'content',
    description: 'content production: script, voice, video, distribution',
    load: () => import('./content-commands.ts').then((m) => m.registerContentCommands),
  },
  {
    name: 'calendar',
    description: 'the content calendar: scheduled, awaiting-review, posted and failed posts in a range',
    load: () => import('./calendar-command.ts').then((m) => m.registerCalendarCommand),
  },
  {
    name: 'distributions',
    description: 'posts: what went out where; reschedule, cancel, retry or edit one',
    load: () => import('./distributions-commands.ts').then((m) => m.registerDistributionsCommands),
  },
  {
    name: 'metrics',
    description: 'engagement metrics: pull or import snapshots, keep the rollups current, read them',
    load: () => import('./metrics-commands.ts').then((m) => m.registerMetricsCommands),
  },
  {
    name: 'trends',
    description: 'trending topics: pulled from a source (Reddit by default) or imported, best first',
    load: () => import('./trends-commands.ts').then((m) => m.registerTrendsCommands),
  },
  {
    name: 'maintenance',
    description: 'activity_log partitions and data retention (what the daily job does)',
    load: () => import('./maintenance-commands.ts').then((m) => m.registerMaintenanceCommands),
  },
  {
    name: 'audit',
    description: 'the audit trail: who changed what, and what it was before',
    load: () => import('./audit-commands.ts').then((m) => m.registerAuditCommands),
  },
  {
    name: 'notifications',
    description:
      'alerts that reach people: channels (webhook, Slack, email), rules, test sends, the delivery log',
    load: () => import('./notifications-commands.ts').then((m) => m.registerNotificationsCommands),
  },
  {
    name: 'worker',
    description:
      "run this host's warming worker, device health monitor and content worker (what `sovi up` runs beside the server)",
    load: () => import('./worker-command.ts').then((m) => m.registerWorkerCommand),
  },
  {
    name: 'mcp',
    description:
      'serve the Model Context Protocol on stdin/stdout, for desktop agent clients (see README, Agents)',
    load: () => import('./mcp-command.ts').then((m) => m.registerMcpCommand),
  },
];
