// Each platform is one host to sovi (SOVI_TIKTOK_API_URL, SOVI_INSTAGRAM_GRAPH_URL): its publishing API and
// the API its metrics come from answer at the same URL, to the same OAuth tokens. These join the publishing
// fakes (tiktok-api-fake.ts, instagram-api-fake.ts) with the metrics fakes (tiktok-display-api.ts,
// instagram-graph-api.ts) that way: the publishing fake hands the metrics paths to the metrics fake, which
// accepts the tokens the publishing fake's OAuth issued (expired when those are), and a post the publishing
// fake completes becomes a video or media with counts, as `audience` makes them from its caption.
import type { FakeRequest as HttpRequest } from './fake-http.ts';
import type { FakeRequest } from './fake-server.ts';
import { startFakeInstagram, type FakeInstagram } from './instagram-graph-api.ts';
import type { InstagramFake } from './instagram-api-fake.ts';
import type { TikTokFake } from './tiktok-api-fake.ts';
import { startFakeTikTok, type FakeTikTok } from './tiktok-display-api.ts';

export interface Reaction {
  views: number;
  likes: number;
  comments: number;
  shares: number;
  saved: number;
}
export type Audience = (caption: string) => Reaction;

const asMetricsRequest = (req: HttpRequest): FakeRequest => ({
  method: req.method,
  path: req.path,
  query: req.query,
  headers: req.headers,
  body: req.body.toString('utf8'),
});

// https://developers.tiktok.com/doc/tiktok-api-v2-video-query , …/tiktok-api-v2-get-user-info (open.tiktokapis.com)
const DISPLAY_PATHS = new Set(['/v2/video/query/', '/v2/user/info/']);

/** TikTok's Display API at the Content Posting fake's URL. */
export async function joinTikTokDisplay(publishing: TikTokFake, audience: Audience): Promise<FakeTikTok> {
  const display = await startFakeTikTok({
    tokenOf: (token) => {
      const grant = publishing.grantOf(token);
      return grant && { ...grant, scopes: new Set(grant.scope.split(',')) };
    },
  });
  publishing.options.delegate = (req) =>
    DISPLAY_PATHS.has(req.path) ? display.handle(asMetricsRequest(req)) : undefined;
  publishing.options.onPosted = (post) => {
    // A private (SELF_ONLY) post has no public id, and the Display API does not list it.
    if (!post.postId) return;
    const title = post.postInfo.title;
    const r = audience(typeof title === 'string' ? title : '');
    display.addVideo({
      id: post.postId,
      openId: post.openId,
      view_count: r.views,
      like_count: r.likes,
      comment_count: r.comments,
      share_count: r.shares,
    });
  };
  return display;
}

/** Instagram's media insights and user node at the content publishing fake's URL (graph.instagram.com). */
export async function joinInstagramInsights(
  publishing: InstagramFake,
  audience: Audience,
): Promise<FakeInstagram> {
  const graph = await startFakeInstagram('v23.0', { tokenOf: (token) => publishing.grantOf(token) });
  publishing.options.delegate = (req) => {
    // GET /{media-id}/insights, and GET /{id} of anything but a container (the user's followers_count).
    const m = /^\/v\d+\.\d+\/([0-9]+)(\/insights)?$/.exec(req.path);
    if (req.method !== 'GET' || !m || (!m[2] && publishing.containers.has(m[1]!))) return undefined;
    return graph.handle(asMetricsRequest(req));
  };
  publishing.options.onPosted = ({ userId, mediaId, containerId }) => {
    const r = audience(publishing.containers.get(containerId)?.caption ?? '');
    graph.addMedia({ id: mediaId, userId, ...r });
  };
  return graph;
}
