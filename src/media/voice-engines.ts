// The built-in voices and the fallback between them. espeak: espeak-ng (voice.ts), offline. openai: any
// endpoint speaking OpenAI's text-to-speech API (hosted, or self-hosted such as Kokoro-FastAPI or LocalAI):
//
//   POST {base}/audio/speech  {model, input, voice, speed, response_format}  →  the audio bytes
//   https://platform.openai.com/docs/api-reference/audio/createSpeech
//
// Its answers are cached on disk by (endpoint, model, voice, speed, format, text), so a production retried
// after a later stage failed does not pay for the same narration twice. The API key goes only into the
// Authorization header: never into an error, a log line, an event or the cache key.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { invalidInput } from '../errors.ts';
import type { MediaNotice, VoiceEngine } from '../plugins/media-stages.ts';
import { writeAtomically } from './files.ts';
import type { VoiceChoice } from './media-policy.ts';
import { probeDuration } from './probe.ts';
import { runTool } from './run-tool.ts';
import type { MediaTools } from './tools.ts';
import { speakable, synthesizeVoice, type VoiceTrack } from './voice.ts';

export interface SpeechEndpoint {
  url: string | undefined;
  apiKey: string | undefined;
  timeoutMs: number;
}

/** OpenAI's limit on `input`. */
const MAX_INPUT = 4096;

export function espeakVoice(tools: () => Promise<MediaTools>): VoiceEngine {
  return {
    name: 'espeak',
    // A voice's speed scales the policy's words per minute, within espeak-ng's 80–450.
    speak: async ({ text, choice, wordsPerMinute, outFile, signal }) =>
      synthesizeVoice(await tools(), text, outFile, {
        voice: choice.voice,
        wordsPerMinute: Math.min(450, Math.max(80, Math.round(wordsPerMinute * (choice.speed ?? 1)))),
        signal,
      }),
  };
}

export function speechUrl(base: string): string {
  const trimmed = base.replace(/\/+$/, '');
  return trimmed.endsWith('/audio/speech') ? trimmed : `${trimmed}/audio/speech`;
}

export function openaiVoice(
  tools: () => Promise<MediaTools>,
  endpoint: SpeechEndpoint,
  cacheDir: string,
): VoiceEngine {
  return {
    name: 'openai',
    speak: async ({ text, choice, outFile, signal, wordsPerMinute }) => {
      if (!endpoint.url) throw new Error('SOVI_TTS_URL is not set, so no openai voice can speak');
      const input = speakable(text);
      if (input.length === 0) throw invalidInput('narration', 'the narration has no words to speak');
      if (input.length > MAX_INPUT) {
        throw new Error(
          `the narration is ${input.length} characters; the speech API takes at most ${MAX_INPUT}`,
        );
      }
      const request = {
        model: choice.model ?? 'tts-1',
        input,
        voice: choice.voice,
        speed: choice.speed ?? 1,
        response_format: choice.format ?? 'mp3',
      };
      const url = speechUrl(endpoint.url);
      const key = createHash('sha256')
        .update(JSON.stringify([url, request]))
        .digest('hex');
      const cached = path.join(cacheDir, 'voice', `${key}.${request.response_format}`);
      let hit = true;
      try {
        await fs.access(cached);
      } catch {
        hit = false;
        const audio = await requestSpeech(
          url,
          endpoint.apiKey,
          request,
          choice.timeoutMs ?? endpoint.timeoutMs,
          signal,
        );
        await writeAtomically(cached, (temp) => fs.writeFile(temp, audio));
      }
      const t = await tools();
      const file = path.resolve(outFile);
      return writeAtomically(file, async (temp) => {
        // pcm is raw 24 kHz 16-bit little-endian mono: ffmpeg must be told so.
        const raw = request.response_format === 'pcm' ? ['-f', 's16le', '-ar', '24000', '-ac', '1'] : [];
        await runTool(
          t.ffmpeg,
          [
            ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...raw, '-i', cached],
            ...['-ac', '1', '-ar', '44100', '-c:a', 'pcm_s16le', '-f', 'wav', temp],
          ],
          { signal, timeoutMs: 120_000 },
        ).catch((err: unknown) => {
          // A cached answer that does not decode is worth nothing: the next attempt asks again.
          void fs.rm(cached, { force: true });
          throw err;
        });
        const durationSeconds = await probeDuration(t, temp, signal);
        return {
          file,
          durationSeconds,
          kind: 'openai' as const,
          wordsPerMinute,
          voice: choice.voice,
          model: request.model,
          cached: hit,
        };
      });
    },
  };
}

async function requestSpeech(
  url: string,
  apiKey: string | undefined,
  body: Record<string, unknown>,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<Buffer> {
  let response: Response;
  let bytes: Buffer;
  try {
    response = await fetch(url, {
      method: 'POST',
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      headers: {
        'content-type': 'application/json',
        ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
      },
      body: JSON.stringify(body),
    });
    // The deadline covers the whole answer, not only its headers.
    bytes = Buffer.from(await response.arrayBuffer());
  } catch (err) {
    if (signal.aborted) throw err;
    const timedOut = err instanceof Error && err.name === 'TimeoutError';
    throw new Error(
      timedOut
        ? `the speech endpoint did not answer within ${timeoutMs} ms`
        : `the speech endpoint could not be reached (${err instanceof Error ? err.message : String(err)})`,
      { cause: err },
    );
  }
  if (!response.ok) {
    // {"error": {"message", "type", "code"}}; a message may quote part of the key: the key is cut out.
    let said: string;
    try {
      said = String(
        (JSON.parse(bytes.toString('utf8')) as { error?: { message?: string } }).error?.message ?? '',
      );
    } catch {
      said = '';
    }
    if (apiKey) said = said.split(apiKey).join('[key]');
    throw new Error(
      `the speech endpoint answered HTTP ${response.status}${said ? `: ${said.slice(0, 200)}` : ''}`,
    );
  }
  if (bytes.length === 0 || /json|text/.test(response.headers.get('content-type') ?? '')) {
    throw new Error('the speech endpoint answered without audio');
  }
  return bytes;
}

/**
 * Speaks with the first voice of the list that works. A voice that fails (or is slower than its timeout)
 * gives way to the next, with a notice; the caller's abort stops at once. When every voice failed, the last
 * error is thrown: the production fails and can be retried.
 */
export async function speakWithFallback(
  engines: ReadonlyMap<string, VoiceEngine>,
  choices: readonly VoiceChoice[],
  input: { text: string; wordsPerMinute: number; outFile: string; signal: AbortSignal },
  notify: (notice: MediaNotice) => Promise<void>,
): Promise<VoiceTrack> {
  if (choices.length === 0) throw invalidInput('voices', 'the media policy lists no voice');
  const fellBack: { engine: string; voice: string; reason: string }[] = [];
  let last: unknown;
  for (const [i, choice] of choices.entries()) {
    const engine = engines.get(choice.engine);
    try {
      if (engine === undefined) throw new Error(`there is no voice engine named ${choice.engine}`);
      const track = await engine.speak({ ...input, choice });
      return fellBack.length === 0 ? track : { ...track, fellBack };
    } catch (err) {
      if (input.signal.aborted) throw err;
      last = err;
      const reason = err instanceof Error ? err.message : String(err);
      fellBack.push({ engine: choice.engine, voice: choice.voice, reason });
      const next = choices[i + 1];
      await notify({
        eventType: 'voice_fallback',
        message:
          `the ${choice.engine} voice ${choice.voice} failed (${reason})` +
          (next ? `; trying ${next.engine} ${next.voice}` : '; no voice left to try'),
        context: {
          engine: choice.engine,
          voice: choice.voice,
          next: next ? `${next.engine}:${next.voice}` : null,
        },
      });
    }
  }
  throw last instanceof Error ? last : new Error(String(last));
}
