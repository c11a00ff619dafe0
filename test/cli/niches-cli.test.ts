// Niches from the command line: add, list, show and update, with the errors that name what was wrong.
import { beforeAll, describe, expect, it } from 'vitest';
import { runSovi } from '../helpers/cli.ts';
import { useTestDatabase } from '../helpers/database.ts';

const t = useTestDatabase();
const sovi = (...args: string[]) => runSovi(args, { DATABASE_URL: t.url });

beforeAll(async () => {
  expect((await runSovi(['migrate'], { DATABASE_URL: t.url })).code).toBe(0);
});

describe('sovi niches', () => {
  it('adds, lists, shows and updates a niche', async () => {
    const added = await sovi(
      'niches',
      'add',
      '--name',
      'Board games',
      '--slug',
      'board_games',
      '--tier',
      '3',
    );
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/added niche board_games/);

    const list = await sovi('niches', 'list', '--json');
    expect(list.code, list.stderr).toBe(0);
    const slugs = (JSON.parse(list.stdout) as { slug: string }[]).map((n) => n.slug);
    expect(slugs).toContain('board_games');
    expect(slugs).toEqual([...slugs].sort());

    const shown = await sovi('niches', 'show', 'board_games');
    expect(shown.stdout).toMatch(/name\s+Board games/);
    expect(shown.stdout).toMatch(/tier\s+3/);

    const updated = await sovi(
      'niches',
      'update',
      'board_games',
      '--status',
      'inactive',
      '--tier',
      'none',
      '--json',
    );
    expect(updated.code, updated.stderr).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({ slug: 'board_games', status: 'inactive', tier: null });
  });

  it('refuses a taken slug (exit 4), a bad one and an unknown niche, naming them', async () => {
    const taken = await sovi('niches', 'add', '--name', 'Finance again', '--slug', 'personal_finance');
    expect(taken.code).toBe(4);
    expect(taken.stderr).toMatch(/slug: a niche "personal_finance" already exists/);
    const bad = await sovi('niches', 'add', '--name', 'Bad', '--slug', 'Not A Slug');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/slug: expected lower snake_case/);
    const missing = await sovi('niches', 'show', 'no_such_niche');
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/no niche "no_such_niche"/);
    const nothing = await sovi('niches', 'update', 'personal_finance');
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).not.toMatch(/at .*\.ts:\d+/);
  });
});
