// Review and the calendar from the command line: posting windows per account, the review queue, approving
// some posts with an edited caption, rejecting, the calendar, and the calendar's actions on one post.
import { beforeAll, describe, expect, it } from 'vitest';
import { cliTestTimeout, runSovi } from '../helpers/cli.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';

const t = useTestDatabase();
const sovi = (...args: string[]) => runSovi(args, { DATABASE_URL: t.url });

beforeAll(async () => {
  expect((await sovi('migrate')).code).toBe(0);
});

let n = 0;
/** Content awaiting review in motivation, with a post on each of two new accounts an hour ahead. */
async function awaitingReview(topic: string) {
  const niche = (await t.pool.query(`SELECT id FROM niches WHERE slug = 'motivation'`)).rows[0].id;
  const content = await factories.content(t.pool, {
    topic,
    niche_id: niche,
    production_status: 'distributing',
    review_state: 'awaiting',
    review_requested_at: new Date(),
  });
  const posts: { id: string; ref: string }[] = [];
  for (const platform of ['tiktok', 'instagram']) {
    const username = `cli_${platform}_${process.pid}_${++n}`;
    const account = await factories.account(t.pool, { niche_id: niche, platform, username });
    const d = await factories.distribution(t.pool, {
      content_id: content.id,
      account_id: account.id,
      platform,
      review: 'awaiting',
      caption: 'planned caption',
      scheduled_at: new Date(Date.now() + 3_600_000),
    });
    posts.push({ id: String(d.id), ref: `${platform}:${username}` });
  }
  return { id: String(content.id), posts };
}

describe('sovi content review and sovi calendar', () => {
  it(
    'lists the queue, approves one post with an edited caption (the other is rejected), and rejects',
    async () => {
      const first = await awaitingReview('cold showers at dawn');
      const second = await awaitingReview('journaling before bed');
      const list = await sovi('content', 'review', 'list');
      expect(list.code, list.stderr).toBe(0);
      expect(list.stdout).toContain('"cold showers at dawn"');
      expect(list.stdout).toContain(first.posts[0]!.ref);

      const [tiktok, instagram] = first.posts as [{ id: string; ref: string }, { id: string; ref: string }];
      const approved = await sovi(
        'content',
        'review',
        'approve',
        first.id,
        '--only',
        tiktok.ref,
        '--caption',
        `${tiktok.ref}=Up before the sun`,
      );
      expect(approved.code, approved.stderr).toBe(0);
      expect(approved.stdout).toMatch(new RegExp(`approved ${tiktok.ref}: scheduled for \\d{4}-`));
      expect(approved.stdout).toContain(`rejected ${instagram.ref}`);
      const { rows } = await t.pool.query(
        `SELECT id, review, caption FROM distributions WHERE content_id = $1`,
        [first.id],
      );
      expect(rows.find((r) => r.id === tiktok.id)).toMatchObject({
        review: 'approved',
        caption: 'Up before the sun',
      });
      expect(rows.find((r) => r.id === instagram.id)).toMatchObject({ review: 'rejected' });

      const rejected = await sovi('content', 'review', 'reject', second.id, '--reason', 'off brand');
      expect(rejected.code, rejected.stderr).toBe(0);
      const shown = await sovi('content', 'show', second.id);
      expect(shown.stdout).toMatch(/review\s+rejected by .*: off brand/);
      expect((await sovi('content', 'review', 'reject', second.id, '--reason', 'again')).code).toBe(4);
    },
    cliTestTimeout(6),
  );

  it(
    'sets an account’s windows, shows the calendar, and reschedules, edits and cancels a post',
    async () => {
      const { posts } = await awaitingReview('a cold plunge diary');
      const post = posts[0]!;
      const set = await sovi(
        'accounts',
        'schedule',
        'set',
        post.ref,
        '--tz',
        'Asia/Tokyo',
        '--windows',
        '21:30',
      );
      expect(set.code, set.stderr).toBe(0);
      expect(set.stdout).toContain('21:30 Asia/Tokyo; at most 1 a day');
      const badZone = await sovi(
        'accounts',
        'schedule',
        'set',
        post.ref,
        '--tz',
        'Mars/Olympus',
        '--windows',
        '09:00',
      );
      expect(badZone.code).toBe(2);
      expect(badZone.stderr).toContain('timeZone');

      const day = new Date(Date.now() + 2 * 86_400_000);
      const window = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), 12, 30));
      const offWindow = new Date(window.getTime() + 3_600_000).toISOString();
      const refused = await sovi('distributions', 'reschedule', post.id, '--at', offWindow);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/not one of .* windows \(21:30 Asia\/Tokyo\)/);
      const moved = await sovi('distributions', 'reschedule', post.id, '--at', window.toISOString());
      expect(moved.code, moved.stderr).toBe(0);
      const badTime = await sovi('distributions', 'reschedule', post.id, '--at', 'tomorrow');
      expect(badTime.code).toBe(2);
      expect(badTime.stderr).toContain('--at');

      const calendar = await sovi(
        'calendar',
        '--from',
        '1h',
        '--to',
        new Date(Date.now() + 5 * 86_400_000).toISOString(),
        '--account',
        post.ref,
        '--json',
      );
      expect(calendar.code, calendar.stderr).toBe(0);
      expect(JSON.parse(calendar.stdout).entries).toEqual([
        expect.objectContaining({ id: post.id, state: 'awaiting_review', scheduledAt: window.toISOString() }),
      ]);

      const edited = await sovi(
        'distributions',
        'edit',
        post.id,
        '--caption',
        'Better',
        '--duet',
        'off',
        '--json',
      );
      expect(edited.code, edited.stderr).toBe(0);
      expect(JSON.parse(edited.stdout)).toMatchObject({ caption: 'Better', options: { allowDuet: false } });
      const cancelled = await sovi('distributions', 'cancel', post.id);
      expect(cancelled.code, cancelled.stderr).toBe(0);
      expect(cancelled.stdout).toContain('is cancelled');
      expect((await sovi('distributions', 'cancel', post.id)).code).toBe(4);
    },
    cliTestTimeout(10),
  );
});
