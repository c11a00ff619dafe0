// What an agent tool is, and the one way every tool is called: by the MCP server (stdio and HTTP) and by the
// built-in triage agent in-process. Each tool is a thin layer over the services the HTTP routes call; the
// caller's role decides which tools exist for it (src/auth/roles.ts), its niche scope narrows what they see
// (src/niches/niche-scope.ts), and its identity is the actor every service audits.
import { z } from 'zod';
import type { Config } from '../config.ts';
import type { PipelineJobSink } from '../content/pipeline.ts';
import type { Db } from '../db/pool.ts';
import { translatePgError } from '../db/pg-errors.ts';
import type { Logger } from '../logger.ts';
import type { NicheScope } from '../niches/niche-scope.ts';
import type { Policies } from '../policies.ts';
import type { Vault } from '../vault/vault.ts';
import type { PlanResult } from '../warming/planner.ts';
import { can, roleFor, type Action, type Role } from '../auth/roles.ts';

/** What the tools run against: the same things the API's routes get. */
export interface ToolDeps {
  db: Db;
  vault: Vault;
  config: Config;
  policies: Policies;
  logger: Logger;
  /** Where production stages and publish jobs are queued; undefined where no job engine runs. */
  contentSink: () => Promise<PipelineJobSink | undefined>;
  /** Runs the warming planner once now for this host; undefined where no job engine runs. */
  planNow: (() => Promise<PlanResult>) | undefined;
}

/** The tools' dependencies from a process that already runs its content worker and planner (or none). */
export function toolDepsOf(deps: {
  db: Db;
  vault: Vault;
  config: Config;
  policies: Policies;
  logger: Logger;
  contentSink?: PipelineJobSink;
  planNow?: () => Promise<PlanResult>;
}): ToolDeps {
  const { db, vault, config, policies, logger, contentSink, planNow } = deps;
  return { db, vault, config, policies, logger, contentSink: async () => contentSink, planNow };
}

/** Who calls: an agent acting for a token's user (HTTP), SOVI_USER (stdio) or the triage agent. */
export interface Caller {
  role: Role;
  scope: NicheScope;
  /** The agent's name, stored with what it resolves. */
  agentName: string;
  /** Who acts in the audit trail: `llm_agent:<name>`, and whom for. */
  actor: string;
}

export interface ToolContext extends ToolDeps {
  caller: Caller;
}

export interface Tool<Shape extends z.ZodRawShape = z.ZodRawShape> {
  name: string;
  title: string;
  /** Says what the tool does and when to use it: a model reads it to choose. */
  description: string;
  /** The least role allowed follows from it, as for an API route. */
  action: Action;
  input: z.ZodObject<Shape>;
  run(ctx: ToolContext, args: z.output<z.ZodObject<Shape>>): Promise<unknown>;
}

/** Declares a tool; its arguments are a strict object (an unknown argument is refused by name). */
export function defineTool<Shape extends z.ZodRawShape>(tool: {
  name: string;
  title: string;
  description: string;
  action: Action;
  input: Shape;
  run(ctx: ToolContext, args: z.output<z.ZodObject<Shape>>): Promise<unknown>;
}): Tool {
  return { ...tool, input: z.strictObject(tool.input) };
}

/** The tools a role may call: the others are not offered at all. */
export const toolsFor = (tools: readonly Tool[], role: Role): Tool[] =>
  tools.filter((tool) => can(role, tool.action));

/** A tool's arguments as JSON Schema, for MCP's tools/list and the chat endpoint's `tools`. */
export function inputJsonSchema(tool: Tool): Record<string, unknown> {
  const { $schema: _drop, ...schema } = z.toJSONSchema(tool.input, { io: 'input' }) as Record<
    string,
    unknown
  >;
  return schema;
}

export interface ToolOutcome {
  ok: boolean;
  /** The result as indented JSON, or the error in words naming the argument. */
  text: string;
  value?: unknown;
}

const issueText = (issue: z.core.$ZodIssue): string => {
  const where = issue.path.length > 0 ? issue.path.join('.') : undefined;
  if (issue.code === 'unrecognized_keys') return `unknown argument(s): ${issue.keys.join(', ')}`;
  return where ? `argument ${where}: ${issue.message}` : issue.message;
};

/**
 * Calls a tool by name for a caller: checks the role and the arguments, runs it, and turns any error into
 * words for the model (a SoviError's message names its field; anything else is logged and summarised, never
 * a stack).
 */
export async function callTool(
  tools: readonly Tool[],
  ctx: ToolContext,
  name: string,
  args: unknown,
): Promise<ToolOutcome> {
  const tool = tools.find((t) => t.name === name);
  if (!tool) {
    const offered = toolsFor(tools, ctx.caller.role).map((t) => t.name);
    return { ok: false, text: `no tool named "${name}"; the tools are: ${offered.join(', ')}` };
  }
  if (!can(ctx.caller.role, tool.action)) {
    return {
      ok: false,
      text: `${name} needs the ${roleFor(tool.action)} role; this caller is ${ctx.caller.role}`,
    };
  }
  const parsed = tool.input.safeParse(args ?? {});
  if (!parsed.success) {
    return { ok: false, text: `${name}: ${parsed.error.issues.map(issueText).join('; ')}` };
  }
  try {
    const value = await tool.run(ctx, parsed.data);
    return { ok: true, text: JSON.stringify(value, null, 2), value };
  } catch (err) {
    // As the API answers its clients: a database error's words, never the server's own text.
    const known = translatePgError(err, { serverText: false });
    if (known && known.code !== 'internal') {
      // The service's field, where it is one of the tool's arguments.
      const field = known.details.field;
      const named = typeof field === 'string' && field in tool.input.shape ? ` (argument: ${field})` : '';
      return { ok: false, text: `${name}: ${known.message}${named}` };
    }
    ctx.logger.error({ err, tool: name }, 'agent tool failed');
    return { ok: false, text: `${name}: internal error; the server log has the details` };
  }
}
