// The MCP server over sovi, one per connection: the tools the caller's role allows (src/mcp/tools.ts), and
// the runbooks as resources. Built on the SDK's low-level Server so that a tool the role does not allow is
// not listed, and a call to it is refused in words; every tool error is a tool result (isError) naming the
// argument, never a protocol error with a stack.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListResourcesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import packageJson from '../../package.json' with { type: 'json' };
import type { Role } from '../auth/roles.ts';
import type { NicheScope } from '../niches/niche-scope.ts';
import { readRunbook, runbookResources } from './runbook-resources.ts';
import { callTool, inputJsonSchema, toolsFor, type Caller, type ToolDeps } from './tool-kit.ts';
import { agentTools } from './tools.ts';

/** Who the connection acts for; the agent's name comes from the client when not given. */
export interface McpPrincipal {
  role: Role;
  scope: NicheScope;
  /** Whom the agent acts for in the audit trail: `token:ci (user:ana)`, `user:ana (cli)`. */
  onBehalfOf: string;
  /** The agent's name; default: the name the client gave at initialize. */
  agentName?: string;
}

const INSTRUCTIONS =
  'sovi runs a fleet of phones and short-form video accounts. Start with list_events (the open inbox) or ' +
  'fleet_health; get_event gives an event with its device, account and runbook. Act only as the runbook ' +
  'suggests, and resolve an event with a note saying what was done. Resources sovi://runbooks/<type> hold ' +
  'the runbooks.';

/** A safe agent name: what a client calls itself, cut down to letters, digits and . _ -. */
const agentNameOf = (name: string | undefined): string =>
  (name ?? '').replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 60) || 'mcp-client';

export function createMcpServer(deps: ToolDeps, principal: McpPrincipal): Server {
  const server = new Server(
    { name: 'sovi', version: packageJson.version },
    { capabilities: { tools: {}, resources: {} }, instructions: INSTRUCTIONS },
  );
  const tools = toolsFor(agentTools, principal.role);
  const caller = (): Caller => {
    const agentName = agentNameOf(principal.agentName ?? server.getClientVersion()?.name);
    return {
      role: principal.role,
      scope: principal.scope,
      agentName,
      actor: `llm_agent:${agentName} (${principal.onBehalfOf})`,
    };
  };

  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: tools.map((tool) => ({
      name: tool.name,
      title: tool.title,
      description: tool.description,
      inputSchema: inputJsonSchema(tool) as { type: 'object' },
      annotations: {
        title: tool.title,
        readOnlyHint: tool.action === 'read',
        destructiveHint: false,
      },
    })),
  }));

  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    // Every tool is checked against the role, so one not listed is refused with the role it needs.
    const outcome = await callTool(
      agentTools,
      { ...deps, caller: caller() },
      request.params.name,
      request.params.arguments,
    );
    return { content: [{ type: 'text', text: outcome.text }], isError: !outcome.ok };
  });

  server.setRequestHandler(ListResourcesRequestSchema, () => ({ resources: runbookResources() }));
  server.setRequestHandler(ReadResourceRequestSchema, (request) => {
    const text = readRunbook(request.params.uri);
    if (text === undefined) {
      throw new McpError(ErrorCode.InvalidParams, `no resource at ${request.params.uri}; see resources/list`);
    }
    return { contents: [{ uri: request.params.uri, mimeType: 'text/markdown', text }] };
  });
  return server;
}
