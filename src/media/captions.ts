// Captions: the narration cut into short phrases timed over the voice-over, how much of the narration they
// show, and the .ass subtitle file that libass burns into the video.
//
// No speech aligner is involved: each phrase gets a share of the duration in proportion to its letters (long
// words take longer to say than short ones) plus a pause at its punctuation, the way espeak-ng paces a text.
// Against espeak-ng's own timing this lands within a few tenths of a second on a short narration.
import { invalidInput } from '../errors.ts';
import { defaultNicheMedia, type CaptionStyle } from './media-policy.ts';

export interface Caption {
  /** Seconds from the start of the video. */
  start: number;
  end: number;
  text: string;
  /** 'caption' (default): big, centred, outlined. 'title': an on-screen text beat near the top, boxed. */
  style?: 'caption' | 'title';
  /** Each word's own span (captions timed from the audio), for a word-by-word highlight. */
  words?: { text: string; start: number; end: number }[];
}

/** The narration's words as written (punctuation attached), in order. */
export function narrationWords(narration: string): string[] {
  return narration.split(/\s+/).filter((word) => /[\p{L}\p{N}]/u.test(word));
}

const SENTENCE_END = /[.!?…]["'”’)\]]*$/u;
const CLAUSE_END = /[,;:—–]["'”’)\]]*$/u;
/** Pauses, in letters' worth of speaking time. */
const SENTENCE_PAUSE = 5;
const CLAUSE_PAUSE = 2.5;

export function timeCaptions(
  narration: string,
  durationSeconds: number,
  options: { maxWordsPerCaption?: number } = {},
): Caption[] {
  const maxWords = options.maxWordsPerCaption ?? 4;
  if (!Number.isInteger(maxWords) || maxWords < 1) {
    throw invalidInput(
      'maxWordsPerCaption',
      `maxWordsPerCaption must be a positive integer (got ${maxWords})`,
    );
  }
  if (!(durationSeconds > 0) || !Number.isFinite(durationSeconds)) {
    throw invalidInput(
      'durationSeconds',
      `the duration must be a positive number of seconds (got ${durationSeconds})`,
    );
  }
  const phrases = splitPhrases(narration, maxWords);
  const weights = phrases.map(phraseWeight);
  const total = weights.reduce((sum, w) => sum + w, 0);
  const captions: Caption[] = [];
  let spent = 0;
  for (const [i, phrase] of phrases.entries()) {
    const start = captions.at(-1)?.end ?? 0;
    spent += weights[i]!;
    const end = i === phrases.length - 1 ? durationSeconds : round3((durationSeconds * spent) / total);
    captions.push({ start, end, text: phrase.join(' ') });
  }
  return captions;
}

/**
 * Clauses end at punctuation (or a lone dash); a clause longer than maxWords is cut into near-equal phrases
 * rather than a full phrase and a stub (at most 4: 9 words → 3 + 3 + 3, not 4 + 4 + 1).
 */
export function splitPhrases(narration: string, maxWords: number): string[][] {
  const clauses: string[][] = [];
  let clause: string[] = [];
  for (const token of narration.split(/\s+/).filter(Boolean)) {
    const isWord = /[\p{L}\p{N}]/u.test(token);
    if (isWord) clause.push(token);
    if (clause.length > 0 && (!isWord || SENTENCE_END.test(token) || CLAUSE_END.test(token))) {
      clauses.push(clause);
      clause = [];
    }
  }
  if (clause.length) clauses.push(clause);
  return clauses.flatMap((c) => {
    const parts = Math.ceil(c.length / maxWords);
    const phrases: string[][] = [];
    for (let p = 0, from = 0; p < parts; p++) {
      const to = Math.round(((p + 1) * c.length) / parts);
      phrases.push(c.slice(from, to));
      from = to;
    }
    return phrases;
  });
}

function phraseWeight(phrase: string[]): number {
  const letters = phrase.reduce((sum, word) => sum + word.replace(/[^\p{L}\p{N}]/gu, '').length + 1, 0);
  const last = phrase.at(-1) ?? '';
  return letters + (SENTENCE_END.test(last) ? SENTENCE_PAUSE : CLAUSE_END.test(last) ? CLAUSE_PAUSE : 0);
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/** 0–1: the share of the narration's words that the captions show (each caption word counts once). */
export function captionCoverage(narration: string, captions: Caption[]): number {
  const spoken = narrationWords(narration).map(normalWord).filter(Boolean);
  if (spoken.length === 0) return 1;
  const shown = new Map<string, number>();
  for (const caption of captions) {
    for (const word of narrationWords(caption.text).map(normalWord)) {
      if (word) shown.set(word, (shown.get(word) ?? 0) + 1);
    }
  }
  let matched = 0;
  for (const word of spoken) {
    const left = shown.get(word) ?? 0;
    if (left > 0) {
      matched++;
      shown.set(word, left - 1);
    }
  }
  return matched / spoken.length;
}

const normalWord = (word: string): string =>
  word
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[’‘]/g, "'")
    .replace(/[^\p{L}\p{N}']+/gu, '')
    .replace(/^'+|'+$/g, '');

export interface AssOptions {
  width: number;
  height: number;
  /** The family libass looks for (in MediaTools.fontsDir, else through fontconfig). */
  fontName?: string;
  /** The niche's caption style; the default one otherwise. */
  style?: CaptionStyle;
}

/**
 * Where text may go: the platforms draw their own interface over the video, the action buttons down the
 * right edge, the caption, sound and account name over the bottom fifth, the tabs at the top. Captions stay
 * inside these margins (shares of the frame).
 */
export const SAFE_AREA = { left: 0.08, right: 0.15, top: 0.12, bottom: 0.22 } as const;

/** '#RRGGBB' as ASS's &HAABBGGRR. */
const assColour = (hex: string, alpha = '00') =>
  `&H${alpha}${hex.slice(5, 7)}${hex.slice(3, 5)}${hex.slice(1, 3)}`.toUpperCase();

/**
 * An Advanced SubStation Alpha script of the captions, in the niche's style (font, size, colours, outline,
 * position) inside the safe area. With a highlight colour, each caption is shown as one event per word, the
 * word being spoken in that colour. Title beats are boxed, near the top.
 */
export function captionsToAss(captions: Caption[], options: AssOptions): string {
  const { width, height } = options;
  const look = options.style ?? defaultNicheMedia.captions;
  const font = options.fontName ?? look.font;
  const px = (share: number) => Math.max(1, Math.round(height * share));
  const left = Math.round(width * SAFE_AREA.left);
  const right = Math.round(width * SAFE_AREA.right);
  const format =
    'Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, ' +
    'Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, ' +
    'MarginR, MarginV, Encoding';
  // Alignment: 2 bottom, 5 middle, 8 top (centred); MarginV keeps bottom and top captions out of the overlays.
  const alignment = { bottom: 2, middle: 5, top: 8 }[look.position];
  const marginV =
    look.position === 'bottom' ? px(SAFE_AREA.bottom) : look.position === 'top' ? px(SAFE_AREA.top) : 0;
  // The beats' titles sit at the top, unless the captions do: then they go to the bottom of the safe area.
  const titleAtTop = look.position !== 'top';
  const primary = assColour(look.colour);
  // With BorderStyle 3 the outline colour fills the box.
  const style = (
    name: string,
    size: number,
    colour: string,
    edge: string,
    border: number,
    outline: number,
    align: number,
    vertical: number,
  ) =>
    `Style: ${name},${font},${size},${colour},${colour},${edge},&H80000000,-1,0,0,0,100,100,0,0,${border},` +
    `${outline},${px(0.0016)},${align},${left},${right},${vertical},1`;
  // Override tags take &HBBGGRR&, without the alpha byte.
  const tag = (hex: string) => `&H${hex.slice(5, 7)}${hex.slice(3, 5)}${hex.slice(1, 3)}&`.toUpperCase();
  const highlight = look.highlight === null ? null : tag(look.highlight);
  const plain = tag(look.colour);
  const events = captions.flatMap((c) => {
    const title = c.style === 'title';
    const line = (start: number, end: number, text: string) =>
      `Dialogue: ${title ? 1 : 0},${assTime(start)},${assTime(end)},${title ? 'Title' : 'Caption'},,0,0,0,,${text}`;
    if (title || highlight === null || !c.words || c.words.length === 0)
      return [line(c.start, c.end, assText(c.text))];
    const words = c.words;
    return words.map((w, i) => {
      const start = i === 0 ? c.start : w.start;
      const end = i + 1 < words.length ? words[i + 1]!.start : c.end;
      const text = words
        .map((o, j) => (j === i ? `{\\c${highlight}}${assText(o.text)}{\\c${plain}}` : assText(o.text)))
        .join(' ');
      return line(start, end, text);
    });
  });
  return [
    '[Script Info]',
    'ScriptType: v4.00+',
    `PlayResX: ${width}`,
    `PlayResY: ${height}`,
    'WrapStyle: 0',
    'ScaledBorderAndShadow: yes',
    '',
    '[V4+ Styles]',
    `Format: ${format}`,
    style(
      'Caption',
      px(look.size),
      primary,
      assColour(look.outlineColour),
      1,
      px(look.outline),
      alignment,
      marginV,
    ),
    style(
      'Title',
      px(0.058),
      '&H00FFFFFF',
      '&H50000000',
      3,
      px(0.012),
      titleAtTop ? 8 : 2,
      px(titleAtTop ? SAFE_AREA.top : SAFE_AREA.bottom),
    ),
    '',
    '[Events]',
    'Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text',
    ...events,
    '',
  ].join('\n');
}

/**
 * Captions that would not fit the safe area: a word wider than the safe width, or more lines than the
 * band a caption may take (a quarter of the frame's height). Widths are estimated from DejaVu Sans Bold's
 * average advance (0.62 em), which overestimates slightly: a pass here fits on screen.
 */
export function captionOverflow(
  captions: Caption[],
  style: CaptionStyle,
  frame: { width: number; height: number },
): number {
  const fontPx = frame.height * style.size;
  const safeWidth = frame.width * (1 - SAFE_AREA.left - SAFE_AREA.right);
  const advance = 0.62 * fontPx;
  const maxLines = Math.max(1, Math.floor((frame.height * 0.25) / (fontPx * 1.2)));
  let overflowing = 0;
  for (const c of captions) {
    if (c.style === 'title') continue;
    const words = c.text.split(/\s+/).filter(Boolean);
    let lines = 1;
    let width = 0;
    let tooWide = false;
    for (const word of words) {
      const w = [...word].length * advance;
      if (w > safeWidth) tooWide = true;
      const next = width === 0 ? w : width + advance + w;
      if (next > safeWidth && width > 0) {
        lines++;
        width = w;
      } else width = next;
    }
    if (tooWide || lines > maxLines) overflowing++;
  }
  return overflowing;
}

/** H:MM:SS.cc; neighbouring captions round their shared edge alike, so no gap or overlap appears. */
function assTime(seconds: number): string {
  const cs = Math.max(0, Math.round(seconds * 100));
  const h = Math.floor(cs / 360_000);
  const m = Math.floor(cs / 6_000) % 60;
  const s = Math.floor(cs / 100) % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${h}:${pad(m)}:${pad(s)}.${pad(cs % 100)}`;
}

/** Caption text cannot carry override tags: braces and backslashes would be read as ASS markup. */
const assText = (text: string): string =>
  text.replace(/\\/g, '/').replace(/\{/g, '(').replace(/\}/g, ')').replace(/\r?\n/g, '\\N');
