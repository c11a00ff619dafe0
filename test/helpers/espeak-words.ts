// espeak-ng's own word timings, for measuring how well captions follow speech. The espeak-ng command line
// cannot print them, so this calls the library (libespeak-ng, which the espeak-ng package installs) through
// koffi: synthesis in synchronous mode hands back the samples together with a WORD event (its text position
// and its audio position in ms) as each word starts. Both go out: the WAV to align, the words to compare.
import fs from 'node:fs/promises';
import koffi, { type TypeObject } from 'koffi';
import type { Caption } from '../../src/media/captions.ts';

export interface EspeakWord {
  /** The word as written in the text. */
  text: string;
  /** Seconds from the start of the audio. */
  start: number;
}

export interface EspeakSpeech {
  file: string;
  sampleRate: number;
  durationSeconds: number;
  words: EspeakWord[];
}

interface Library {
  initialize: (output: number, buflength: number, path: null, options: number) => number;
  setCallback: (cb: unknown) => void;
  setVoice: (name: string) => number;
  setParameter: (parameter: number, value: number, relative: number) => number;
  synth: (
    text: Buffer,
    size: number,
    position: number,
    positionType: number,
    end: number,
    flags: number,
    uid: null,
    user: null,
  ) => number;
  synchronize: () => number;
  proto: TypeObject;
}

let library: Library | null | undefined;

/** The library, or null when this machine has no libespeak-ng (the test then says it is skipped). */
export function espeakLibrary(): Library | null {
  if (library !== undefined) return library;
  try {
    const lib = koffi.load('libespeak-ng.so.1');
    const proto = koffi.proto('int SoviSynthCallback(void *wav, int numsamples, void *events)');
    library = {
      initialize: lib.func('int espeak_Initialize(int output, int buflength, const char *path, int options)'),
      setCallback: lib.func('void espeak_SetSynthCallback(SoviSynthCallback *cb)'),
      setVoice: lib.func('int espeak_SetVoiceByName(const char *name)'),
      setParameter: lib.func('int espeak_SetParameter(int parameter, int value, int relative)'),
      synth: lib.func(
        'int espeak_Synth(const void *text, size_t size, unsigned int position, int position_type, ' +
          'unsigned int end_position, unsigned int flags, unsigned int *uid, void *user_data)',
      ),
      synchronize: lib.func('int espeak_Synchronize()'),
      proto,
    };
  } catch {
    library = null;
  }
  return library;
}

/** espeak_EVENT on a 64-bit machine: six ints, a pointer, an 8-byte union. */
const EVENT_SIZE = 40;
const EVENT_WORD = 1;
const EVENT_LIST_TERMINATED = 0;
const AUDIO_OUTPUT_SYNCHRONOUS = 2;
const INITIALIZE_DONT_EXIT = 0x8000;
const RATE = 1;
const CHARS_UTF8 = 1;
const POS_CHARACTER = 1;

export async function speakWithWordTimes(
  text: string,
  outFile: string,
  options: { voice?: string; wordsPerMinute?: number } = {},
): Promise<EspeakSpeech> {
  const lib = espeakLibrary();
  if (lib === null) throw new Error('libespeak-ng.so.1 is not installed');
  const sampleRate = lib.initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, null, INITIALIZE_DONT_EXIT);
  if (!(sampleRate > 0)) throw new Error(`espeak_Initialize failed (${sampleRate})`);
  if (lib.setVoice(options.voice ?? 'en-us') !== 0) throw new Error('espeak-ng has no such voice');
  lib.setParameter(RATE, options.wordsPerMinute ?? 165, 0);
  const chunks: Int16Array[] = [];
  const starts: { position: number; length: number; ms: number }[] = [];
  const callback = koffi.register((wav: unknown, count: number, events: unknown) => {
    if (count > 0 && wav !== null)
      chunks.push(Int16Array.from(koffi.decode(wav, 'int16_t', count) as number[]));
    for (let i = 0; i < 10_000; i++) {
      const type = koffi.decode(events, i * EVENT_SIZE, 'int') as number;
      if (type === EVENT_LIST_TERMINATED) break;
      // espeak-ng also marks some clause starts as empty words (length 0): not words of the text.
      if (type === EVENT_WORD && (koffi.decode(events, i * EVENT_SIZE + 12, 'int') as number) > 0) {
        starts.push({
          position: koffi.decode(events, i * EVENT_SIZE + 8, 'int') as number,
          length: koffi.decode(events, i * EVENT_SIZE + 12, 'int') as number,
          ms: koffi.decode(events, i * EVENT_SIZE + 16, 'int') as number,
        });
      }
    }
    return 0;
  }, koffi.pointer(lib.proto));
  try {
    lib.setCallback(callback);
    const bytes = Buffer.from(`${text}\0`, 'utf8');
    const status = lib.synth(bytes, bytes.length, 0, POS_CHARACTER, 0, CHARS_UTF8, null, null);
    if (status !== 0) throw new Error(`espeak_Synth failed (${status})`);
    lib.synchronize();
  } finally {
    koffi.unregister(callback);
  }
  const samples = chunks.reduce((n, c) => n + c.length, 0);
  const pcm = Buffer.alloc(samples * 2);
  let at = 0;
  for (const c of chunks) for (const s of c) at = pcm.writeInt16LE(s, at);
  await fs.writeFile(outFile, Buffer.concat([wavHeader(samples, sampleRate), pcm]));
  // text_position counts characters from 1.
  const chars = [...text];
  return {
    file: outFile,
    sampleRate,
    durationSeconds: samples / sampleRate,
    words: starts.map((s) => ({
      text: chars.slice(s.position - 1, s.position - 1 + s.length).join(''),
      start: s.ms / 1000,
    })),
  };
}

function wavHeader(samples: number, rate: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + samples * 2, 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(samples * 2, 40);
  return h;
}

/** Mean distance (s) between each caption's start and when espeak-ng started the caption's first word. */
export function captionError(captions: Caption[], words: EspeakWord[]): number {
  let w = 0;
  let sum = 0;
  for (const c of captions) {
    sum += Math.abs(c.start - words[w]!.start);
    w += c.text.split(/\s+/).filter((x) => /[\p{L}\p{N}]/u.test(x)).length;
  }
  return sum / captions.length;
}
