// Hooks, content and distributions from the command line: what a user types, what they see, and the
// errors that name what was wrong without writing anything.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliTestTimeout, runSovi } from '../helpers/cli.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';

const t = useTestDatabase();
const env = (extra: Record<string, string> = {}) => ({ DATABASE_URL: t.url, ...extra });
const sovi = (...args: string[]) => runSovi(args, env());

async function tempFile(name: string, text: string) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-content-cli-'));
  const file = path.join(dir, name);
  await fs.writeFile(file, text);
  return file;
}

beforeAll(async () => {
  expect((await sovi('migrate')).code).toBe(0);
});

describe('sovi hooks', () => {
  it('adds, lists and shows hooks', async () => {
    const added = await sovi(
      'hooks',
      'add',
      '--category',
      'curiosity_gap',
      '--template',
      'Nobody tells you this about {topic}.',
      '--niche',
      'personal_finance',
      '--json',
    );
    expect(added.code).toBe(0);
    const hook = JSON.parse(added.stdout);
    expect(hook).toMatchObject({ category: 'curiosity_gap', nicheSlug: 'personal_finance', usageCount: 0 });
    const list = await sovi('hooks', 'list', '--niche', 'personal_finance');
    expect(list.stdout).toMatch(/curiosity_gap\s+personal_finance\s+0/);
    const shown = await sovi('hooks', 'show', hook.id);
    expect(shown.stdout).toMatch(/tiktok\s+Beta\(/);
  });

  it('pages the list with --after, and shows a hook with the posteriors the API shows', async () => {
    for (const category of ['a_first', 'a_second', 'a_third']) await factories.hook(t.pool, { category });
    const all = JSON.parse((await sovi('hooks', 'list', '--json')).stdout) as { id: string }[];
    expect(all.length).toBeGreaterThanOrEqual(4);
    // The first page as a table, the rest as JSON, each from the command the page before printed.
    let page = await sovi('hooks', 'list', '--limit', '2');
    const lines = page.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^id\s+category\s+niche\s+used\s+score\s+tiktok/);
    const seen = lines.slice(1).map((line) => line.split(/\s+/)[0]);
    expect(seen).toHaveLength(2);
    for (;;) {
      const more = /^more: sovi (hooks list --limit 2 --after \S+)\n$/.exec(page.stderr);
      if (!more) break;
      page = await sovi(...more[1]!.split(' '), '--json');
      seen.push(...JSON.parse(page.stdout).map((h: { id: string }) => h.id));
    }
    expect(seen).toEqual(all.map((h) => h.id));

    const shown = JSON.parse((await sovi('hooks', 'show', all[0]!.id, '--json')).stdout);
    const { alpha, beta, mean } = shown.posteriors.tiktok;
    expect(mean).toBeCloseTo(alpha / (alpha + beta), 12);
  });

  it('names the field that is wrong and writes nothing', async () => {
    const before = (await t.pool.query('SELECT count(*)::int AS n FROM hooks')).rows[0].n;
    const badPlaceholder = await sovi(
      'hooks',
      'add',
      '--category',
      'x_y',
      '--template',
      'All about {subject} today',
    );
    expect(badPlaceholder.code).toBe(2);
    expect(badPlaceholder.stderr).toMatch(/template: .*\{subject\}/);
    const badScore = await sovi(
      'hooks',
      'add',
      '--category',
      'x_y',
      '--template',
      'About {topic}.',
      '--score',
      '3',
    );
    expect(badScore.code).toBe(2);
    expect(badScore.stderr).toMatch(/--score/);
    const badNiche = await sovi(
      'hooks',
      'add',
      '--category',
      'x_y',
      '--template',
      'About {topic}.',
      '--niche',
      'cooking',
    );
    expect(badNiche.code).not.toBe(0);
    expect(badNiche.stderr).toMatch(/niche/);
    expect(badNiche.stderr).not.toMatch(/\n\s+at /);
    expect((await t.pool.query('SELECT count(*)::int AS n FROM hooks')).rows[0].n).toBe(before);
  });

  it('imports a CSV all or none', async () => {
    const good = await tempFile(
      'hooks.csv',
      'category,template,niche,effectiveness_score\nbold_claim,{topic} is a scam.,,0.6\nstory_open,I lost it all to {topic}.,true_crime,\n',
    );
    const imported = await sovi('hooks', 'import', good);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/imported 2 hooks/);
    const bad = await tempFile(
      'bad.csv',
      'category,template,niche,effectiveness_score\nok_one,Fine {topic}.,,\nBad Category,x,,2\n',
    );
    const refused = await sovi('hooks', 'import', bad);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/line 3/);
    expect(
      (await t.pool.query(`SELECT count(*)::int AS n FROM hooks WHERE category = 'ok_one'`)).rows[0].n,
    ).toBe(0);
    const missing = await sovi('hooks', 'import', '/nonexistent/hooks.csv');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read/);
  });
});

describe('sovi content', { timeout: cliTestTimeout(6) }, () => {
  it('creates content and queues its production', async () => {
    const created = await sovi(
      'content',
      'new',
      '--topic',
      'index funds',
      '--niche',
      'personal_finance',
      '--json',
    );
    expect(created.code).toBe(0);
    const content = JSON.parse(created.stdout);
    expect(content).toMatchObject({ topic: 'index funds', status: 'scripting', format: 'faceless' });

    const produced = await sovi('content', 'produce', content.id);
    expect(produced.code).toBe(0);
    expect(produced.stdout).toMatch(/queued .* at scripting/);
    const jobs = await t.pool.query(
      `SELECT data FROM pgboss.job WHERE name = 'content-stage' AND data->>'contentId' = $1`,
      [content.id],
    );
    expect(jobs.rows).toEqual([{ data: { contentId: content.id, stage: 'scripting' } }]);
    // Asking twice queues nothing more: one queued job per content.
    await sovi('content', 'produce', content.id);
    expect(
      (
        await t.pool.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE data->>'contentId' = $1`, [
          content.id,
        ])
      ).rows[0].n,
    ).toBe(1);

    const status = JSON.parse((await sovi('content', 'status', '--json')).stdout);
    expect(status.scripting).toBeGreaterThanOrEqual(1);
    const list = await sovi('content', 'list', '--status', 'scripting');
    expect(list.stdout).toMatch(/index funds/);
    const shown = await sovi('content', 'show', content.id);
    expect(shown.stdout).toMatch(/status\s+scripting/);
  });

  it.each([
    [['content', 'new', '--niche', 'personal_finance'], 2, /--topic/],
    [
      ['content', 'new', '--topic', 'x', '--niche', 'personal_finance'],
      2,
      /topic: expected 3–200 characters/,
    ],
    [['content', 'new', '--topic', 'index funds', '--niche', 'cooking'], 3, /niche/],
    [
      ['content', 'new', '--topic', 'index funds', '--niche', 'personal_finance', '--format', 'vlog'],
      2,
      /format/,
    ],
    [['content', 'new', '--from-trend', '00000000-0000-4000-8000-000000000000'], 3, /--from-trend/],
    [['content', 'list', '--status', 'done'], 2, /--status/],
    [['content', 'show', 'not-an-id'], 3, /content not-an-id does not exist/],
    [['content', 'show', '00000000-0000-4000-8000-000000000000'], 3, /content/],
    [['content', 'produce'], 2, /content id, or --all/],
  ])('sovi %j exits %i naming what was wrong', async (args, code, message) => {
    const before = (await t.pool.query('SELECT count(*)::int AS n FROM content')).rows[0].n;
    const result = await runSovi(args, env());
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect((await t.pool.query('SELECT count(*)::int AS n FROM content')).rows[0].n).toBe(before);
  });

  it('creates and queues in one go with --produce, and lists in pages through --after', async () => {
    const created = await sovi(
      'content',
      'new',
      '--topic',
      'cold showers',
      '--niche',
      'motivation',
      '--produce',
      '--json',
    );
    expect(created.code, created.stderr).toBe(0);
    const content = JSON.parse(created.stdout);
    const jobs = await t.pool.query(
      `SELECT data FROM pgboss.job WHERE name = 'content-stage' AND data->>'contentId' = $1`,
      [content.id],
    );
    expect(jobs.rows).toEqual([{ data: { contentId: content.id, stage: 'scripting' } }]);
    await sovi('content', 'new', '--topic', 'the five second rule', '--niche', 'motivation');

    const first = await sovi('content', 'list', '--niche', 'motivation', '--limit', '1', '--json');
    expect(first.code, first.stderr).toBe(0);
    const [newest] = JSON.parse(first.stdout);
    expect(newest).toMatchObject({ topic: 'the five second rule', nicheSlug: 'motivation' });
    const more = /more: sovi content list --niche motivation --limit 1 --after (\S+)/.exec(first.stderr);
    expect(more, first.stderr).not.toBeNull();
    const second = await sovi(
      'content',
      'list',
      '--niche',
      'motivation',
      '--limit',
      '1',
      '--after',
      more![1]!,
    );
    expect(second.stdout).toMatch(/cold showers/);
    expect(second.stdout).not.toMatch(/five second rule/);
    expect(second.stderr).not.toMatch(/more:/);
  });

  it('refuses to retry content that did not fail', async () => {
    const content = JSON.parse(
      (await sovi('content', 'new', '--topic', 'emergency funds', '--niche', 'personal_finance', '--json'))
        .stdout,
    );
    const retried = await sovi('content', 'retry', content.id);
    expect(retried.code).toBe(4);
    expect(retried.stderr).toMatch(/not failed|did not fail/);
  });
});

describe('sovi distributions', { timeout: cliTestTimeout(4) }, () => {
  it('lists nothing yet and refuses bad filters', async () => {
    expect((await sovi('distributions', 'list')).stdout).toMatch(/no distributions/);
    const bad = await sovi('distributions', 'list', '--status', 'live');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--status/);
    // A name that cannot be an id names no distribution either: not found, as in every command.
    const badId = await sovi('distributions', 'mark-removed', 'nope', '--reason', 'x');
    expect(badId.code).toBe(3);
    expect(badId.stderr).toMatch(/distribution nope does not exist/);
    const unknown = await sovi(
      'distributions',
      'mark-removed',
      '00000000-0000-4000-8000-000000000000',
      '--reason',
      'x',
    );
    // The same service as POST /distributions/{id}/removed: a missing distribution is not found (its 404).
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/distribution 00000000-0000-4000-8000-000000000000 does not exist/);
  });

  it('pages the list with --after, and marks a posted one removed, once', async () => {
    const content = await factories.content(t.pool);
    const made = [];
    for (const status of ['pending', 'posted', 'failed']) {
      made.push(
        await factories.distribution(t.pool, {
          content_id: content.id,
          status,
          ...(status === 'posted' ? { posted_at: new Date(), platform_post_id: 'sim_1' } : {}),
        }),
      );
    }
    const all = JSON.parse(
      (await sovi('distributions', 'list', '--content', String(content.id), '--json')).stdout,
    );
    expect(all.map((d: { id: string }) => d.id).sort()).toEqual(made.map((d) => d.id).sort());
    expect(all[0]).toMatchObject({ contentId: content.id, platform: 'tiktok', username: expect.any(String) });

    const first = await sovi('distributions', 'list', '--content', String(content.id), '--limit', '2');
    expect(first.stdout).toMatch(
      /^id\s+content\s+account\s+state\s+at platform\s+slot\s+posted\s+post id\s+attempts\n/,
    );
    const more = /^more: sovi (distributions list --content \S+ --limit 2 --after \S+)\n$/.exec(first.stderr);
    expect(more).not.toBeNull();
    const second = await sovi(...more![1]!.split(' '), '--json');
    expect(second.stderr).toBe('');
    expect(JSON.parse(second.stdout).map((d: { id: string }) => d.id)).toEqual([all[2].id]);

    const posted = String(made[1]!.id);
    const removed = await sovi('distributions', 'mark-removed', posted, '--reason', 'taken down');
    expect(removed.code).toBe(0);
    expect(removed.stdout).toBe(`marked ${posted} removed\n`);
    const again = await sovi('distributions', 'mark-removed', posted, '--reason', 'taken down');
    expect(again.code).toBe(4);
    expect(again.stderr).toMatch(/is removed: only a posted distribution can be marked removed/);
  });
});
