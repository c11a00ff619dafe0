// `sovi mcp`: the MCP server over stdio, for desktop agent clients that start it as a child process. stdout
// is the protocol: nothing else may be written there (logs go to stderr, as always). The agent acts as
// SOVI_USER (their role and niches bound the tools), or, unset, as the machine's operator.
import type { Command } from 'commander';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { findUser } from '../users/users-service.ts';
import { createMcpServer, type McpPrincipal } from '../mcp/mcp-server.ts';
import { action, type CliContext } from './context.ts';
import { mcpToolDeps } from './mcp-deps.ts';

async function principalOf(ctx: CliContext): Promise<McpPrincipal> {
  const name = ctx.config.cliUser;
  // Without SOVI_USER the CLI is the machine's operator, who holds the database and the keys anyway.
  if (name === undefined) return { role: 'admin', scope: null, onBehalfOf: ctx.config.actor };
  // Its role was checked already (command-roles.ts: mcp needs read) and it is not disabled.
  const user = await findUser(await ctx.db(), name, 'SOVI_USER');
  return {
    role: user.role,
    scope: user.niches?.map((n) => n.id) ?? null,
    onBehalfOf: ctx.config.actor,
  };
}

export function registerMcpCommand(mcp: Command): void {
  mcp
    .option('--agent-name <name>', 'the agent’s name in the audit trail (default: the name the client gives)')
    .addHelpText(
      'after',
      '\nSpeaks the Model Context Protocol on stdin/stdout; a desktop agent client starts it, e.g.\n' +
        '  { "mcpServers": { "sovi": { "command": "sovi", "args": ["mcp"],\n' +
        '                              "env": { "DATABASE_URL": "…", "SOVI_USER": "ana" } } } }\n' +
        'SOVI_USER bounds what the agent may do by that user’s role and niches. See README.md, "Agents".',
    )
    .action(
      action(
        async (ctx, o: { agentName?: string }) => {
          const principal = { ...(await principalOf(ctx)), agentName: o.agentName };
          const server = createMcpServer(await mcpToolDeps(ctx), principal);
          const closed = new Promise<void>((resolve) => {
            server.onclose = resolve;
            // The client went away: stdin ends.
            process.stdin.once('end', resolve);
          });
          await server.connect(new StdioServerTransport());
          ctx.logger.info({ role: principal.role }, 'sovi mcp serving on stdio');
          await Promise.race([closed, ctx.untilStopped()]);
          await server.close();
        },
        { longRunning: true },
      ),
    );
}
