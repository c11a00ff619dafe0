// @no-database
// The runbook table: the platform connectors' events that need someone have runbooks, and every runbook
// names only tools the MCP server has.
import { describe, expect, it } from 'vitest';
import { fallbackRunbook, runbookFor, runbooks } from '../../src/events/runbooks.ts';
import { agentTools } from '../../src/mcp/tools.ts';

describe('runbooks', () => {
  it('cover the connectors’ events: reauth needed, a deferred post, a failed metric pull', () => {
    for (const type of ['connection_reauth_needed', 'post_deferred', 'metrics_pull_failed'])
      expect(runbookFor(type), type).not.toBe(fallbackRunbook);
    expect(runbookFor('connection_reauth_needed').fixes.join(' ')).toMatch(/sovi connect/);
    expect(runbookFor('metrics_pull_failed').fixes.join(' ')).toMatch(/sovi metrics pull/);
  });

  it('name only tools the MCP server has', () => {
    const names = new Set(agentTools.map((t) => t.name));
    for (const [type, book] of Object.entries(runbooks))
      for (const tool of book.tools) expect(names.has(tool), `${type}: ${tool}`).toBe(true);
  });
});
