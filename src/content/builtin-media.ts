// The media stages sovi ships: a voice-over from the niche's voices (espeak-ng offline, or an OpenAI-compatible
// speech endpoint, falling back in the policy's order), a background of generated scenes or of clips from
// SOVI_MEDIA_LIBRARY, music from SOVI_MUSIC_LIBRARY ducked under the voice, the sound normalised to the
// policy's loudness in two passes, captions timed from the voice's own pauses in the niche's style and burned
// in with the script's on-screen text, one ffmpeg encode, and measured quality checks.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { captionOverflow, narrationWords, timeCaptions, type Caption } from '../media/captions.ts';
import { applyFilter, measureLoudness, prepareLoudness, type LoudnessMeasure } from '../media/loudness.ts';
import {
  mediaPolicyFor,
  voicesFor,
  type NicheMediaOverrides,
  type NicheMediaPolicy,
} from '../media/media-policy.ts';
import {
  measureMusicLevels,
  mixAudio,
  musicLevelChecks,
  pickTrack,
  readMusicLibrary,
  type MusicLevels,
  type MusicTrack,
} from '../media/music.ts';
import { checkQuality, type QualityCheck } from '../media/quality.ts';
import { renderVideo } from '../media/render.ts';
import {
  alignWords,
  captionsFromWords,
  detectSpeech,
  speechCoverage,
  type Span,
  type TimedWord,
} from '../media/speech-timing.ts';
import { findMediaTools, type MediaTools } from '../media/tools.ts';
import { espeakVoice, openaiVoice, speakWithFallback } from '../media/voice-engines.ts';
import { composeBeats, makeBackground, type Background, type BeatVisual } from '../media/visuals.ts';
import { libraryVisuals, pexelsVisuals, readKeywordLibrary } from '../media/visual-sources.ts';
import { isHashtagWord } from './post-text.ts';
import { type VoiceTrack } from '../media/voice.ts';
import type { Script } from './content-model.ts';
import { loadContentPolicy } from './content-policy.ts';
import type { MediaNotice, MediaStages, VisualSource, VoiceEngine } from '../plugins/media-stages.ts';

/** espeak-ng speaks from 80 to 450 words per minute. */
const clampRate = (wpm: number) => Math.min(450, Math.max(80, Math.round(wpm)));

const letters = (text: string) => text.replace(/[^\p{L}\p{N}]/gu, '').length;

/**
 * Each beat's on-screen text, shown while its narration is spoken: from its first word until the next beat's
 * (or the call to action's) first word, when the words were aligned to the voice; otherwise by the share of
 * letters before and in each beat, the pacing the letter-count captions are timed with.
 */
export function beatTitles(script: Script, durationSeconds: number, words?: readonly TimedWord[]): Caption[] {
  const titles: Caption[] = [];
  for (const [i, { start, end }] of beatTimes(script, durationSeconds, words).entries()) {
    const beat = script.beats[i]!;
    if (end - start >= 0.3 && narrationWords(beat.onScreenText).length > 0) {
      titles.push({ start: round3(start), end: round3(end), text: beat.onScreenText, style: 'title' });
    }
  }
  return titles;
}

/**
 * Where each beat's narration is spoken: from its first word's start to the next part's (beat's or call to
 * action's) first word's start. From the words aligned to the voice when they are the script's (hook, beats and
 * call to action, in that order); otherwise by each part's share of the narration's letters.
 */
export function beatTimes(script: Script, durationSeconds: number, words?: readonly TimedWord[]): Span[] {
  const parts = [script.hook, ...script.beats.map((b) => b.narration), script.cta].map(narrationWords);
  const flat = parts.flat();
  const aligned =
    words !== undefined &&
    words.length === flat.length &&
    words.every((w, i) => w.text === flat[i]) &&
    script.beats.every((_, i) => parts[i + 1]!.length > 0);
  if (aligned) {
    // The index of each part's first word; the call to action's (or the end) closes the last beat.
    const firsts: number[] = [];
    let at = 0;
    for (const p of parts) {
      firsts.push(at);
      at += p.length;
    }
    const startOf = (part: number) =>
      firsts[part]! < words.length && parts[part]!.length > 0 ? words[firsts[part]!]!.start : durationSeconds;
    return script.beats.map((_, i) => ({ start: startOf(i + 1), end: startOf(i + 2) }));
  }
  const total = letters(script.narration);
  if (total === 0) return script.beats.map(() => ({ start: 0, end: 0 }));
  let offset = letters(script.hook);
  return script.beats.map((beat) => {
    const size = letters(beat.narration);
    const start = (offset / total) * durationSeconds;
    offset += size;
    return { start, end: (offset / total) * durationSeconds };
  });
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

export interface BuiltinMediaOptions {
  /** The content policy's media section; read from SOVI_CONTENT_POLICY_FILE otherwise. */
  media?: Record<string, NicheMediaOverrides>;
  /** Extra or replacement voice engines, by name. */
  voices?: VoiceEngine[];
  /** Extra or replacement visual sources, by name. */
  visuals?: VisualSource[];
}

/** What assemble measured, kept in the manifest and read back by check. */
interface AudioDetails {
  loudness: {
    target: NicheMediaPolicy['loudness'];
    /** The mix as made, and the voice alone: how much the music adds to the voice. */
    mix: LoudnessMeasure;
    voice: LoudnessMeasure;
    limitedDb: number;
  };
  music: (Omit<MusicTrack, 'file'> & { volumeDb: number; levels: MusicLevels }) | null;
  speech: Span[];
  captionTiming: 'speech' | 'letters';
}

export function builtinMedia(
  config: Config['content'],
  logger: Logger,
  options: BuiltinMediaOptions = {},
): MediaStages {
  const tools = () => findMediaTools(config.tools, logger);
  const mediaSection = () => options.media ?? loadContentPolicy(config.policyFile).media;
  const policyOf = (nicheSlug: string | null | undefined) =>
    mediaPolicyFor(mediaSection(), nicheSlug ?? null);
  const extraVisuals = new Map((options.visuals ?? []).map((v) => [v.name, v]));
  /** The policy's visual sources that can answer here, in its order ('generated' is the fallback). */
  const visualSources = async (policy: NicheMediaPolicy): Promise<VisualSource[]> => {
    const found: VisualSource[] = [];
    for (const name of policy.visuals) {
      const extra = extraVisuals.get(name);
      if (extra) found.push(extra);
      else if (name === 'library' && config.mediaLibrary && (await readKeywordLibrary(config.mediaLibrary)))
        found.push(libraryVisuals(config.mediaLibrary));
      else if (name === 'pexels' && config.pexels.apiKey) found.push(pexelsVisuals(config.pexels));
    }
    return found;
  };
  const engines = new Map<string, VoiceEngine>([
    ['espeak', espeakVoice(tools)],
    ['openai', openaiVoice(tools, config.tts, config.cacheDir)],
    ...(options.voices ?? []).map((v) => [v.name, v] as const),
  ]);
  return {
    name: 'builtin',
    generate: async ({ contentId, script, nicheSlug, dir, wordsPerMinute, signal, notify }) => {
      const t = await tools();
      const policy = policyOf(nicheSlug);
      await fs.mkdir(dir, { recursive: true });
      const voice = await speakWithFallback(
        engines,
        voicesFor(policy),
        {
          text: script.narration,
          wordsPerMinute: clampRate(wordsPerMinute),
          outFile: path.join(dir, 'voice.wav'),
          signal,
        },
        notify ?? (async (notice) => logger.warn(notice.context, notice.message)),
      );
      const sources = await visualSources(policy);
      const say = notify ?? (async (notice: MediaNotice) => logger.warn(notice.context, notice.message));
      // Each beat's clip starts where the voice starts saying the beat (when speech is found in it).
      const spans = async () =>
        beatSpans(
          script,
          voice.durationSeconds,
          (await speechOf(t, script.narration, voice, signal)).words ?? undefined,
        );
      // The same content gets the same scenes (or clips) when a stage is run again.
      const background =
        sources.length === 0
          ? await makeBackground(t, {
              durationSeconds: voice.durationSeconds,
              outFile: path.join(dir, 'background.mp4'),
              seed: contentId,
              library: config.mediaLibrary,
              signal,
            })
          : await composeBeats(t, {
              beats: await pickVisuals(sources, await spans(), dir, signal, say),
              generated: await makeBackground(t, {
                durationSeconds: voice.durationSeconds,
                outFile: path.join(dir, 'generated.mp4'),
                seed: contentId,
                signal,
              }),
              outFile: path.join(dir, 'background.mp4'),
              signal,
            });
      return { voice, background };
    },
    assemble: async ({ contentId, script, nicheSlug, assets, outFile, signal }) => {
      const t = await tools();
      const policy = policyOf(nicheSlug);
      const voice = assets.voice as VoiceTrack;
      const background = assets.background as Background;
      if (!(voice.durationSeconds > 0) || !(background.durationSeconds > 0)) {
        throw new Error('the voice-over or background has no duration: retry from generating');
      }
      await Promise.all([fs.access(voice.file), fs.access(background.file)]).catch(() => {
        throw new Error('the voice-over or background file is gone: retry from generating');
      });
      const dir = path.dirname(outFile);
      const maxWords = policy.captions.wordsPerLine;
      // Captions from the voice's own pauses; a silent track has none, nor one too quiet to find speech in:
      // its captions are estimated from the letters.
      const { speech, words } = await speechOf(t, script.narration, voice, signal);
      const captions =
        words === null
          ? timeCaptions(script.narration, voice.durationSeconds, { maxWordsPerCaption: maxWords })
          : captionsFromWords(script.narration, words, voice.durationSeconds, maxWords);
      const captionTiming: AudioDetails['captionTiming'] = words === null ? 'letters' : 'speech';
      const track = await chooseMusic(config.musicLibrary, policy, contentId);
      const target = policy.loudness;
      const voiceLoudness = await measureLoudness(t, voice.file, target, signal);
      // The music's level is set against the voice's, whatever loudness the track was mastered at.
      const musicGainDb =
        track === null
          ? 0
          : voiceLoudness.integrated +
            policy.music.volumeDb -
            (await measureLoudness(t, track.file, target, signal)).integrated;
      const stems = path.join(dir, 'mix-stems.f32');
      const mix = await mixAudio(t, {
        voice: voice.file,
        durationSeconds: voice.durationSeconds,
        music: track && { file: track.file, volumeDb: round(musicGainDb, 2) },
        outFile: path.join(dir, 'mix.wav'),
        stemsFile: stems,
        signal,
      });
      // The voice inside the mix against the voice alone, where it speaks (all of it when no speech was found).
      const levels =
        track &&
        (await measureMusicLevels(
          stems,
          speech.length > 0 ? speech : [{ start: 0, end: voice.durationSeconds }],
        ));
      if (track) await fs.rm(stems, { force: true });
      const sound = await prepareLoudness(t, mix, target, signal);
      const rendered = await renderVideo(t, {
        background,
        voice,
        audioFile: sound.file,
        audioFilter: applyFilter(target, sound.measured),
        captionStyle: policy.captions,
        captions: [...captions, ...beatTitles(script, voice.durationSeconds, words ?? undefined)],
        outFile,
        subtitlesFile: path.join(dir, 'captions.ass'),
        signal,
      });
      const audio: AudioDetails = {
        loudness: { target, mix: sound.before, voice: voiceLoudness, limitedDb: sound.limitedDb },
        music: track && {
          id: track.id,
          title: track.title,
          mood: track.mood,
          tempo: track.tempo,
          licence: track.licence,
          attribution: track.attribution,
          volumeDb: policy.music.volumeDb,
          levels: levels!,
        },
        speech,
        captionTiming,
      };
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
          voiceName: voice.voice,
          background: background.kind,
          ...audio,
          attributionInCaption:
            track !== null && policy.music.attributionInCaption && track.attribution !== ''
              ? track.attribution
              : null,
        },
      };
    },
    check: async ({
      file,
      script,
      nicheSlug,
      assets,
      captions,
      details,
      minSeconds,
      maxSeconds,
      blackFrameMaxSeconds,
      signal,
    }) => {
      const t = await tools();
      const policy = policyOf(nicheSlug);
      const spoken = captions.filter((c) => c.style !== 'title');
      const audio = details as Partial<AudioDetails> | undefined;
      const report = await checkQuality(t, file, {
        narration: script.narration,
        captions: spoken,
        minDurationSeconds: minSeconds,
        maxDurationSeconds: maxSeconds,
        blackFrameMaxSeconds,
        silentVoice: assets.voice.kind === 'silent',
        loudness: policy.loudness,
        signal,
      });
      const extra: QualityCheck[] = [
        {
          name: 'caption_overflow',
          ...passIf(captionOverflow(spoken, policy.captions, { width: 1080, height: 1920 }), (n) => n === 0),
          expected: 'no caption beyond the safe area',
          weight: 0.05,
        },
      ];
      const visuals = (assets.background as Background).visuals;
      if (visuals) {
        const ids = visuals.flatMap((v) => (v.id === null ? [] : [`${v.source}:${v.id}`]));
        extra.push({
          name: 'duplicate_clips',
          ...passIf(ids.length - new Set(ids).size, (n) => n === 0),
          expected: 'no clip shown twice',
          weight: 0.05,
        });
        const shown = visuals
          .map((v) => (v.source === null ? 'generated' : `${v.source}:${v.id}`))
          .join(', ');
        extra.push({
          name: 'visual_sources',
          ...passIf(shown, () => visuals.every((v) => v.source === null || (v.licence ?? '').trim() !== '')),
          expected: 'every clip names its source and licence',
          weight: 0.02,
        });
      }
      if (audio?.speech && audio.speech.length > 0) {
        const coverage = round(speechCoverage(audio.speech, spoken), 3);
        extra.push({
          name: 'speech_coverage',
          ...passIf(coverage, (c) => c >= 0.95),
          expected: '≥ 0.95 of the speaking time under a caption',
          weight: 0.05,
        });
      }
      if (audio?.music) {
        // Measured in assemble from the mix's parts: the voice inside the mix against the voice alone over its
        // speech, and how far the music ducks under it.
        if (audio.music.levels) extra.push(...musicLevelChecks(audio.music.levels));
        extra.push({
          name: 'music_licence',
          ...passIf(audio.music.licence, (l) => l.trim() !== ''),
          expected: 'the track names its licence',
          weight: 0.02,
        });
      }
      const checks = [...report.checks, ...extra];
      const total = checks.reduce((sum, c) => sum + c.weight, 0);
      const passedWeight = checks.reduce((sum, c) => sum + (c.passed ? c.weight : 0), 0);
      return { score: round(passedWeight / total, 4), checks };
    },
  };
}

/**
 * Each beat's stretch of the voice-over (from the words aligned to the voice when given, else by its share of
 * the letters, as the on-screen titles are timed): the hook joins the first beat and the call to action the
 * last. Keywords: the beat's words worth searching for.
 */
export function beatSpans(
  script: Script,
  durationSeconds: number,
  words?: readonly TimedWord[],
): Omit<BeatVisual, 'source' | 'id' | 'licence' | 'url' | 'file'>[] {
  if (script.beats.length === 0 || letters(script.narration) === 0)
    return [{ start: 0, end: durationSeconds, keywords: keywordsOf(script.title) }];
  const times = beatTimes(script, durationSeconds, words);
  const last = script.beats.length - 1;
  return script.beats.map((b, i) => ({
    start: i === 0 ? 0 : round(times[i]!.start, 3),
    end: i === last ? durationSeconds : round(times[i + 1]!.start, 3),
    keywords: keywordsOf(`${b.onScreenText} ${b.narration}`),
  }));
}

const keywordsOf = (text: string): string[] => [
  ...new Set(
    text
      .toLowerCase()
      .replace(/['’]/g, '')
      .split(/[^\p{L}\p{N}]+/u)
      .filter(isHashtagWord),
  ),
];

/** One clip per beat, each source tried in the policy's order; none fits: the generated scene. */
async function pickVisuals(
  sources: VisualSource[],
  spans: ReturnType<typeof beatSpans>,
  dir: string,
  signal: AbortSignal,
  notify: (notice: MediaNotice) => Promise<void>,
): Promise<BeatVisual[]> {
  const used = new Set<string>();
  const failed = new Set<string>();
  const beats: BeatVisual[] = [];
  for (const span of spans) {
    let chosen: BeatVisual = { ...span, source: null, id: null, licence: null, url: null, file: null };
    for (const source of sources) {
      if (failed.has(source.name)) continue;
      try {
        const pick = await source.pick({
          keywords: span.keywords,
          seconds: span.end - span.start,
          exclude: used,
          dir,
          signal,
        });
        if (pick === null) continue;
        used.add(`${pick.source}:${pick.id}`);
        chosen = {
          ...span,
          source: pick.source,
          id: pick.id,
          licence: pick.licence,
          url: pick.url,
          file: pick.file,
        };
        break;
      } catch (err) {
        if (signal.aborted) throw err;
        // A source that fails once is not asked again for this video: the next source (or the scene) shows.
        failed.add(source.name);
        await notify({
          eventType: 'visual_source_failed',
          message: `the ${source.name} visual source failed (${err instanceof Error ? err.message : String(err)})`,
          context: { source: source.name },
        });
      }
    }
    beats.push(chosen);
  }
  return beats;
}

/** Where the voice speaks, and the narration's words aligned to it; none in a silent (or too quiet) track. */
async function speechOf(
  tools: MediaTools,
  narration: string,
  voice: VoiceTrack,
  signal: AbortSignal,
): Promise<{ speech: Span[]; words: TimedWord[] | null }> {
  if (voice.kind === 'silent') return { speech: [], words: null };
  const speech = await detectSpeech(tools, voice.file, voice.durationSeconds, signal);
  return { speech, words: speech.length === 0 ? null : alignWords(narration, speech) };
}

async function chooseMusic(
  library: string | undefined,
  policy: NicheMediaPolicy,
  seed: string,
): Promise<MusicTrack | null> {
  if (library === undefined || policy.music.mood === null) return null;
  return pickTrack(await readMusicLibrary(library), policy.music.mood, seed);
}

const passIf = <T extends number | string>(value: T, ok: (v: T) => boolean) => ({ value, passed: ok(value) });
const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
