// Every agent tool, in the order a client lists them: reads first, then actions. There is deliberately no
// tool that reveals secrets or TOTP codes, manages users, tokens or keys, or deletes anything.
import { accountTools } from './account-tools.ts';
import { contentTools } from './content-tools.ts';
import { eventTools } from './event-tools.ts';
import { fleetTools } from './fleet-tools.ts';
import { insightTools } from './insight-tools.ts';
import type { Tool } from './tool-kit.ts';

const all: Tool[] = [...eventTools, ...fleetTools, ...accountTools, ...contentTools, ...insightTools];

export const agentTools: readonly Tool[] = [
  ...all.filter((t) => t.action === 'read'),
  ...all.filter((t) => t.action !== 'read'),
];
