// A post's progress at the platform, shown beside its status while the platform works (publishing there is
// asynchronous): the API's distribution read and listing, and `sovi distributions show/list`, through the
// real connector against the TikTok fake. Never the upload URL, whose query carries TikTok's upload token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliTestTimeout, runSovi } from '../helpers/cli.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { until } from '../helpers/until.ts';
import {
  MB,
  connectAccount,
  pendingPost,
  publish,
  startHarness,
  videoFile,
  type Harness,
} from './connector-harness.ts';

const t = useTestDatabase();
let h: Harness;

beforeAll(async () => {
  h = await startHarness(t);
});
afterAll(async () => h?.close());

interface Processing {
  stage: string;
  publishId: string | null;
  updatedAt: string;
  privacyLevel: string | null;
  reason: string | null;
  platformCode: string | null;
  videoSize: number | null;
  totalChunkCount: number | null;
}

const read = async (id: string) => {
  const res = await h.api.call('GET', `/api/v1/distributions/${id}`);
  expect(res.statusCode, res.body).toBe(200);
  return { body: res.body, d: res.json<{ status: string; processing: Processing | null }>() };
};

describe('processing details beside the distribution', () => {
  it(
    'show the stage, publish id and last update while TikTok processes, and never the upload URL',
    async () => {
      const { accountId } = await connectAccount(h, t, 'tiktok');
      const id = await pendingPost(t, accountId, 'tiktok', videoFile(h.mediaDir, 12 * MB));
      expect((await read(id)).d.processing).toBeNull();

      // TikTok holds it in processing until the test lets go. The worker stops while it polls (TikTok allows
      // 30 status reads a minute), and a second run resumes it.
      h.tiktok.options.processingMs = 600_000;
      const stop = new AbortController();
      const publishing = publish(h, t, id, stop.signal);
      try {
        const seen = await until('the post processing at TikTok', async () => {
          const r = await read(id);
          return r.d.processing?.stage === 'processing' ? r : undefined;
        });
        stop.abort(new Error('the worker is stopping'));
        await expect(publishing).rejects.toThrow();
        const atTikTok = [...h.tiktok.publishes.values()].find((p) => p.id === seen.d.processing!.publishId);
        expect(atTikTok, 'the publish id is TikTok’s').toBeDefined();
        expect(seen.d.status).toBe('pending');
        expect(seen.d.processing).toMatchObject({
          privacyLevel: 'PUBLIC_TO_EVERYONE',
          videoSize: 12 * MB,
          totalChunkCount: 2,
          reason: null,
        });
        expect(Date.now() - new Date(seen.d.processing!.updatedAt).getTime()).toBeLessThan(120_000);

        const listed = await h.api.call('GET', `/api/v1/distributions?account=${accountId}`);
        expect(listed.json().distributions[0].processing).toMatchObject({ stage: 'processing' });

        const shown = await runSovi(['distributions', 'show', id], { DATABASE_URL: t.url });
        expect(shown.code, shown.stderr).toBe(0);
        expect(shown.stdout).toMatch(new RegExp(`platform\\s+processing\\s+publish id ${atTikTok!.id}`));
        expect(shown.stdout).toContain('PUBLIC_TO_EVERYONE');
        const list = await runSovi(['distributions', 'list', '--account', accountId], {
          DATABASE_URL: t.url,
        });
        expect(list.code, list.stderr).toBe(0);
        expect(list.stdout).toMatch(/at platform/);
        expect(list.stdout.split('\n').find((l) => l.startsWith(id))).toContain('processing');

        for (const text of [seen.body, listed.body, shown.stdout, list.stdout]) {
          expect(text).not.toContain(atTikTok!.uploadToken);
          expect(text).not.toMatch(/upload_?url/i);
        }
        atTikTok!.readyAt = Date.now();
      } finally {
        h.tiktok.options.processingMs = 200;
      }
      expect((await publish(h, t, id)).status).toBe('posted');
      const done = await read(id);
      expect(done.d).toMatchObject({ status: 'posted', processing: { stage: 'published' } });
    },
    cliTestTimeout(2) + 30_000,
  );

  it('show why TikTok failed a post, with its code', async () => {
    const { accountId } = await connectAccount(h, t, 'tiktok');
    const id = await pendingPost(t, accountId, 'tiktok', videoFile(h.mediaDir, 1 * MB, false));
    expect((await publish(h, t, id)).status).toBe('failed');
    const { d } = await read(id);
    expect(d.status).toBe('failed');
    expect(d.processing).toMatchObject({
      stage: 'failed',
      platformCode: 'file_format_check_failed',
      reason: expect.stringContaining('file_format_check_failed'),
    });
  });

  it('a post outside the caller’s reach reads as absent', async () => {
    const res = await h.api.call('GET', '/api/v1/distributions/00000000-0000-4000-8000-000000000000');
    expect(res.statusCode).toBe(404);
    const bad = await h.api.call('GET', '/api/v1/distributions/not-an-id');
    expect(bad.statusCode).toBe(404);
  });
});
