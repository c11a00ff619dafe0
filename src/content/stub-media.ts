// A media stand-in that renders nothing: it writes small placeholder files instantly and reports what the
// real stages would. For tests of the pipeline's flow, and for measuring the pipeline with rendering
// stubbed out (bench/content.ts). Never used by `sovi up`.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { MediaStages } from './media-stages.ts';

export function stubMedia(
  options: { score?: number; failAt?: 'generate' | 'assemble' | 'check' } = {},
): MediaStages {
  const fail = (stage: string) => {
    if (options.failAt === stage) throw new Error(`stub media: ${stage} failed on purpose`);
  };
  return {
    name: 'stub',
    generate: async ({ dir, script, wordsPerMinute }) => {
      fail('generate');
      await fs.mkdir(dir, { recursive: true });
      const durationSeconds = Math.max(1, (script.narration.split(/\s+/).length / wordsPerMinute) * 60);
      await fs.writeFile(path.join(dir, 'voice.wav'), '');
      await fs.writeFile(path.join(dir, 'background.mp4'), '');
      return {
        voice: { file: path.join(dir, 'voice.wav'), durationSeconds, kind: 'silent' },
        background: { file: path.join(dir, 'background.mp4'), durationSeconds, kind: 'gradient' },
      };
    },
    assemble: async ({ outFile, assets, script }) => {
      fail('assemble');
      await fs.mkdir(path.dirname(outFile), { recursive: true });
      await fs.writeFile(outFile, 'stub video');
      return {
        outputPath: outFile,
        durationSeconds: assets.voice.durationSeconds,
        captions: [{ start: 0, end: assets.voice.durationSeconds, text: script.narration }],
        details: { renderer: 'stub' },
      };
    },
    check: async () => {
      fail('check');
      const score = options.score ?? 1;
      return {
        score,
        checks: [{ name: 'stub', passed: score >= 0.5, value: score, expected: '≥ 0.5', weight: 1 }],
      };
    },
  };
}
