// A local OpenAI-compatible text-to-speech server that answers with real audio: espeak-ng reads the input
// (at a rate following `speed`) and ffmpeg encodes it in the requested format. Written from
// https://platform.openai.com/docs/api-reference/audio/createSpeech :
//   POST /v1/audio/speech, Authorization: Bearer <key>, JSON {model, input (≤ 4096 chars), voice,
//   speed (0.25–4, default 1), response_format (mp3 | opus | aac | flac | wav | pcm, default mp3)};
//   200 with the audio bytes; errors as {"error": {"message", "type", "param", "code"}} (401 for a bad key,
//   400 for a bad request). pcm is raw 24 kHz signed 16-bit little-endian mono.
// Modes: 'ok'; 'error' (every request answers 500); 'slow' (answers only after `slowMs`).
// With libespeak-ng present, the audio comes from the library and espeak-ng's own word timings are kept per
// answer (`words`), the truth a test measures caption timing against; otherwise from the espeak-ng command.
import { once } from 'node:events';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { runTool } from '../../src/media/run-tool.ts';
import type { MediaTools } from '../../src/media/tools.ts';
import { espeakLibrary, speakWithWordTimes, type EspeakWord } from '../helpers/espeak-words.ts';

export interface SpeechServer {
  url: string;
  requests: {
    model: string;
    voice: string;
    speed: number;
    format: string;
    input: string;
    auth: string | null;
  }[];
  /** espeak-ng's word timings of each answer, in the order answered (empty without libespeak-ng). */
  words: EspeakWord[][];
  mode: 'ok' | 'error' | 'slow';
  slowMs: number;
  close(): Promise<void>;
}

const FORMATS: Record<string, { args: string[]; type: string }> = {
  mp3: { args: ['-c:a', 'libmp3lame', '-b:a', '64k', '-f', 'mp3'], type: 'audio/mpeg' },
  opus: { args: ['-c:a', 'libopus', '-b:a', '48k', '-f', 'ogg'], type: 'audio/ogg' },
  aac: { args: ['-c:a', 'aac', '-b:a', '64k', '-f', 'adts'], type: 'audio/aac' },
  flac: { args: ['-c:a', 'flac', '-f', 'flac'], type: 'audio/flac' },
  wav: { args: ['-c:a', 'pcm_s16le', '-f', 'wav'], type: 'audio/wav' },
  pcm: { args: ['-c:a', 'pcm_s16le', '-ar', '24000', '-ac', '1', '-f', 's16le'], type: 'audio/pcm' },
};

export async function startSpeechServer(tools: MediaTools, apiKey: string): Promise<SpeechServer> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-fake-tts-'));
  const espeak = tools.espeakCommand;
  if (espeak === null) throw new Error('the fake speech server needs espeak-ng');
  let n = 0;
  const error = (
    res: http.ServerResponse,
    status: number,
    message: string,
    type: string,
    param: string | null,
  ) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message, type, param, code: null } }));
  };
  const server = http.createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      if (req.method !== 'POST' || req.url !== '/v1/audio/speech') {
        return error(res, 404, `Invalid URL (${req.method} ${req.url})`, 'invalid_request_error', null);
      }
      const auth = req.headers.authorization ?? null;
      if (auth !== `Bearer ${apiKey}`) {
        return error(res, 401, 'Incorrect API key provided.', 'invalid_request_error', null);
      }
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        return error(
          res,
          400,
          'We could not parse the JSON body of your request.',
          'invalid_request_error',
          null,
        );
      }
      const { model, input, voice } = body;
      const speed = body.speed ?? 1;
      const format = body.response_format ?? 'mp3';
      if (typeof model !== 'string' || model === '')
        return error(res, 400, 'model is required', 'invalid_request_error', 'model');
      if (typeof input !== 'string' || input === '' || input.length > 4096) {
        return error(
          res,
          400,
          'input must be a string of 1 to 4096 characters',
          'invalid_request_error',
          'input',
        );
      }
      if (typeof voice !== 'string' || voice === '')
        return error(res, 400, 'voice is required', 'invalid_request_error', 'voice');
      if (typeof speed !== 'number' || speed < 0.25 || speed > 4) {
        return error(res, 400, 'speed must be from 0.25 to 4', 'invalid_request_error', 'speed');
      }
      if (typeof format !== 'string' || !(format in FORMATS)) {
        return error(
          res,
          400,
          `response_format ${JSON.stringify(format)} is not supported`,
          'invalid_request_error',
          'response_format',
        );
      }
      fake.requests.push({ model, voice, speed, format, input, auth });
      if (fake.mode === 'error')
        return error(
          res,
          500,
          'The server had an error while processing your request.',
          'server_error',
          null,
        );
      if (fake.mode === 'slow') {
        const closed = once(res, 'close');
        await Promise.race([new Promise((r) => setTimeout(r, fake.slowMs)), closed]);
        if (res.destroyed) return;
      }
      const id = ++n;
      const text = path.join(dir, `${id}.txt`);
      const wav = path.join(dir, `${id}.wav`);
      const rate = Math.round(175 * speed);
      if (espeakLibrary() !== null) {
        fake.words.push((await speakWithWordTimes(input, wav, { wordsPerMinute: rate })).words);
      } else {
        await fs.writeFile(text, input);
        await runTool(espeak.command, [
          ...espeak.args,
          '-v',
          'en-us',
          '-s',
          String(rate),
          '-f',
          text,
          '-w',
          wav,
        ]);
      }
      const { args, type } = FORMATS[format]!;
      const out = path.join(dir, `${id}.out`);
      await runTool(tools.ffmpeg, [
        '-hide_banner',
        '-nostdin',
        '-loglevel',
        'error',
        '-y',
        '-i',
        wav,
        ...args,
        out,
      ]);
      const audio = await fs.readFile(out);
      res.writeHead(200, { 'content-type': type, 'content-length': audio.length });
      res.end(audio);
    })().catch((err: unknown) => {
      if (!res.headersSent) error(res, 500, String(err), 'server_error', null);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const fake: SpeechServer = {
    url: `http://127.0.0.1:${port}/v1`,
    requests: [],
    words: [],
    mode: 'ok',
    slowMs: 60_000,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
  return fake;
}
