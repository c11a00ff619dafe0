// What each command does, in the terms of src/auth/roles.ts: the least role a person acting through the CLI
// (SOVI_USER) needs to run it. Keyed by the command's path below `sovi`; a test walks every command the CLI
// has and fails on one that is missing here, so a new command cannot skip the check.
import type { Action } from '../auth/roles.ts';

export const commandActions: Readonly<Record<string, Action>> = {
  up: 'system.manage',
  migrate: 'system.manage',
  worker: 'system.manage',
  // Each tool then needs its own action's role (src/mcp/tool-kit.ts).
  mcp: 'read',
  'db status': 'read',
  'db stop': 'system.manage',
  'db backup': 'system.manage',
  'db backups': 'system.manage',
  'db restore': 'system.manage',
  'db verify-backup': 'system.manage',
  'maintenance run': 'system.manage',
  'maintenance partitions': 'system.manage',

  'audit list': 'read',

  'niches add': 'niches.write',
  'niches update': 'niches.write',
  'niches list': 'read',
  'niches show': 'read',
  'niches schedule show': 'read',
  'niches schedule set': 'content.write',
  'niches schedule remove': 'content.write',

  'devices add': 'devices.write',
  'devices update': 'devices.write',
  'devices remove': 'devices.write',
  'devices check': 'devices.write',
  'devices list': 'read',
  'devices show': 'read',

  'accounts add': 'accounts.write',
  'accounts import': 'accounts.write',
  'accounts update': 'accounts.write',
  'accounts delete': 'accounts.write',
  'accounts restore': 'accounts.write',
  'accounts set-state': 'accounts.write',
  'accounts list': 'read',
  'accounts show': 'read',
  'accounts states': 'read',
  'accounts reveal': 'secrets.reveal',
  'accounts totp': 'secrets.reveal',
  'accounts schedule show': 'read',
  'accounts schedule set': 'content.write',
  'accounts schedule remove': 'content.write',

  connect: 'accounts.write',
  'connections list': 'read',

  'keys generate': 'keys.manage',
  'keys rotate': 'keys.manage',
  'keys status': 'keys.manage',

  'users add': 'users.manage',
  'users list': 'users.manage',
  'users show': 'users.manage',
  'users update': 'users.manage',
  'users disable': 'users.manage',
  'users enable': 'users.manage',
  'users reset-password': 'users.manage',

  'tokens create': 'self.manage',
  'tokens list': 'self.manage',
  'tokens revoke': 'self.manage',

  'events list': 'read',
  'events show': 'read',
  'events tail': 'read',
  'events resolve': 'events.resolve',

  'schedule status': 'read',
  'schedule policy': 'read',
  'schedule plan': 'schedule.write',

  'hooks add': 'hooks.write',
  'hooks import': 'hooks.write',
  'hooks list': 'read',
  'hooks show': 'read',

  'content new': 'content.write',
  'content produce': 'content.write',
  'content retry': 'content.write',
  'content status': 'read',
  'content list': 'read',
  'content show': 'read',

  'content review list': 'read',
  'content review approve': 'content.review',
  'content review reject': 'content.review',

  calendar: 'read',
  'distributions list': 'read',
  'distributions show': 'read',
  'distributions mark-removed': 'content.write',
  'distributions reschedule': 'content.write',
  'distributions cancel': 'content.write',
  'distributions retry': 'content.write',
  'distributions edit': 'content.write',

  'metrics import': 'metrics.write',
  'metrics pull': 'metrics.write',
  'metrics refresh': 'metrics.write',
  'metrics feedback': 'metrics.write',
  'metrics status': 'read',
  'metrics account': 'read',
  'metrics niche': 'read',
  'metrics top': 'read',

  'trends pull': 'trends.write',
  'trends import': 'trends.write',
  'trends list': 'read',
  'trends show': 'read',

  'notifications channels add': 'notifications.manage',
  'notifications channels update': 'notifications.manage',
  'notifications channels remove': 'notifications.manage',
  'notifications channels list': 'notifications.read',
  'notifications channels show': 'notifications.read',
  'notifications rules add': 'notifications.manage',
  'notifications rules remove': 'notifications.manage',
  'notifications rules list': 'notifications.read',
  'notifications test': 'notifications.manage',
  'notifications deliveries': 'notifications.read',
};

/** `accounts reveal` for the command commander runs (the last argument of an action handler). */
export function commandPath(command: { name(): string; parent: unknown }): string {
  const names: string[] = [];
  for (let c: { name(): string; parent: unknown } | null = command; c; c = c.parent as typeof c) {
    if (c.parent) names.unshift(c.name());
  }
  return names.join(' ');
}
