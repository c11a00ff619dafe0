// @no-database
// The true-peak check holds the ceiling the issue asks for (≤ −1 dBTP), with no allowance for the encoder:
// a tone peaking at about −0.5 dBTP fails it, one at about −2.5 dBTP passes.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkQuality } from '../../src/media/quality.ts';
import { runTool } from '../../src/media/run-tool.ts';
import { findMediaTools, type MediaTools } from '../../src/media/tools.ts';
import { RENDER_TEST_TIMEOUT } from '../helpers/content.ts';
import { tempDir } from './fixtures/media.ts';

let tools: MediaTools;
let scratch: Awaited<ReturnType<typeof tempDir>>;

beforeAll(async () => {
  tools = await findMediaTools({ ffmpeg: undefined, ffprobe: undefined, espeak: undefined });
  scratch = await tempDir('sovi-true-peak-');
});
afterAll(() => scratch.remove());

/** A small clip whose sound is a 440 Hz tone peaking at `peakDb`. */
async function toneClip(peakDb: number): Promise<string> {
  const file = path.join(scratch.dir, `tone${peakDb}.mp4`);
  await runTool(tools.ffmpeg, [
    ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', 'color=c=teal:s=270x480:r=30:d=1.5'],
    ...['-f', 'lavfi', '-i', `sine=f=440:r=44100:d=1.5,volume=${peakDb + 18.06}dB`],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'],
    ...['-c:a', 'aac', '-b:a', '128k', '-movflags', '+faststart', file],
  ]);
  return file;
}

describe('the true-peak check', () => {
  it(
    'fails a sound peaking over −1 dBTP and passes one under it',
    async () => {
      const peakOf = async (peakDb: number) => {
        const report = await checkQuality(tools, await toneClip(peakDb), {
          narration: 'A tone.',
          captions: [],
          minDurationSeconds: 1,
          maxDurationSeconds: 2,
          loudness: { integratedLufs: -14, truePeakDb: -1 },
        });
        return report.checks.find((c) => c.name === 'true_peak')!;
      };
      const hot = await peakOf(-0.5);
      expect(Number(hot.value)).toBeGreaterThan(-1);
      expect(Number(hot.value)).toBeLessThan(0);
      expect(hot.passed).toBe(false);
      expect(hot.expected).toBe('≤ -1 dBTP');
      const under = await peakOf(-2.5);
      expect(Number(under.value)).toBeLessThan(-1);
      expect(under.passed).toBe(true);
    },
    RENDER_TEST_TIMEOUT,
  );
});
