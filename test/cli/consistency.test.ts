// The CLI behaves alike across its command groups: commander's own usage errors read like every other
// error, the same mistake exits with the same status in every command (README.md's table), and every
// command that takes an account takes it by id, platform:username or username.
import fs from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { errorCodes } from '../../src/errors.ts';
import { cliTestTimeout, runSovi, type CliResult } from '../helpers/cli.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';

const t = useTestDatabase();
const sovi = (...args: string[]) => runSovi(args, { DATABASE_URL: t.url });

/** Runs the commands two at a time: each is a Node process, and the machine has two CPUs. */
async function runAll(commands: readonly string[][]): Promise<CliResult[]> {
  const results: CliResult[] = [];
  for (let i = 0; i < commands.length; i += 2) {
    results.push(...(await Promise.all(commands.slice(i, i + 2).map((args) => sovi(...args)))));
  }
  return results;
}

const STACK = /\n\s+at |\.ts:\d+:\d+/;

let account: { id: string; username: string };
let niche: string;
beforeAll(async () => {
  expect((await sovi('migrate')).code).toBe(0);
  niche = (await t.pool.query(`SELECT id FROM niches WHERE slug = 'true_crime'`)).rows[0].id;
  const a = await factories.account(t.pool, { niche_id: niche, username: 'consistent_crime' });
  account = { id: String(a.id), username: 'consistent_crime' };
  const content = await factories.content(t.pool, { niche_id: niche, topic: 'the consistent case' });
  await factories.distribution(t.pool, { content_id: content.id, account_id: a.id });
}, cliTestTimeout(1));

describe("commander's usage errors", { timeout: cliTestTimeout(10) }, () => {
  const cases: [string[], RegExp][] = [
    [['migrat'], /^sovi: unknown command 'migrat'; did you mean migrate\? \(run sovi --help\)\n$/],
    [
      ['accounts', 'shw'],
      /^sovi: unknown command 'shw'; did you mean show\? \(run sovi accounts --help\)\n$/,
    ],
    [['accounts', 'list', '--bogus'], /^sovi: unknown option '--bogus' \(run sovi accounts list --help\)\n$/],
    [['accounts', 'show'], /^sovi: missing required argument 'account' \(run sovi accounts show --help\)\n$/],
    [
      ['accounts', 'list', '--limit'],
      /^sovi: option '--limit <n>' argument missing \(run sovi accounts list --help\)\n$/,
    ],
    [
      ['accounts', 'add', '--username', 'x'],
      /^sovi: required option '--platform <platform>' not specified \(run sovi accounts add --help\)\n$/,
    ],
    [
      ['niches', 'show', 'a', 'b'],
      /^sovi: too many arguments for 'show'\. Expected 1 argument but got 2: a, b \(run sovi niches show --help\)\n$/,
    ],
    [
      ['accounts', 'add', '--platform', 'myspace', '--username', 'x'],
      /^sovi: option '--platform <platform>' argument 'myspace' is invalid\. Allowed choices are tiktok, instagram \(run sovi accounts add --help\)\n$/,
    ],
  ];

  it('are one "sovi: …" line naming the mistake and the --help to read, with exit status 2', async () => {
    const results = await runAll(cases.map(([args]) => args));
    for (const [i, [args, message]] of cases.entries()) {
      const result = results[i]!;
      expect(result.code, `sovi ${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stdout).toBe('');
    }
  });

  it('leave --help and --version exiting 0, and a group named alone shows its help with exit 2', async () => {
    const [help, subHelp, version, group] = await runAll([
      ['--help'],
      ['accounts', 'list', '--help'],
      ['--version'],
      ['accounts'],
    ]);
    expect(help!.code).toBe(0);
    expect(help!.stdout).toMatch(/^Usage: sovi /);
    expect(subHelp!.code).toBe(0);
    expect(subHelp!.stdout).toMatch(/^Usage: sovi accounts list /);
    expect(version!.code).toBe(0);
    expect(version!.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(group!.code).toBe(2);
    expect(group!.stderr).toMatch(/^Usage: sovi accounts /);
  });
});

describe(
  'the same mistake exits with the same status in every command',
  { timeout: cliTestTimeout(40) },
  () => {
    const missingUuid = '00000000-0000-4000-8000-000000000000';
    // [command, exit status, what the message says]
    const mistakes: [string[], number, RegExp][] = [
      // A niche that does not exist: 3, whichever command names it.
      [['niches', 'show', 'no_such_niche'], 3, /no niche "no_such_niche"/],
      [['metrics', 'niche', 'no_such_niche'], 3, /no niche "no_such_niche"/],
      [['metrics', 'top', '--niche', 'no_such_niche'], 3, /no niche "no_such_niche"/],
      [['accounts', 'list', '--niche', 'no_such_niche'], 3, /no niche "no_such_niche"/],
      [['content', 'list', '--niche', 'no_such_niche'], 3, /no niche "no_such_niche"/],
      [['hooks', 'list', '--niche', 'no_such_niche'], 3, /no niche "no_such_niche"/],
      [['trends', 'list', '--niche', 'no_such_niche'], 3, /no niche "no_such_niche"/],
      [['content', 'new', '--topic', 'x', '--niche', 'no_such_niche'], 3, /no niche "no_such_niche"/],
      // An account that does not exist, by any name: 3.
      [['accounts', 'show', 'nobody_here'], 3, /no account "nobody_here"/],
      [['accounts', 'show', `tiktok:nobody_here`], 3, /no account "tiktok:nobody_here"/],
      [['accounts', 'show', missingUuid], 3, /no account/],
      [['metrics', 'account', 'nobody_here'], 3, /no account "nobody_here"/],
      [['metrics', 'account', missingUuid], 3, /no account/],
      [['events', 'list', '--account', 'nobody_here'], 3, /--account: no account "nobody_here"/],
      [['distributions', 'list', '--account', 'nobody_here'], 3, /--account: no account "nobody_here"/],
      // Any other named thing that does not exist, whatever shape its name has: 3.
      [['devices', 'show', 'no-such-phone'], 3, /device "no-such-phone" does not exist/],
      [['events', 'list', '--device', 'no-such-phone'], 3, /no-such-phone/],
      [['events', 'show', 'abc'], 3, /event abc does not exist/],
      [['events', 'show', '999999999'], 3, /event 999999999 does not exist/],
      [['content', 'show', 'not-an-id'], 3, /content not-an-id does not exist/],
      [['distributions', 'list', '--content', 'not-an-id'], 3, /content not-an-id does not exist/],
      [
        ['distributions', 'mark-removed', 'not-an-id', '--reason', 'x'],
        3,
        /distribution not-an-id does not exist/,
      ],
      [['trends', 'show', 'nope'], 3, /trending topic nope does not exist/],
      [['hooks', 'show', 'nope'], 3, /hook nope does not exist/],
      [['tokens', 'revoke', 'nope'], 3, /token "nope" does not exist/],
      // A bad value, a file that cannot be read, a usage mistake: 2.
      [['metrics', 'top', '--limit', '0'], 2, /--limit: expected an integer between 1 and 1000/],
      [['accounts', 'show', 'myspace:someone'], 2, /account: expected one of tiktok, instagram/],
      [['events', 'list', '--since', 'yesterday'], 2, /--since: expected an ISO-8601 time/],
      [['accounts', 'import', '/nonexistent/a.csv'], 2, /cannot read \/nonexistent\/a\.csv/],
      [['hooks', 'import', '/nonexistent/h.csv'], 2, /cannot read \/nonexistent\/h\.csv/],
      [['trends', 'import', '/nonexistent/t.csv'], 2, /cannot read \/nonexistent\/t\.csv/],
      [['metrics', 'import', '/nonexistent/m.csv'], 2, /no such file/],
      [['niches', 'shw'], 2, /unknown command 'shw'/],
      // Something that exists already: 4.
      [['niches', 'add', '--name', 'Crime', '--slug', 'true_crime'], 4, /already exists/],
    ];

    it("README.md's table lists every exit status an error code maps to", async () => {
      const readme = await fs.readFile(path.resolve(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
      const listed = [...readme.matchAll(/^\| (\d+) +\| /gm)].map((m) => Number(m[1]));
      expect(new Set(listed)).toEqual(new Set([0, ...Object.values(errorCodes).map((c) => c.exit)]));
    });

    it('a table of mistakes across the command groups', async () => {
      const results = await runAll(mistakes.map(([args]) => args));
      const wrong = mistakes.flatMap(([args, code, message], i) => {
        const result = results[i]!;
        const ok =
          result.code === code &&
          /^sovi: /m.test(result.stderr) &&
          message.test(result.stderr) &&
          !STACK.test(result.stderr);
        return ok ? [] : [`sovi ${args.join(' ')}: exit ${result.code} (want ${code}): ${result.stderr}`];
      });
      expect(wrong).toEqual([]);
    });
  },
);

describe(
  'every command that takes an account takes its id, platform:username or username',
  { timeout: cliTestTimeout(16) },
  () => {
    const commands: [string, (ref: string) => string[], (result: CliResult) => void][] = [
      [
        'accounts show',
        (ref) => ['accounts', 'show', ref, '--json'],
        (r) => expect(JSON.parse(r.stdout).id).toBe(account.id),
      ],
      [
        'metrics account',
        (ref) => ['metrics', 'account', ref, '--json'],
        (r) => expect(JSON.parse(r.stdout)).toEqual([]),
      ],
      [
        'distributions list --account',
        (ref) => ['distributions', 'list', '--account', ref, '--json'],
        (r) =>
          expect(JSON.parse(r.stdout).map((d: { accountId: string }) => d.accountId)).toEqual([account.id]),
      ],
      [
        'events list --account',
        (ref) => ['events', 'list', '--account', ref, '--json'],
        (r) => expect(JSON.parse(r.stdout).events).toEqual([]),
      ],
    ];

    it.each(commands)('sovi %s', async (_name, args, check) => {
      const refs = [account.id, `tiktok:${account.username}`, account.username.toUpperCase()];
      const results = await runAll(refs.map(args));
      for (const [i, result] of results.entries()) {
        expect(result.code, `${refs[i]}: ${result.stderr}`).toBe(0);
        check(result);
      }
    });
  },
);
