// People's roles and what each may do, declared once. The API's guard, the OpenAPI document, the CLI and the
// dashboard (which hides what a role may not do) all read this table; nothing restates it.
//
// Roles are ordered: each one may do everything the roles before it may.
import type { OneOf } from '../errors.ts';
export const roles = ['viewer', 'reviewer', 'operator', 'admin'] as const;
export type Role = OneOf<typeof roles>;

const rank: Record<Role, number> = { viewer: 0, reviewer: 1, operator: 2, admin: 3 };

/** Whether a holder of `have` may do what needs `need`. */
export const roleAtLeast = (have: Role, need: Role): boolean => rank[have] >= rank[need];

/** The lower of two roles: what a token may do is at most what its owner may. */
export const lowerRole = (a: Role, b: Role): Role => (rank[a] <= rank[b] ? a : b);

/**
 * Every kind of action, with the least role that may take it. A route or command names its action; the
 * role follows from here. Adding an action is one line; a typo in a route's action does not compile.
 */
export const actionRoles = {
  /** Read anything (within the user's niches). */
  read: 'viewer',
  /** Own API tokens and own password: every signed-in person manages their own. */
  'self.manage': 'viewer',
  /** Approve or reject content waiting for review. */
  'content.review': 'reviewer',
  /** Resolve and annotate events. */
  'events.resolve': 'reviewer',
  'devices.write': 'operator',
  'accounts.write': 'operator',
  'content.write': 'operator',
  'hooks.write': 'operator',
  'trends.write': 'operator',
  'schedule.write': 'operator',
  'metrics.write': 'operator',
  /** The notification channels, their rules and the delivery log (no secrets: those are never shown). */
  'notifications.read': 'operator',
  'niches.write': 'admin',
  'users.manage': 'admin',
  /** Every user's tokens, not only one's own. */
  'tokens.manage': 'admin',
  'keys.manage': 'admin',
  /** Reveal account secrets and TOTP codes. */
  'secrets.reveal': 'admin',
  /** Backups, restores, the database. */
  'system.manage': 'admin',
  /** Notification channels and rules, and their test sends: channels hold secrets (webhook URLs, SMTP passwords). */
  'notifications.manage': 'admin',
} as const satisfies Record<string, Role>;

export type Action = keyof typeof actionRoles;

export const roleFor = (action: Action): Role => actionRoles[action];

export const can = (role: Role, action: Action): boolean => roleAtLeast(role, actionRoles[action]);
