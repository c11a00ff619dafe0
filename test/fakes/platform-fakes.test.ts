// @no-database
// The platform fakes hold sovi's collectors to what the documentation asks: they refuse what the real APIs
// refuse (a missing field list, too many ids, a wrong content type, an unknown metric, another user's
// post, a missing or expired token) with the platforms' own envelopes, and they enforce the limits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeInstagram, type FakeInstagram } from './instagram-graph-api.ts';
import { startFakeTikTok, type FakeTikTok } from './tiktok-display-api.ts';

let tiktok: FakeTikTok;
let instagram: FakeInstagram;
beforeAll(async () => {
  [tiktok, instagram] = await Promise.all([startFakeTikTok(), startFakeInstagram()]);
});
afterAll(async () => {
  await Promise.all([tiktok.close(), instagram.close()]);
});

/** A JSON answer of either API, loosely typed for the assertions. */
interface JsonBody {
  data: { videos: unknown[]; user: unknown } & { name: string; values: { value: number }[] }[];
  error: { code: string | number; [key: string]: unknown };
  [key: string]: unknown;
}
const json = async (response: Response) => ({
  status: response.status,
  body: (await response.json()) as JsonBody,
});

describe('the TikTok Display API fake', () => {
  const query = (token: string, body: unknown, fields = 'id,view_count', type = 'application/json') =>
    fetch(`${tiktok.url}/v2/video/query/?fields=${fields}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': type },
      body: JSON.stringify(body),
    }).then(json);

  it('answers the token owner’s videos with the fields asked for, in the documented envelope', async () => {
    const token = tiktok.issueToken('open-1');
    tiktok.addVideo({
      id: 'v1',
      openId: 'open-1',
      view_count: 5,
      like_count: 1,
      comment_count: 0,
      share_count: 0,
    });
    tiktok.addVideo({
      id: 'v2',
      openId: 'open-2',
      view_count: 9,
      like_count: 1,
      comment_count: 0,
      share_count: 0,
    });
    const answer = await query(token, { filters: { video_ids: ['v1', 'v2'] } });
    expect(answer.status).toBe(200);
    expect(answer.body.data.videos).toEqual([{ id: 'v1', view_count: 5 }]);
    expect(answer.body.error).toMatchObject({ code: 'ok', message: '', log_id: expect.any(String) });
  });

  it('refuses what the API refuses', async () => {
    const token = tiktok.issueToken('open-3');
    const ids = Array.from({ length: 21 }, (_, i) => `v${i}`);
    expect(await query(token, { filters: { video_ids: ids } })).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_params' } },
    });
    expect((await query(token, { filters: { video_ids: ['v1'] } }, '')).status).toBe(400);
    expect((await query(token, { filters: { video_ids: ['v1'] } }, 'id,nonsense')).status).toBe(400);
    expect((await query(token, { filters: { video_ids: ['v1'] } }, 'id', 'text/plain')).status).toBe(400);
    expect(await query('nope', { filters: { video_ids: ['v1'] } })).toMatchObject({
      status: 401,
      body: { error: { code: 'access_token_invalid' } },
    });
    tiktok.expireToken(token);
    expect((await query(token, { filters: { video_ids: ['v1'] } })).status).toBe(401);
  });

  it('limits each endpoint over a sliding minute', async () => {
    const token = tiktok.issueToken('open-4', { followers: 7 });
    tiktok.setRateLimit(2);
    const info = () =>
      fetch(`${tiktok.url}/v2/user/info/?fields=open_id,follower_count`, {
        headers: { authorization: `Bearer ${token}` },
      }).then(json);
    expect((await info()).body.data.user).toEqual({ open_id: 'open-4', follower_count: 7 });
    expect((await info()).status).toBe(200);
    expect(await info()).toMatchObject({ status: 429, body: { error: { code: 'rate_limit_exceeded' } } });
    tiktok.setRateLimit(600);
  });
});

describe('the Instagram Graph API fake', () => {
  const get = (path: string) =>
    fetch(`${instagram.url}/v23.0${path}`).then(async (r) => ({
      ...(await json(r)),
      usage: r.headers.get('x-app-usage'),
    }));

  it('answers insights of the token owner’s media, with X-App-Usage', async () => {
    const token = instagram.issueToken('1001', { followers: 42 });
    instagram.addMedia({ id: '2001', userId: '1001', views: 10, likes: 2, comments: 1, shares: 0, saved: 3 });
    const answer = await get(`/2001/insights?metric=views,saved&access_token=${token}`);
    expect(answer.status).toBe(200);
    expect(answer.body.data.map((m) => [m.name, m.values[0]!.value])).toEqual([
      ['views', 10],
      ['saved', 3],
    ]);
    expect(JSON.parse(answer.usage!)).toMatchObject({ call_count: expect.any(Number) });
    expect((await get(`/1001?fields=followers_count&access_token=${token}`)).body).toEqual({
      id: '1001',
      followers_count: 42,
    });
  });

  it('refuses what the API refuses, in the Graph error envelope', async () => {
    const token = instagram.issueToken('1002');
    instagram.addMedia({ id: '2002', userId: '1001', views: 1, likes: 0, comments: 0, shares: 0, saved: 0 });
    const other = await get(`/2002/insights?metric=views&access_token=${token}`);
    expect(other).toMatchObject({
      status: 400,
      body: { error: { code: 100, fbtrace_id: expect.any(String) } },
    });
    expect((await get(`/2002/insights?metric=impressions&access_token=${token}`)).body.error.code).toBe(100);
    expect((await get(`/2002/insights?metric=views`)).body.error.code).toBe(190);
    instagram.expireToken(token);
    expect((await get(`/1002?fields=followers_count&access_token=${token}`)).body.error).toMatchObject({
      code: 190,
      error_subcode: 463,
      type: 'OAuthException',
    });
  });

  it('limits each user token per hour with code 17', async () => {
    const token = instagram.issueToken('1003');
    instagram.setUserLimit(1);
    expect((await get(`/1003?fields=id&access_token=${token}`)).status).toBe(200);
    expect((await get(`/1003?fields=id&access_token=${token}`)).body.error.code).toBe(17);
    instagram.setUserLimit(200);
  });
});
