// A media stand-in that renders nothing: it writes small placeholder files and reports what the real
// stages would. For tests of the pipeline's flow, for measuring the pipeline with rendering stubbed out
// (bench/content.ts), and, through SOVI_STUB_MEDIA, for fault tests that kill real `sovi worker` processes
// mid-stage (delayMs makes each stage last long enough to be interrupted). Never used by `sovi up`.
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { parseOptions } from '../settings/parse-options.ts';
import type { MediaStages } from '../plugins/media-stages.ts';
import { sleep } from '../time.ts';

const optionsSchema = z
  .object({
    score: z.number().min(0).max(1).optional(),
    failAt: z.enum(['generate', 'assemble', 'check']).optional(),
    /** How long each stage takes (it stops early when its job is interrupted). */
    delayMs: z.number().int().min(0).max(600_000).optional(),
    /** The video starts with an MP4 ftyp box, so that platform fakes that check the container (as the platforms do) take it. */
    mp4: z.boolean().optional(),
  })
  .strict();

export type StubMediaOptions = z.input<typeof optionsSchema>;

/** The stub media `sovi worker` uses when SOVI_STUB_MEDIA (a JSON object of its options) is set. */
export function stubMediaFromConfig(options: Readonly<Record<string, unknown>>): MediaStages {
  return stubMedia(parseOptions(optionsSchema, options, 'SOVI_STUB_MEDIA'));
}

export function stubMedia(options: StubMediaOptions = {}): MediaStages {
  const work = async (stage: string, signal: AbortSignal) => {
    if (options.delayMs) await sleep(options.delayMs, signal);
    if (options.failAt === stage) throw new Error(`stub media: ${stage} failed on purpose`);
  };
  return {
    name: 'stub',
    generate: async ({ dir, script, wordsPerMinute, signal }) => {
      await work('generate', signal);
      await fs.mkdir(dir, { recursive: true });
      const durationSeconds = Math.max(1, (script.narration.split(/\s+/).length / wordsPerMinute) * 60);
      await fs.writeFile(path.join(dir, 'voice.wav'), '');
      await fs.writeFile(path.join(dir, 'background.mp4'), '');
      return {
        voice: { file: path.join(dir, 'voice.wav'), durationSeconds, kind: 'silent' },
        background: { file: path.join(dir, 'background.mp4'), durationSeconds, kind: 'gradient' },
      };
    },
    assemble: async ({ outFile, assets, script, signal }) => {
      await work('assemble', signal);
      await fs.mkdir(path.dirname(outFile), { recursive: true });
      const ftyp = Buffer.from('\0\0\0\x18ftypisom\0\0\0\0isommp41', 'latin1');
      await fs.writeFile(
        outFile,
        options.mp4 ? Buffer.concat([ftyp, Buffer.from('stub video')]) : 'stub video',
      );
      return {
        outputPath: outFile,
        durationSeconds: assets.voice.durationSeconds,
        captions: [{ start: 0, end: assets.voice.durationSeconds, text: script.narration }],
        details: { renderer: 'stub' },
      };
    },
    check: async ({ signal }) => {
      await work('check', signal);
      const score = options.score ?? 1;
      return {
        score,
        checks: [{ name: 'stub', passed: score >= 0.5, value: score, expected: '≥ 0.5', weight: 1 }],
      };
    },
  };
}
