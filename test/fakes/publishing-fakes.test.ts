// @no-database
// The publishing fakes hold sovi's connectors to what the documentation asks: they refuse what TikTok's
// Content Posting API and Instagram's content publishing refuse, with the platforms' own envelopes and codes
// (a spent or mismatched code, a wrong verifier or secret, a missing token or field, chunking off the media
// transfer guide, a bad Content-Range, an unaudited client's public post, the init limit, a container not
// ready, a publish past the limit). A fake that accepted these would let a broken connector pass.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInstagramFake, type InstagramFake } from './instagram-api-fake.ts';
import { startTikTokFake, type TikTokFake } from './tiktok-api-fake.ts';

let tiktok: TikTokFake;
let instagram: InstagramFake;
beforeAll(async () => {
  [tiktok, instagram] = await Promise.all([startTikTokFake(), startInstagramFake()]);
});
afterAll(async () => {
  await Promise.all([tiktok.close(), instagram.close()]);
});

const MB = 1024 * 1024;
const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});
/** Either API's JSON answer, loosely typed for the assertions. */
interface JsonBody {
  error: { code: string | number; message: string; error_subcode?: number; [key: string]: unknown } & string;
  data: { upload_url: string } & { access_token: string }[];
  access_token: string;
  id: string;
}
const answer = async (res: Response) => ({ status: res.status, body: (await res.json()) as JsonBody });

describe('the TikTok Content Posting API fake', () => {
  const redirect = 'http://sovi.test/oauth/callback/tiktok';
  const verifier = 'v'.repeat(50);

  /** A code for `openId` through the consent step, as sovi's authorization URL asks for it. */
  const codeFor = (openId: string, scope = 'user.info.basic,video.publish') => {
    const url = new URL(`${tiktok.url}/v2/auth/authorize/`);
    url.search = new URLSearchParams({
      client_key: tiktok.clientKey,
      response_type: 'code',
      scope,
      redirect_uri: redirect,
      state: 's',
      code_challenge: createHash('sha256').update(verifier).digest('hex'),
      code_challenge_method: 'S256',
    }).toString();
    return new URL(tiktok.authorize(url.toString(), openId)).searchParams.get('code')!;
  };
  const exchange = (code: string, overrides: Record<string, string> = {}) =>
    fetch(
      `${tiktok.url}/v2/oauth/token/`,
      form({
        client_key: tiktok.clientKey,
        client_secret: tiktok.clientSecret,
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        redirect_uri: redirect,
        ...overrides,
      }),
    ).then(answer);
  const tokenFor = async (openId: string, unaudited = false) => {
    tiktok.creators.set(openId, {
      openId,
      username: openId,
      privacyLevelOptions: unaudited ? ['SELF_ONLY'] : ['PUBLIC_TO_EVERYONE', 'SELF_ONLY'],
      unauditedClient: unaudited,
    });
    return (await exchange(codeFor(openId))).body.access_token;
  };
  const init = (token: string | undefined, body: unknown, type = 'application/json; charset=UTF-8') =>
    fetch(`${tiktok.url}/v2/post/publish/video/init/`, {
      method: 'POST',
      headers: { 'content-type': type, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    }).then(answer);
  const initBody = (privacy = 'PUBLIC_TO_EVERYONE', size = MB, chunk = MB, count = 1) => ({
    post_info: { title: 't', privacy_level: privacy },
    source_info: { source: 'FILE_UPLOAD', video_size: size, chunk_size: chunk, total_chunk_count: count },
  });

  it('refuses a code with a wrong verifier or secret, and a spent code', async () => {
    tiktok.creators.set('open-a', {
      openId: 'open-a',
      username: 'a',
      privacyLevelOptions: ['SELF_ONLY'],
      unauditedClient: false,
    });
    const secret = await exchange(codeFor('open-a'), { client_secret: 'wrong' });
    expect(secret).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    const code = codeFor('open-a');
    const wrong = await exchange(code, { code_verifier: 'w'.repeat(50) });
    expect(wrong).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await exchange(code)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const redirected = await exchange(codeFor('open-a'), { redirect_uri: 'http://elsewhere.test/cb' });
    expect(redirected.status).toBe(400);
  });

  it('refuses an init without a token, without JSON, without a privacy level, or off the chunking rules', async () => {
    const token = await tokenFor('open-b');
    const none = await init(undefined, initBody());
    expect(none.status).toBe(401);
    expect(none.body.error).toMatchObject({ code: 'access_token_invalid', log_id: expect.any(String) });
    expect((await init(token, initBody(), 'text/plain')).body.error.code).toBe('invalid_params');
    const noPrivacy = await init(token, { ...initBody(), post_info: { title: 't' } });
    expect(noPrivacy).toMatchObject({ status: 400, body: { error: { code: 'invalid_params' } } });
    // 12 MB in 5 MB chunks is 2 (the count rounded down, the last taking the rest), not 3.
    const chunks = await init(token, initBody('PUBLIC_TO_EVERYONE', 12 * MB, 5 * MB, 3));
    expect(chunks).toMatchObject({ status: 400, body: { error: { code: 'invalid_params' } } });
    expect((await init(token, initBody('PUBLIC_TO_EVERYONE', 12 * MB, 5 * MB, 2))).status).toBe(200);
  });

  it('refuses an unaudited client’s public post, and a level creator_info did not offer', async () => {
    const unaudited = await tokenFor('open-c', true);
    const res = await init(unaudited, initBody('PUBLIC_TO_EVERYONE'));
    expect(res).toMatchObject({
      status: 403,
      body: { error: { code: 'unaudited_client_can_only_post_to_private_accounts' } },
    });
    const audited = await tokenFor('open-d');
    const friends = await init(audited, initBody('MUTUAL_FOLLOW_FRIENDS'));
    expect(friends.body.error.code).toBe('privacy_level_option_mismatch');
  });

  it('refuses chunks without a Content-Range, off a boundary, of another type, or with a wrong upload token', async () => {
    const token = await tokenFor('open-e');
    const started = await init(token, initBody('PUBLIC_TO_EVERYONE', 12 * MB, 5 * MB, 2));
    const uploadUrl = started.body.data.upload_url;
    const put = (url: string, headers: Record<string, string>, size = 5 * MB) =>
      fetch(url, { method: 'PUT', headers, body: Buffer.alloc(size) });
    expect((await put(uploadUrl, { 'content-type': 'video/mp4' })).status).toBe(400);
    const offBoundary = await put(uploadUrl, {
      'content-type': 'video/mp4',
      'content-range': `bytes 1-${5 * MB}/${12 * MB}`,
    });
    expect(offBoundary.status).toBe(400);
    const type = await put(uploadUrl, {
      'content-type': 'application/octet-stream',
      'content-range': `bytes 0-${5 * MB - 1}/${12 * MB}`,
    });
    expect(type.status).toBe(400);
    const forged = uploadUrl.replace(/upload_token=[^&]+/, 'upload_token=forged');
    const stolen = await put(forged, {
      'content-type': 'video/mp4',
      'content-range': `bytes 0-${5 * MB - 1}/${12 * MB}`,
    });
    expect(stolen.status).toBe(404);
    const good = await put(uploadUrl, {
      'content-type': 'video/mp4',
      'content-range': `bytes 0-${5 * MB - 1}/${12 * MB}`,
    });
    expect(good.status).toBe(206);
  });

  it('allows 6 inits a minute per user token, then 429 with Retry-After', async () => {
    const token = await tokenFor('open-f');
    for (let i = 0; i < 6; i++) expect((await init(token, initBody())).status).toBe(200);
    const res = await fetch(`${tiktok.url}/v2/post/publish/video/init/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(initBody()),
    });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('60');
    expect((await answer(res)).body.error.code).toBe('rate_limit_exceeded');
  });
});

describe('the Instagram content publishing fake', () => {
  const redirect = 'http://sovi.test/oauth/callback/instagram';

  const tokenFor = async (
    userId: string,
    scope = 'instagram_business_basic,instagram_business_content_publish',
  ) => {
    const url = new URL(`${instagram.url}/oauth/authorize`);
    url.search = new URLSearchParams({
      client_id: instagram.appId,
      response_type: 'code',
      scope,
      redirect_uri: redirect,
      state: 's',
    }).toString();
    const code = new URL(instagram.authorize(url.toString(), userId)).searchParams.get('code')!;
    const res = await fetch(
      `${instagram.url}/oauth/access_token`,
      form({
        client_id: instagram.appId,
        client_secret: instagram.appSecret,
        grant_type: 'authorization_code',
        redirect_uri: redirect,
        code,
      }),
    ).then(answer);
    return { code, token: res.body.data[0]!.access_token };
  };
  const graph = (path: string, fields: Record<string, string>) =>
    fetch(`${instagram.url}/v23.0/${path}`, form(fields)).then(answer);

  it('refuses a spent code and a wrong secret with Graph error codes', async () => {
    const { code } = await tokenFor('17841400000000001');
    const spent = await fetch(
      `${instagram.url}/oauth/access_token`,
      form({
        client_id: instagram.appId,
        client_secret: instagram.appSecret,
        grant_type: 'authorization_code',
        redirect_uri: redirect,
        code,
      }),
    ).then(answer);
    expect(spent).toMatchObject({ status: 400, body: { error: { code: 100, error_subcode: 36009 } } });
    const secret = await fetch(
      `${instagram.url}/access_token?grant_type=ig_exchange_token&client_secret=wrong&access_token=x`,
    ).then(answer);
    expect(secret.body.error.code).toBe(101);
  });

  it('refuses a container without a token, of another type, without a video URL, or without the scope', async () => {
    const user = '17841400000000002';
    const { token } = await tokenFor(user);
    const reel = { media_type: 'REELS', video_url: 'https://sovi.test/media/v.mp4', caption: 'c' };
    const none = await graph(`${user}/media`, reel);
    expect(none).toMatchObject({ status: 400, body: { error: { code: 190, type: 'OAuthException' } } });
    const image = await graph(`${user}/media`, { ...reel, media_type: 'VIDEO', access_token: token });
    expect(image.body.error.code).toBe(100);
    const noUrl = await graph(`${user}/media`, { media_type: 'REELS', access_token: token });
    expect(noUrl.body.error.message).toMatch(/video_url/);
    const other = '17841400000000003';
    const basic = await tokenFor(other, 'instagram_business_basic');
    const scope = await graph(`${other}/media`, { ...reel, access_token: basic.token });
    expect(scope).toMatchObject({ status: 403, body: { error: { code: 10 } } });
  });

  it('refuses to publish a container that is not ready or not the account’s', async () => {
    const user = '17841400000000004';
    const { token } = await tokenFor(user);
    const notOurs = await graph(`${user}/media_publish`, { creation_id: '999', access_token: token });
    expect(notOurs.body.error).toMatchObject({ code: 100, error_subcode: 2207001 });
    instagram.options.processingMs = 600_000;
    try {
      // The fake fetches the video from the URL; a URL it cannot fetch still leaves the container to poll.
      const made = await graph(`${user}/media`, {
        media_type: 'REELS',
        video_url: `${instagram.url}/nothing-here.mp4`,
        access_token: token,
      });
      expect(made.status).toBe(200);
      const early = await graph(`${user}/media_publish`, { creation_id: made.body.id, access_token: token });
      expect(early).toMatchObject({ status: 400, body: { error: { code: 9007, error_subcode: 2207027 } } });
    } finally {
      instagram.options.processingMs = 150;
    }
  });
});
