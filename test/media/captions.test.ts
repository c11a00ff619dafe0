// @no-database
// Captions timed to the narration: short phrases on punctuation, one after another over the whole voice-over,
// and the .ass file libass burns in.
import { describe, expect, it } from 'vitest';
import { SoviError } from '../../src/errors.ts';
import { captionCoverage, captionsToAss, timeCaptions, type Caption } from '../../src/media/captions.ts';

const NARRATION =
  'Most people save whatever is left at the end of the month. That is backwards! Pay yourself first, ' +
  'automate the transfer, and let compound interest — quietly — do the heavy lifting for decades.';

describe('caption timing', () => {
  it('covers the whole voice-over, each caption starting where the last one ended', () => {
    const captions = timeCaptions(NARRATION, 14.2);
    expect(captions.length).toBeGreaterThan(5);
    expect(captions[0]!.start).toBe(0);
    expect(captions.at(-1)!.end).toBe(14.2);
    for (const [i, caption] of captions.entries()) {
      expect(caption.end).toBeGreaterThan(caption.start);
      if (i > 0) expect(caption.start).toBe(captions[i - 1]!.end);
    }
  });

  it('shows a few words at a time and never runs a phrase across a sentence or clause end', () => {
    const captions = timeCaptions(NARRATION, 14.2, { maxWordsPerCaption: 4 });
    for (const { text } of captions) {
      const words = text.split(' ');
      expect(words.length).toBeLessThanOrEqual(4);
      // Punctuation only ever closes a caption.
      for (const word of words.slice(0, -1)) expect(word).not.toMatch(/[.!?,;:]$/);
    }
    expect(captions.map((c) => c.text)).toContain('That is backwards!');
  });

  it('cuts a long clause into even phrases rather than a full one and a stub', () => {
    const captions = timeCaptions('one two three four five six seven eight nine', 9, {
      maxWordsPerCaption: 4,
    });
    expect(captions.map((c) => c.text.split(' ').length)).toEqual([3, 3, 3]);
  });

  it('gives a phrase time in proportion to how long it takes to say', () => {
    const [short, long] = timeCaptions('Go now. Extraordinarily comprehensive understanding matters.', 10, {
      maxWordsPerCaption: 4,
    });
    const length = (c: Caption) => c.end - c.start;
    expect(length(long!)).toBeGreaterThan(3 * length(short!));
  });

  it('shows every word of the narration', () => {
    expect(captionCoverage(NARRATION, timeCaptions(NARRATION, 14.2))).toBe(1);
  });

  it('measures how much of the narration captions leave out', () => {
    const captions = timeCaptions(NARRATION, 14.2);
    const words = NARRATION.split(/\s+/).filter((w) => /\w/.test(w)).length;
    const dropped = captions[1]!.text.split(' ').length;
    const partial = captions.filter((_, i) => i !== 1);
    expect(captionCoverage(NARRATION, partial)).toBeCloseTo((words - dropped) / words, 5);
    expect(captionCoverage(NARRATION, [])).toBe(0);
    // Case, punctuation and curly apostrophes do not matter; a title beat counts like any caption.
    expect(
      captionCoverage("Don't STOP now!", [{ start: 0, end: 1, text: 'don’t stop', style: 'title' }]),
    ).toBeCloseTo(2 / 3, 5);
  });

  it('refuses a duration that is not a positive number', () => {
    expect(() => timeCaptions(NARRATION, 0)).toThrow(SoviError);
    expect(() => timeCaptions(NARRATION, Number.NaN)).toThrow(/positive number of seconds/);
    expect(() => timeCaptions(NARRATION, 5, { maxWordsPerCaption: 0 })).toThrow(/maxWordsPerCaption/);
  });
});

describe('the .ass subtitle file', () => {
  const ass = captionsToAss(
    [
      { start: 0, end: 1, text: 'Money {habits}', style: 'title' },
      { start: 0, end: 1.234, text: 'back\\slash' },
      { start: 1.234, end: 3723.5, text: 'two\nlines' },
    ],
    { width: 1080, height: 1920 },
  );

  it('draws on the frame at its own size, big and outlined', () => {
    expect(ass).toContain('PlayResX: 1080');
    expect(ass).toContain('PlayResY: 1920');
    expect(ass).toMatch(/^Style: Caption,DejaVu Sans,88,&H00FFFFFF,&H00FFFFFF,&H00000000,.*,1,7,3,5,/m);
    expect(ass).toMatch(/^Style: Title,DejaVu Sans,111,.*,3,\d+,3,8,/m);
  });

  it('times events in centiseconds, neighbours sharing their edge', () => {
    expect(ass).toContain('Dialogue: 0,0:00:00.00,0:00:01.23,Caption');
    expect(ass).toContain('Dialogue: 0,0:00:01.23,1:02:03.50,Caption');
  });

  it('keeps caption text from being read as ASS markup', () => {
    expect(ass).toContain(',,Money (habits)');
    expect(ass).toContain(',,back/slash');
    expect(ass).toContain(',,two\\Nlines');
  });
});
