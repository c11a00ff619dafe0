// @no-database
// Every command the CLI has names its action in src/cli/command-roles.ts, and the table names no command
// that is gone: the role check (SOVI_USER) covers the whole command line or the test fails.
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { actionRoles } from '../../src/auth/roles.ts';
import { groups } from '../../src/cli/command-groups.ts';
import { commandActions, commandPath } from '../../src/cli/command-roles.ts';

/** The commands that run something: the leaves of the tree under each group. */
function leaves(command: Command): Command[] {
  return command.commands.length === 0 ? [command] : command.commands.flatMap(leaves);
}

describe('the CLI command table', () => {
  it('names an action for every command, and no command that does not exist', async () => {
    const program = new Command('sovi');
    const paths: string[] = [];
    for (const group of groups) {
      const command = program.command(group.name);
      (await group.load())(command);
      paths.push(...leaves(command).map(commandPath));
    }
    expect(paths.length).toBeGreaterThan(50);
    expect(Object.keys(commandActions).sort()).toEqual([...paths].sort());
    for (const action of Object.values(commandActions)) expect(Object.keys(actionRoles)).toContain(action);
  });

  it('spells a command as its path below sovi', () => {
    const program = new Command('sovi');
    const reveal = program.command('accounts').command('reveal');
    expect(commandPath(reveal)).toBe('accounts reveal');
    expect(commandPath(program.command('up'))).toBe('up');
  });
});
