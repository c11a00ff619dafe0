// The analytics page's reads over HTTP: any span of days (a preset or from–to), today marked partial, two
// accounts or two niches side by side, every post of the span sorted and paged, and each read (the hook
// leaderboard too) as a CSV download of the same rows, quoted as RFC 4180 says.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillRollups } from '../../src/metrics/rollup-refresh.ts';
import { factories } from '../helpers/factories.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { fieldsOf, startTestApp, type TestApp } from './helpers.ts';

const t = useTestDatabase();
let api: TestApp;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const today = Math.floor(Date.now() / DAY) * DAY;
/** Noon UTC `n` days ago (today: a second ago, so that it is already past). */
const noon = (n: number) => new Date(n === 0 ? Date.now() - 1000 : today - n * DAY + 12 * HOUR);
const day = (n: number) => new Date(today - n * DAY).toISOString().slice(0, 10);

beforeAll(async () => {
  api = await startTestApp(t);
  const niche = async (slug: string) =>
    (await t.pool.query(`SELECT id FROM niches WHERE slug = $1`, [slug])).rows[0].id as string;
  const tech = await niche('tech_ai_tools');
  const finance = await niche('personal_finance');
  const post = async (
    username: string,
    nicheId: string,
    topic: string,
    postedDaysAgo: number,
    views: [number, number][],
  ) => {
    const account = await factories.account(t.pool, { niche_id: nicheId, username });
    const content = await factories.content(t.pool, { niche_id: nicheId, topic });
    const d = await factories.distribution(t.pool, {
      content_id: content.id,
      account_id: account.id,
      status: 'posted',
      posted_at: new Date(today - postedDaysAgo * DAY + HOUR),
    });
    for (const [ago, count] of views) {
      await t.pool.query(
        `INSERT INTO metric_snapshots (time, distribution_id, account_id, views, likes, comments, shares)
         VALUES ($1, $2, $3, $4, $5, 1, 1)`,
        [noon(ago), d.id, account.id, count, Math.round(count / 10)],
      );
    }
  };
  await post('analytics_a', tech, 'Tools, "really" good', 3, [
    [3, 100],
    [2, 300],
    [1, 600],
    [0, 700],
  ]);
  await post('analytics_b', tech, 'ai for writers', 2, [
    [2, 50],
    [1, 80],
  ]);
  await post('analytics_c', finance, '=1+1 budgeting', 1, [[1, 400]]);
  await backfillRollups(t.pool, new Date(today - 5 * DAY), new Date(Date.now() + HOUR));
});
afterAll(() => api.close());

const get = (url: string, secret?: string) => api.call('GET', url, undefined, secret);

describe('analytics reads', () => {
  it('take a preset span or from–to days, and mark today (and this hour) as partial', async () => {
    const niche = await get('/api/v1/metrics/niches/tech_ai_tools/daily?days=4');
    expect(niche.statusCode, niche.body).toBe(200);
    const days = niche.json().days as { day: string; partial: boolean; viewsGained: number }[];
    expect(days.map((d) => [d.day, d.viewsGained, d.partial])).toEqual([
      [day(3), 100, false],
      [day(2), 250, false],
      [day(1), 330, false],
      [day(0), 100, true],
    ]);
    const span = await get(`/api/v1/metrics/niches/tech_ai_tools/daily?from=${day(2)}&to=${day(1)}`);
    expect(span.json().days.map((d: { day: string }) => d.day)).toEqual([day(2), day(1)]);

    const hours = await get(`/api/v1/metrics/accounts/tiktok:analytics_a/hourly?from=${day(3)}`);
    expect(hours.statusCode, hours.body).toBe(200);
    const rows = hours.json().hours as { views: number; partial: boolean }[];
    expect(rows.map((h) => [h.views, h.partial])).toEqual([
      [100, false],
      [300, false],
      [600, false],
      [700, true],
    ]);
    const past = await get(`/api/v1/metrics/accounts/tiktok:analytics_a/hourly?from=${day(3)}&to=${day(2)}`);
    expect(past.json().hours.map((h: { views: number }) => h.views)).toEqual([100, 300]);

    const top = await get(`/api/v1/metrics/top?from=${day(1)}&to=${day(1)}`);
    expect(top.json().content.map((c: { viewsGained: number }) => c.viewsGained)).toEqual([400, 300, 30]);
  });

  it('compare two accounts, or two niches, one metric gained per day', async () => {
    const accounts = await get(
      '/api/v1/metrics/compare?kind=accounts&refs=tiktok:analytics_a,tiktok:analytics_b&days=4',
    );
    expect(accounts.statusCode, accounts.body).toBe(200);
    expect(accounts.json().metric).toBe('views');
    expect(accounts.json().days).toEqual([
      { day: day(3), partial: false, gained: [100, 0] },
      { day: day(2), partial: false, gained: [200, 50] },
      { day: day(1), partial: false, gained: [300, 30] },
      { day: day(0), partial: true, gained: [100, 0] },
    ]);
    // The first day of a span counts from the day before it, not from zero.
    const late = await get(
      `/api/v1/metrics/compare?kind=accounts&refs=analytics_a,analytics_b&from=${day(1)}&to=${day(1)}`,
    );
    expect(late.json().days).toEqual([{ day: day(1), partial: false, gained: [300, 30] }]);

    const niches = await get(
      '/api/v1/metrics/compare?kind=niches&refs=tech_ai_tools,personal_finance&metric=views&days=2',
    );
    expect(niches.statusCode, niches.body).toBe(200);
    expect(niches.json().days).toEqual([
      { day: day(1), partial: false, gained: [330, 400] },
      { day: day(0), partial: true, gained: [100, 0] },
    ]);
  });

  it('list every post of the span with its latest counts, sorted and paged', async () => {
    const byViews = await get('/api/v1/metrics/posts?days=7&sort=views&direction=desc');
    expect(byViews.statusCode, byViews.body).toBe(200);
    expect(byViews.json().total).toBe(3);
    expect(byViews.json().posts.map((p: { account: string; views: number }) => [p.account, p.views])).toEqual(
      [
        ['tiktok:analytics_a', 700],
        ['tiktok:analytics_c', 400],
        ['tiktok:analytics_b', 80],
      ],
    );
    const byAccount = await get('/api/v1/metrics/posts?sort=account&direction=asc&limit=1&offset=1');
    expect(byAccount.json()).toMatchObject({ total: 3, posts: [{ account: 'tiktok:analytics_b' }] });
    expect(
      (await get('/api/v1/metrics/posts?niche=personal_finance'))
        .json()
        .posts.map((p: { niche: string }) => p.niche),
    ).toEqual(['personal_finance']);
    // Counts as they stood at the span's end.
    const then = await get(`/api/v1/metrics/posts?from=${day(3)}&to=${day(2)}&sort=views`);
    expect(then.json().posts.map((p: { views: number }) => p.views)).toEqual([300, 50]);
    // A reader may read.
    expect((await get('/api/v1/metrics/posts', api.reader.secret)).statusCode).toBe(200);
  });

  it('answer format=csv with the same rows, a header of the field names, quoted', async () => {
    const json = await get('/api/v1/metrics/niches/tech_ai_tools/daily?days=4');
    const csv = await get('/api/v1/metrics/niches/tech_ai_tools/daily?days=4&format=csv');
    expect(csv.statusCode, csv.body).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toMatch(
      /^attachment; filename="tech_ai_tools-daily-.+\.csv"$/,
    );
    const lines = csv.body.split('\r\n');
    expect(lines[0]).toBe(
      'day,partial,viewsGained,likesGained,commentsGained,sharesGained,savesGained,engagementRate,' +
        'accounts,followers,followerDelta,posts,warmingSessions',
    );
    expect(lines).toHaveLength(json.json().days.length + 2); // the header, the rows, the last line's end
    expect(lines.at(-2)).toMatch(new RegExp(`^${day(0)},true,100,10,`));

    const posts = await get('/api/v1/metrics/posts?sort=views&format=csv');
    const postLines = posts.body.trimEnd().split('\r\n');
    expect(postLines[0]).toBe(
      'postedAt,account,niche,topic,views,likes,comments,shares,engagementRate,platform,contentId,distributionId',
    );
    expect(postLines[1]).toContain(',tiktok:analytics_a,tech_ai_tools,"Tools, ""really"" good",700,70,1,1,');
    // Text a spreadsheet would run as a formula stays text.
    expect(postLines[2]).toContain(",personal_finance,'=1+1 budgeting,400,");

    const compare = await get(
      '/api/v1/metrics/compare?kind=accounts&refs=tiktok:analytics_a,tiktok:analytics_b&days=2&format=csv',
    );
    expect(compare.body).toBe(
      'day,partial,tiktok:analytics_a views gained,tiktok:analytics_b views gained\r\n' +
        `${day(1)},false,300,30\r\n${day(0)},true,100,0\r\n`,
    );
    const hourly = await get('/api/v1/metrics/accounts/analytics_b/hourly?format=csv');
    expect(hourly.body.split('\r\n')[0]).toMatch(/^bucket,partial,views,likes,/);
    await factories.hook(t.pool, { template: 'Nobody tells you this, "really", about {topic}.' });
    const hooks = await get('/api/v1/hooks/leaderboard?format=csv');
    expect(hooks.statusCode, hooks.body).toBe(200);
    const hookLines = hooks.body.split('\r\n');
    expect(hookLines[0]).toBe('rank,template,category,niche,mean,samples,usageCount,hookId');
    expect(hookLines[1]).toMatch(
      /^1,"Nobody tells you this, ""really"", about \{topic\}\.",\w+,,[\d.]+,0,0,[\w-]+$/,
    );
    const top = await get('/api/v1/metrics/top?format=csv');
    expect(top.body.split('\r\n')[0]).toBe('contentId,topic,nicheId,viewsGained,likesGained,views');
  });

  it('refuse bad spans, sorts and comparisons with a 400 naming the field', async () => {
    const bad = async (url: string) => {
      const response = await get(url);
      expect(response.statusCode, url).toBe(400);
      // A schema's refusal lists its issues; a rule's names one field.
      const issues = fieldsOf(response);
      return issues.length > 0 ? issues.sort() : [response.json<{ error: { field: string } }>().error.field];
    };
    expect(await bad('/api/v1/metrics/niches/tech_ai_tools/daily?from=2026-02-30')).toEqual(['from']);
    expect(await bad(`/api/v1/metrics/posts?from=${day(1)}&to=${day(3)}`)).toEqual(['from']);
    expect(await bad('/api/v1/metrics/posts?from=2020-01-01&to=2022-01-01')).toEqual(['to']);
    expect(await bad('/api/v1/metrics/posts?from=yesterday')).toEqual(['querystring.from']);
    expect(await bad('/api/v1/metrics/posts?sort=bogus&offset=20000')).toEqual([
      'querystring.offset',
      'querystring.sort',
    ]);
    expect(await bad('/api/v1/metrics/posts?format=xml')).toEqual(['querystring.format']);
    expect(await bad('/api/v1/metrics/compare?kind=accounts&refs=analytics_a')).toEqual(['querystring.refs']);
    expect(await bad('/api/v1/metrics/compare?kind=people&refs=a,b')).toEqual(['querystring.kind']);
    expect((await get('/api/v1/metrics/compare?kind=niches&refs=tech_ai_tools,nope')).statusCode).toBe(404);
  });
});
