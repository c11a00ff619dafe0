// The whole pipeline with the media stages sovi ships: a script becomes a real 1080×1920 video that passes
// its quality checks and is planned for posting; a video that fails them is not.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beatTitles, builtinMedia } from '../../src/content/builtin-media.ts';
import { createContent, getContent } from '../../src/content/content-service.ts';
import { defaultContentPolicy } from '../../src/content/content-policy.ts';
import type { Script } from '../../src/content/content-model.ts';
import { runStage, type StageJob } from '../../src/content/pipeline.ts';
import { stubMedia } from '../../src/content/stub-media.ts';
import type { ScriptWriter } from '../../src/content/script-writers.ts';
import { loadConfig } from '../../src/config.ts';
import { probeVideo } from '../../src/media/probe.ts';
import { findMediaTools } from '../../src/media/tools.ts';
import { pipelineDeps, RENDER_TEST_TIMEOUT } from '../helpers/content.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import { canary, findCanaries } from '../helpers/canary.ts';
import { startPexelsServer } from '../fakes/pexels-server.ts';
import { startSpeechServer } from '../fakes/speech-server.ts';

const t = useTestDatabase();
const never = new AbortController().signal;
let mediaDir: string;

/** A short script (about 7 s spoken), so that a real render stays quick. */
const shortWriter: ScriptWriter = {
  name: 'short',
  write: async (request) => {
    const beats = [
      { onScreenText: 'Pay yourself first', narration: 'Move ten percent the day you are paid.' },
      { onScreenText: 'Automate it', narration: 'Let the bank do it, so you never decide.' },
    ];
    const hook = request.hook?.line ?? 'One habit that makes you richer.';
    const cta = 'Follow for more.';
    return {
      title: 'One money habit',
      hook,
      beats,
      cta,
      narration: [hook, ...beats.map((b) => b.narration), cta].join(' '),
      hashtags: ['money'],
      writer: 'short',
    };
  },
};

beforeAll(async () => {
  mediaDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-builtin-media-'));
});
afterAll(() => fs.rm(mediaDir, { recursive: true, force: true }));

async function drain(deps: ReturnType<typeof pipelineDeps>, first: StageJob) {
  const results = [];
  let job: StageJob | undefined = first;
  while (job) {
    results.push({ stage: job.stage, ...(await runStage(deps, job, never)) });
    job = deps.sink.stages.shift();
  }
  return results;
}

describe('the built-in media stages', () => {
  it(
    'turn a script into a checked 1080×1920 video, ready to post',
    async () => {
      const niche = (await t.pool.query(`SELECT id FROM niches WHERE slug = 'personal_finance'`)).rows[0].id;
      await factories.account(t.pool, { current_state: 'active', niche_id: niche });
      const config = loadConfig({});
      const deps = pipelineDeps(t.db, {
        media: builtinMedia(config.content, quietLogger),
        writers: { primary: shortWriter, fallback: null },
        mediaDir,
      });
      const c = await createContent(t.db, defaultContentPolicy, {
        topic: 'paying yourself first',
        niche: 'personal_finance',
      });
      const results = await drain(deps, { contentId: c.id, stage: 'scripting' });
      expect(results.map((r) => r.status)).toEqual(['advanced', 'advanced', 'advanced', 'advanced']);

      const done = await getContent(t.db, c.id);
      expect(done.status).toBe('distributing');
      expect(done.outputPath).toBe(path.join(mediaDir, c.id, 'video.mp4'));
      expect(done.qualityScore).toBe(1);
      const probed = await probeVideo(await findMediaTools(config.content.tools), done.outputPath!);
      expect(probed).toMatchObject({ width: 1080, height: 1920, videoCodec: 'h264', pixFmt: 'yuv420p' });
      expect(probed.audioCodec).toBe('aac');
      expect(probed.durationSeconds).toBeGreaterThan(4);
      expect(probed.durationSeconds).toBeLessThan(15);

      const stages = done.assetManifest.stages as Record<string, Record<string, unknown>>;
      expect(stages.generating).toMatchObject({
        media: 'builtin',
        voice: { kind: 'espeak' },
        background: { kind: 'gradient' },
      });
      expect(stages.assembling).toMatchObject({ width: 1080, height: 1920, voice: 'espeak' });
      const checks = (stages.assembling!.quality as { checks: { name: string; value: unknown }[] }).checks;
      expect(checks.map((c) => c.name)).toEqual([
        ...['duration', 'resolution', 'video_codec', 'pixel_format', 'faststart', 'audio_stream'],
        ...['audio_level', 'caption_coverage', 'black_frames', 'integrated_loudness', 'true_peak'],
        ...['caption_overflow', 'speech_coverage'],
      ]);
      // Normalised to the default −14 LUFS within 1 LU, captions timed from the voice's pauses.
      expect(Math.abs(Number(checks.find((c) => c.name === 'integrated_loudness')!.value) + 14)).toBeLessThan(
        1,
      );
      expect(stages.assembling).toMatchObject({ captionTiming: 'speech', music: null });
      const ass = await fs.readFile(path.join(mediaDir, c.id, 'captions.ass'), 'utf8');
      expect(ass).toContain('Pay yourself first');
      expect(ass).toMatch(/Dialogue: 0,.*Caption/);
      expect(
        (await t.pool.query('SELECT count(*)::int AS n FROM distributions WHERE content_id = $1', [c.id]))
          .rows[0].n,
      ).toBe(1);
    },
    RENDER_TEST_TIMEOUT,
  );

  it(
    'fails the production at assembling when the video breaks the format’s length limits',
    async () => {
      const config = loadConfig({});
      const policy = {
        ...defaultContentPolicy,
        formats: {
          ...defaultContentPolicy.formats,
          faceless: { platforms: ['tiktok' as const], minSeconds: 30, maxSeconds: 60 },
        },
      };
      const deps = pipelineDeps(t.db, {
        media: builtinMedia(config.content, quietLogger),
        writers: { primary: shortWriter, fallback: null },
        mediaDir,
        policy,
      });
      const c = await createContent(t.db, policy, {
        topic: 'a video that is too short',
        niche: 'personal_finance',
      });
      const results = await drain(deps, { contentId: c.id, stage: 'scripting' });
      expect(results.at(-1)).toMatchObject({ stage: 'assembling', status: 'failed' });
      const failed = await getContent(t.db, c.id);
      expect(failed.status).toBe('failed');
      // Only the duration check fails: the score (1.10 of 1.25 weight: 0.88) clears the 0.7 bar, but duration
      // is a required check.
      expect(failed.qualityScore).toBeCloseTo(0.88, 5);
      const failure = failed.assetManifest.failure as { stage: string; reason: string };
      expect(failure.stage).toBe('assembling');
      expect(failure.reason).toMatch(
        /quality 0\.88, but a required check failed: duration \([\d.]+; expected 30–60 s\)$/,
      );
      // The video stays for a person to look at.
      expect(failed.outputPath).toBe(path.join(mediaDir, c.id, 'video.mp4'));
    },
    RENDER_TEST_TIMEOUT,
  );
});

describe('a voice or visual source that fails in the pipeline', () => {
  it(
    'writes voice_fallback and visual_source_failed events on the content, without the keys',
    async () => {
      const tools = await findMediaTools({ ffmpeg: undefined, ffprobe: undefined, espeak: undefined });
      const ttsKey = canary('pipeline-tts-key');
      const pexelsKey = canary('pipeline-pexels-key');
      const speech = await startSpeechServer(tools, ttsKey);
      const pexels = await startPexelsServer(tools, path.join(mediaDir, 'pexels'), pexelsKey);
      speech.mode = 'error';
      pexels.mode = 'down';
      try {
        const config = loadConfig({
          SOVI_HOME: path.join(mediaDir, 'home-events'),
          SOVI_TTS_URL: speech.url,
          SOVI_TTS_API_KEY: ttsKey,
          SOVI_PEXELS_URL: pexels.url,
          SOVI_PEXELS_API_KEY: pexelsKey,
        });
        const media = builtinMedia(config.content, quietLogger, {
          media: {
            '*': {
              voices: {
                en: [
                  { engine: 'openai', voice: 'alloy' },
                  { engine: 'espeak', voice: 'en-us' },
                ],
              },
              visuals: ['pexels', 'generated'],
            },
          },
        });
        const deps = pipelineDeps(t.db, {
          media,
          writers: { primary: shortWriter, fallback: null },
          mediaDir,
        });
        const c = await createContent(t.db, defaultContentPolicy, {
          topic: 'a voice that fails',
          niche: 'personal_finance',
        });
        // Scripting, then generating: the events come from generating; no render is needed.
        expect(await runStage(deps, { contentId: c.id, stage: 'scripting' }, never)).toMatchObject({
          status: 'advanced',
        });
        const next = deps.sink.stages.shift()!;
        expect(next.stage).toBe('generating');
        expect(await runStage(deps, next, never)).toMatchObject({ status: 'advanced' });
        expect(speech.requests).toHaveLength(1);
        expect(pexels.searches).toHaveLength(1);

        const { rows } = await t.pool.query(
          `SELECT event_type, severity, category, message, context FROM system_events
            WHERE context->>'contentId' = $1 AND event_type IN ('voice_fallback', 'visual_source_failed')
            ORDER BY event_type`,
          [c.id],
        );
        expect(rows.map((r) => [r.event_type, r.severity, r.category])).toEqual([
          ['visual_source_failed', 'warning', 'content'],
          ['voice_fallback', 'warning', 'content'],
        ]);
        expect(rows[0].context).toMatchObject({ source: 'pexels', contentId: c.id });
        expect(rows[1].message).toMatch(/^"a voice that fails": .*openai/);
        expect(findCanaries(JSON.stringify(rows))).toEqual([]);
        const stages = (await getContent(t.db, c.id)).assetManifest.stages as Record<
          string,
          Record<string, unknown>
        >;
        expect(stages.generating).toMatchObject({ voice: { kind: 'espeak' }, background: { kind: 'beats' } });
      } finally {
        await speech.close();
        await pexels.close();
      }
    },
    RENDER_TEST_TIMEOUT,
  );
});

describe('the music credit', () => {
  it('goes from the assembled video’s manifest into every planned post’s caption', async () => {
    const niche = (await t.pool.query(`SELECT id FROM niches WHERE slug = 'personal_finance'`)).rows[0].id;
    await factories.account(t.pool, { current_state: 'active', niche_id: niche });
    const credit = 'Calm Keys by Test Composer (CC BY 4.0)';
    const stub = stubMedia();
    // Rendering stubbed out; what the built-in assemble reports when the policy appends the credit.
    const deps = pipelineDeps(t.db, {
      media: {
        ...stub,
        assemble: async (input) => {
          const video = await stub.assemble(input);
          return { ...video, details: { ...video.details, attributionInCaption: credit } };
        },
      },
      writers: { primary: shortWriter, fallback: null },
      mediaDir,
    });
    const c = await createContent(t.db, defaultContentPolicy, {
      topic: 'a credited track',
      niche: 'personal_finance',
    });
    const results = await drain(deps, { contentId: c.id, stage: 'scripting' });
    expect(results.at(-1)).toMatchObject({ stage: 'distributing', status: 'advanced' });
    const stages = (await getContent(t.db, c.id)).assetManifest.stages as Record<
      string,
      Record<string, unknown>
    >;
    expect(stages.assembling).toMatchObject({ attributionInCaption: credit });
    const { rows } = await t.pool.query('SELECT caption FROM distributions WHERE content_id = $1', [c.id]);
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.caption as string).toMatch(/\nCalm Keys by Test Composer \(CC BY 4\.0\)$/);
  });
});

describe('without ffmpeg', () => {
  it('fails the generating stage with an event naming the variable, never a silent success', async () => {
    const config = loadConfig({ SOVI_FFMPEG: '/nonexistent/ffmpeg' });
    const deps = pipelineDeps(t.db, {
      media: builtinMedia(config.content, quietLogger),
      writers: { primary: shortWriter, fallback: null },
      mediaDir,
    });
    const c = await createContent(t.db, defaultContentPolicy, {
      topic: 'no ffmpeg here',
      niche: 'personal_finance',
    });
    const results = await drain(deps, { contentId: c.id, stage: 'scripting' });
    expect(results.at(-1)).toMatchObject({ stage: 'generating', status: 'failed' });
    const { rows } = await t.pool.query(
      `SELECT severity, message FROM system_events WHERE event_type = 'content_failed' AND context->>'contentId' = $1`,
      [c.id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].severity).toBe('error');
    expect(rows[0].message).toMatch(
      /failed at generating: ffmpeg not found: SOVI_FFMPEG is \/nonexistent\/ffmpeg/,
    );
    expect((await getContent(t.db, c.id)).outputPath).toBeNull();
  });
});

describe('on-screen beat titles', () => {
  it('follow the narration of their beat', () => {
    const script: Script = {
      title: 't',
      hook: 'Hook words here.',
      beats: [
        { onScreenText: 'First', narration: 'aaaa bbbb' },
        { onScreenText: 'Second', narration: 'cccc dddd' },
      ],
      cta: 'End.',
      narration: 'Hook words here. aaaa bbbb cccc dddd End.',
      hashtags: [],
      writer: 'x',
    };
    // letters: hook 13, beats 8 and 8, cta 3 → 32 in all, over 32 s: one second per letter.
    expect(beatTitles(script, 32)).toEqual([
      { start: 13, end: 21, text: 'First', style: 'title' },
      { start: 21, end: 29, text: 'Second', style: 'title' },
    ]);
  });
});
