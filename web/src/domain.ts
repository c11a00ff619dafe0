// The closed sets and tables the dashboard shares with the server: imported from the server's own model
// files (plain data, no Node APIs), so a state added there shows up here at the next build.
export { accountStates, type AccountState } from '../../src/accounts/account-model.ts';
export { platformLabels, platforms, type Platform } from '../../src/platforms.ts';
export { transitions as accountTransitions } from '../../src/accounts/account-lifecycle.ts';
export { deviceStatuses, type DeviceStatus } from '../../src/devices/device-model.ts';
export { productionStatuses, type ProductionStatus } from '../../src/content/content-model.ts';
export { severities, type Severity } from '../../src/events/event-model.ts';
export { can, roles, actionRoles, type Action, type Role } from '../../src/auth/roles.ts';
export { runbookFor, type Runbook } from '../../src/events/runbooks.ts';
