// The MCP server over Streamable HTTP at /mcp on `sovi up`, stateless: each POST is answered by a server
// built for its caller, so any sovi process behind a load balancer can answer any request. A bearer token is
// required (a cookie is not accepted: a browser page must not drive an agent); its user's role, narrowed by
// the token's, and its niches bound the tools, exactly as in the API.
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SoviError } from '../errors.ts';
import { actorOf, type Auth } from '../http/auth.ts';
import { createMcpServer } from './mcp-server.ts';
import type { ToolDeps } from './tool-kit.ts';

export const MCP_PATH = '/mcp';

export function registerMcpRoute(app: FastifyInstance, auth: Auth, deps: ToolDeps): void {
  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.headers.authorization === undefined) {
      void reply.header('www-authenticate', 'Bearer realm="sovi"');
      throw new SoviError(
        'unauthorized',
        'MCP over HTTP needs a token: Authorization: Bearer sovi_… (sovi tokens create)',
        { field: 'authorization' },
      );
    }
    const caller = await auth.authenticate(request, reply);
    request.auth = caller;
    const server = createMcpServer(deps, {
      role: caller.role,
      scope: caller.nicheIds,
      onBehalfOf: actorOf(request),
      agentName: caller.token?.name,
    });
    // No sessions; JSON answers rather than an event stream, since no tool streams progress.
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    reply.raw.once('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    reply.hijack();
    await transport.handleRequest(request.raw, reply.raw, request.body);
  };
  // Not in the OpenAPI document: MCP describes itself (tools/list).
  const hidden = { schema: { hide: true } };
  app.post(MCP_PATH, hidden, handle);
  // GET (a stream of server-initiated messages) and DELETE (ending a session) mean nothing without sessions:
  // 405, as the specification allows ("Listening for Messages from the Server"), which clients expect. A
  // stateless transport would otherwise hold a GET open for good, on a server nothing will ever send through.
  const notAllowed = async (_request: FastifyRequest, reply: FastifyReply) =>
    reply
      .status(405)
      .header('allow', 'POST')
      .send({
        jsonrpc: '2.0',
        error: { code: -32000, message: 'this MCP server is stateless: POST only' },
        id: null,
      });
  app.get(MCP_PATH, hidden, notAllowed);
  app.delete(MCP_PATH, hidden, notAllowed);
}
