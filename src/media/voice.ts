// The voice-over: espeak-ng reading the narration into a WAV file when there is an espeak-ng (a binary, or
// the npm package's WebAssembly build), otherwise a silent track as long as the narration would take to read.
// The track says which it is (`kind`), so the caller can record it with the video's assets.
import fs from 'node:fs/promises';
import path from 'node:path';
import { invalidInput, SoviError } from '../errors.ts';
import { narrationWords } from './captions.ts';
import { writeAtomically } from './files.ts';
import { probeDuration } from './probe.ts';
import { runTool } from './run-tool.ts';
import type { MediaTools } from './tools.ts';

export interface VoiceTrack {
  file: string;
  durationSeconds: number;
  kind: 'espeak' | 'silent' | 'openai';
  wordsPerMinute: number;
  /** The voice that spoke (espeak-ng's or the endpoint's); null for a silent track. */
  voice: string | null;
  /** openai: the model, and whether the audio came from the cache instead of a paid request. */
  model?: string;
  cached?: boolean;
  /** Voices tried before this one, and why each gave way. */
  fellBack?: { engine: string; voice: string; reason: string }[];
}

export interface VoiceOptions {
  /** Speaking rate, 80–450 (espeak-ng's range). Default 160: a little slower than espeak-ng's 175. */
  wordsPerMinute?: number;
  /** An espeak-ng voice, e.g. en-us (default), en-gb, de. */
  voice?: string;
  signal?: AbortSignal;
}

const DEFAULT_WPM = 160;
const DEFAULT_VOICE = 'en-us';
/** A silent track is never shorter than this, whatever the narration. */
const MIN_SILENT_SECONDS = 1;

export async function synthesizeVoice(
  tools: MediaTools,
  narration: string,
  outFile: string,
  options: VoiceOptions = {},
): Promise<VoiceTrack> {
  const wordsPerMinute = options.wordsPerMinute ?? DEFAULT_WPM;
  if (!Number.isInteger(wordsPerMinute) || wordsPerMinute < 80 || wordsPerMinute > 450) {
    throw invalidInput(
      'wordsPerMinute',
      `wordsPerMinute must be an integer from 80 to 450 (got ${wordsPerMinute})`,
    );
  }
  const voice = options.voice ?? DEFAULT_VOICE;
  if (!/^[A-Za-z0-9][A-Za-z0-9_+-]{0,40}$/.test(voice)) {
    throw invalidInput(
      'voice',
      `voice must be an espeak-ng voice name such as en-us (got ${JSON.stringify(voice)})`,
    );
  }
  const text = speakable(narration);
  if (narrationWords(text).length === 0)
    throw invalidInput('narration', 'the narration has no words to speak');
  const file = path.resolve(outFile);
  if (tools.espeakCommand === null) return silentTrack(tools, text, file, wordsPerMinute, options.signal);

  const espeak = tools.espeakCommand;
  return writeAtomically(file, async (temp) => {
    const textFile = `${temp}.txt`;
    await fs.writeFile(textFile, text);
    try {
      await runTool(
        espeak.command,
        [...espeak.args, '-v', voice, '-s', String(wordsPerMinute), '-f', textFile, '-w', temp],
        { signal: options.signal, timeoutMs: 120_000 },
      );
    } catch (err) {
      if (err instanceof SoviError && /voice does not exist/i.test(String(err.details.stderr))) {
        throw invalidInput('voice', `espeak-ng has no voice ${voice}`);
      }
      throw err;
    } finally {
      await fs.rm(textFile, { force: true });
    }
    const durationSeconds = await probeDuration(tools, temp, options.signal);
    return { file, durationSeconds, kind: 'espeak' as const, wordsPerMinute, voice };
  });
}

/** Silence for as long as the narration takes to read at the given rate. */
async function silentTrack(
  tools: MediaTools,
  text: string,
  file: string,
  wordsPerMinute: number,
  signal: AbortSignal | undefined,
): Promise<VoiceTrack> {
  const durationSeconds = Math.max(
    MIN_SILENT_SECONDS,
    Math.round((narrationWords(text).length * 60_000) / wordsPerMinute) / 1000,
  );
  return writeAtomically(file, async (temp) => {
    await runTool(
      tools.ffmpeg,
      [
        ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-y'],
        ...['-f', 'lavfi', '-i', 'anullsrc=r=44100:cl=mono'],
        ...['-t', String(durationSeconds), '-c:a', 'pcm_s16le', '-f', 'wav', temp],
      ],
      { signal, timeoutMs: 60_000 },
    );
    return { file, durationSeconds, kind: 'silent' as const, wordsPerMinute, voice: null };
  });
}

/**
 * What espeak-ng should read: no links (it would spell them out), no emoji (it reads their names: "grinning
 * face"), hashtags and mentions as plain words.
 */
export function speakable(narration: string): string {
  return narration
    .replace(/https?:\/\/\S+/g, ' ')
    .replace(/\p{Extended_Pictographic}|\u{FE0F}|\u{200D}/gu, ' ')
    .replace(/(^|\s)[#@](?=[\p{L}\p{N}])/gu, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}
