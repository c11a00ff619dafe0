// The media stages sovi ships: an espeak-ng voice-over (or a silent track when there is no espeak-ng), a
// background of generated scenes or of clips from SOVI_MEDIA_LIBRARY, captions timed over the voice and
// burned in with the script's on-screen text, one ffmpeg encode, and measured quality checks.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { narrationWords, timeCaptions, type Caption } from '../media/captions.ts';
import { checkQuality } from '../media/quality.ts';
import { renderVideo } from '../media/render.ts';
import { findMediaTools } from '../media/tools.ts';
import { makeBackground, type Background } from '../media/visuals.ts';
import { synthesizeVoice, type VoiceTrack } from '../media/voice.ts';
import type { Script } from './content-model.ts';
import type { MediaStages } from '../plugins/media-stages.ts';

/** espeak-ng speaks from 80 to 450 words per minute. */
const clampRate = (wpm: number) => Math.min(450, Math.max(80, Math.round(wpm)));

const letters = (text: string) => text.replace(/[^\p{L}\p{N}]/gu, '').length;

/**
 * Each beat's on-screen text, shown while its narration is spoken. The spans follow the share of letters
 * before and in each beat, the same pacing the captions are timed with.
 */
export function beatTitles(script: Script, durationSeconds: number): Caption[] {
  const total = letters(script.narration);
  if (total === 0) return [];
  let offset = letters(script.hook);
  const titles: Caption[] = [];
  for (const beat of script.beats) {
    const size = letters(beat.narration);
    const start = (offset / total) * durationSeconds;
    const end = ((offset + size) / total) * durationSeconds;
    offset += size;
    if (end - start >= 0.3 && narrationWords(beat.onScreenText).length > 0) {
      titles.push({ start: round3(start), end: round3(end), text: beat.onScreenText, style: 'title' });
    }
  }
  return titles;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

export function builtinMedia(config: Config['content'], logger: Logger): MediaStages {
  const tools = () => findMediaTools(config.tools, logger);
  return {
    name: 'builtin',
    generate: async ({ contentId, script, dir, wordsPerMinute, signal }) => {
      const t = await tools();
      await fs.mkdir(dir, { recursive: true });
      const voice = await synthesizeVoice(t, script.narration, path.join(dir, 'voice.wav'), {
        wordsPerMinute: clampRate(wordsPerMinute),
        signal,
      });
      const background = await makeBackground(t, {
        durationSeconds: voice.durationSeconds,
        outFile: path.join(dir, 'background.mp4'),
        // The same content gets the same scenes (or clips) when a stage is run again.
        seed: contentId,
        library: config.mediaLibrary,
        signal,
      });
      return { voice, background };
    },
    assemble: async ({ script, assets, outFile, signal }) => {
      const t = await tools();
      const voice = assets.voice as VoiceTrack;
      const background = assets.background as Background;
      if (!(voice.durationSeconds > 0) || !(background.durationSeconds > 0)) {
        throw new Error('the voice-over or background has no duration: retry from generating');
      }
      await Promise.all([fs.access(voice.file), fs.access(background.file)]).catch(() => {
        throw new Error('the voice-over or background file is gone: retry from generating');
      });
      const captions = timeCaptions(script.narration, voice.durationSeconds);
      const rendered = await renderVideo(t, {
        background,
        voice,
        captions: [...captions, ...beatTitles(script, voice.durationSeconds)],
        outFile,
        subtitlesFile: path.join(path.dirname(outFile), 'captions.ass'),
        signal,
      });
      return {
        outputPath: rendered.file,
        durationSeconds: rendered.durationSeconds,
        captions,
        details: {
          renderMs: Math.round(rendered.elapsedMs),
          width: rendered.width,
          height: rendered.height,
          subtitles: rendered.subtitlesFile,
          bytes: (await fs.stat(rendered.file)).size,
          ffmpeg: t.versions.ffmpeg,
          voice: voice.kind,
          background: background.kind,
        },
      };
    },
    check: async ({
      file,
      script,
      assets,
      captions,
      minSeconds,
      maxSeconds,
      blackFrameMaxSeconds,
      signal,
    }) => {
      const t = await tools();
      return checkQuality(t, file, {
        narration: script.narration,
        captions: captions.filter((c) => c.style !== 'title'),
        minDurationSeconds: minSeconds,
        maxDurationSeconds: maxSeconds,
        blackFrameMaxSeconds,
        silentVoice: assets.voice.kind === 'silent',
        signal,
      });
    },
  };
}
