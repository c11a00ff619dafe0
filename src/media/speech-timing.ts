// Captions timed from the audio itself. ffmpeg's silencedetect finds where the rendered voice speaks and
// where it pauses; the script's words are then aligned to those stretches of speech (a pause belongs between
// two words, preferably at punctuation, and each stretch takes the words whose length best fills it), and
// each word is timed within its stretch by its letters. Against the letter-count estimate of captions.ts,
// which spreads the words over the whole track, this puts every pause where it is heard.
import path from 'node:path';
import { invalidInput } from '../errors.ts';
import { narrationWords, splitPhrases, type Caption } from './captions.ts';
import { runTool } from './run-tool.ts';
import type { MediaTools } from './tools.ts';

export interface Span {
  start: number;
  end: number;
}

export interface TimedWord extends Span {
  text: string;
}

/** Quieter than this counts as a pause (espeak-ng and TTS voices sit around -20 dBFS while speaking). */
const NOISE_DB = -40;
/** A pause must last this long: shorter gaps are stops inside words (p, t, k). */
const MIN_PAUSE = 0.09;

/** The stretches of speech in an audio file, in order. */
export async function detectSpeech(
  tools: MediaTools,
  file: string,
  durationSeconds: number,
  signal?: AbortSignal,
): Promise<Span[]> {
  const { stderr } = await runTool(
    tools.ffmpeg,
    [
      ...['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info', '-i', path.resolve(file)],
      ...['-map', '0:a:0', '-af', `silencedetect=noise=${NOISE_DB}dB:d=${MIN_PAUSE}`, '-f', 'null', '-'],
    ],
    { signal, timeoutMs: 300_000 },
  );
  return speechFromSilences(stderr, durationSeconds);
}

export function speechFromSilences(stderr: string, durationSeconds: number): Span[] {
  const silences: Span[] = [];
  let open: number | null = null;
  for (const m of stderr.matchAll(/silence_(start|end):\s*(-?[\d.]+)/g)) {
    const t = Math.max(0, Number(m[2]));
    if (m[1] === 'start') open = t;
    else if (open !== null) {
      silences.push({ start: open, end: t });
      open = null;
    }
  }
  if (open !== null) silences.push({ start: open, end: durationSeconds });
  const speech: Span[] = [];
  let from = 0;
  for (const s of silences) {
    if (s.start - from > 0.02) speech.push({ start: from, end: s.start });
    from = Math.max(from, s.end);
  }
  if (durationSeconds - from > 0.02) speech.push({ start: from, end: durationSeconds });
  return speech;
}

const SENTENCE_END = /[.!?…]["'”’)\]]*$/u;
const CLAUSE_END = /[,;:—–]["'”’)\]]*$/u;
const weight = (word: string) => word.replace(/[^\p{L}\p{N}]/gu, '').length + 1.5;

/**
 * Each word's span. Stretches are matched to runs of words by dynamic programming: a run's cost is how far
 * its letters' share of the speaking time misses the stretch's length, plus a charge for a pause that falls
 * after a word without punctuation (the voice pauses at commas and full stops).
 */
export function alignWords(narration: string, speech: Span[]): TimedWord[] {
  const words = narrationWords(narration);
  if (words.length === 0) return [];
  if (speech.length === 0) throw invalidInput('voice', 'no speech was detected in the voice-over');
  const segments = [...speech];
  // More stretches than words: the shortest pauses are not pauses between words.
  while (segments.length > words.length) {
    let best = 0;
    for (let i = 1; i < segments.length - 1; i++) {
      if (segments[i + 1]!.start - segments[i]!.end < segments[best + 1]!.start - segments[best]!.end)
        best = i;
    }
    segments.splice(best, 2, { start: segments[best]!.start, end: segments[best + 1]!.end });
  }
  const n = words.length;
  const m = segments.length;
  const prefix = [0];
  for (const w of words) prefix.push(prefix.at(-1)! + weight(w));
  const speaking = segments.reduce((sum, s) => sum + (s.end - s.start), 0);
  const rate = prefix[n]! / speaking;
  const breakCost = (j: number, pause: number) => {
    const w = words[j - 1]!;
    if (SENTENCE_END.test(w)) return 0;
    if (CLAUSE_END.test(w)) return 0.02;
    return 0.15 + pause;
  };
  // cost[k][j]: the first k stretches hold the first j words.
  const cost = Array.from({ length: m + 1 }, () => new Float64Array(n + 1).fill(Infinity));
  const from = Array.from({ length: m + 1 }, () => new Int32Array(n + 1).fill(-1));
  cost[0]![0] = 0;
  for (let k = 1; k <= m; k++) {
    const seg = segments[k - 1]!;
    const length = seg.end - seg.start;
    const pause = k < m ? segments[k]!.start - seg.end : 0;
    for (let j = k; j <= n - (m - k); j++) {
      for (let i = k - 1; i < j; i++) {
        const before = cost[k - 1]![i]!;
        if (before === Infinity) continue;
        const miss = (prefix[j]! - prefix[i]!) / rate - length;
        const c = before + miss * miss + (k < m ? breakCost(j, pause) : 0);
        if (c < cost[k]![j]!) {
          cost[k]![j] = c;
          from[k]![j] = i;
        }
      }
    }
  }
  const bounds: number[] = [n];
  for (let k = m, j = n; k > 0; k--) {
    j = from[k]![j]!;
    bounds.unshift(j);
  }
  const timed: TimedWord[] = [];
  for (let k = 0; k < m; k++) {
    const seg = segments[k]!;
    const [i, j] = [bounds[k]!, bounds[k + 1]!];
    const total = prefix[j]! - prefix[i]!;
    for (let w = i; w < j; w++) {
      const start = seg.start + ((prefix[w]! - prefix[i]!) / total) * (seg.end - seg.start);
      const end = seg.start + ((prefix[w + 1]! - prefix[i]!) / total) * (seg.end - seg.start);
      timed.push({ text: words[w]!, start: round3(start), end: round3(end) });
    }
  }
  return timed;
}

/**
 * Captions of at most maxWords words (cut where captions.ts cuts them), each shown from its first word's
 * start until the next caption starts; the words' own spans go with them for a word-by-word highlight.
 */
export function captionsFromWords(
  narration: string,
  words: TimedWord[],
  durationSeconds: number,
  maxWords: number,
): Caption[] {
  const phrases = splitPhrases(narration, maxWords);
  const captions: Caption[] = [];
  let w = 0;
  for (const phrase of phrases) {
    const mine = words.slice(w, w + phrase.length);
    w += phrase.length;
    if (mine.length === 0) continue;
    captions.push({ start: mine[0]!.start, end: 0, text: phrase.join(' '), words: mine });
  }
  for (const [i, c] of captions.entries()) {
    c.end = i + 1 < captions.length ? captions[i + 1]!.start : durationSeconds;
  }
  return captions;
}

/** 0–1: the share of the speaking time during which a caption is on screen. */
export function speechCoverage(speech: Span[], captions: Caption[]): number {
  const total = speech.reduce((sum, s) => sum + (s.end - s.start), 0);
  if (total === 0) return 1;
  let covered = 0;
  for (const s of speech) {
    for (const c of captions) covered += Math.max(0, Math.min(s.end, c.end) - Math.max(s.start, c.start));
  }
  return Math.min(1, covered / total);
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;
