// @no-database
// The media policy per niche (voices, music, loudness, caption style, visuals) from the content policy file,
// and the caption styles it sets: colours, position and safe margins in the .ass file, word-by-word
// highlight, and the overflow check.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadContentPolicy } from '../../src/content/content-policy.ts';
import { captionOverflow, captionsToAss, SAFE_AREA } from '../../src/media/captions.ts';
import { defaultNicheMedia, mediaPolicyFor, voicesFor } from '../../src/media/media-policy.ts';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-media-policy-'));
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

const policyFile = async (body: unknown) => {
  const file = path.join(dir, `policy-${Math.random().toString(36).slice(2)}.json`);
  await fs.writeFile(file, JSON.stringify(body));
  return file;
};

describe('the media policy', () => {
  it('layers a niche’s entry over * over the defaults, field by field', async () => {
    const policy = loadContentPolicy(
      await policyFile({
        media: {
          '*': { music: { mood: 'chill' }, loudness: { integratedLufs: -16 } },
          fitness: {
            language: 'de',
            voices: {
              de: [{ engine: 'openai', voice: 'onyx', model: 'tts-1', speed: 1.2, timeoutMs: 5000 }],
            },
            captions: { position: 'bottom', highlight: '#FFD400', wordsPerLine: 3 },
          },
        },
      }),
    );
    const fitness = mediaPolicyFor(policy.media, 'fitness');
    expect(fitness.language).toBe('de');
    expect(voicesFor(fitness)).toEqual([
      { engine: 'openai', voice: 'onyx', model: 'tts-1', speed: 1.2, timeoutMs: 5000 },
    ]);
    expect(fitness.music).toEqual({ ...defaultNicheMedia.music, mood: 'chill' });
    expect(fitness.loudness).toEqual({ integratedLufs: -16, truePeakDb: -1 });
    expect(fitness.captions).toEqual({
      ...defaultNicheMedia.captions,
      position: 'bottom',
      highlight: '#FFD400',
      wordsPerLine: 3,
    });
    const other = mediaPolicyFor(policy.media, 'cooking');
    expect(other.captions).toEqual(defaultNicheMedia.captions);
    expect(voicesFor(other)).toEqual([{ engine: 'espeak', voice: 'en-us' }]);
    expect(mediaPolicyFor({}, null)).toEqual(defaultNicheMedia);
  });

  it('refuses a bad entry naming the field and what was expected', async () => {
    const bad = [
      [
        { media: { fitness: { voices: { en: [{ engine: 'polly', voice: 'x' }] } } } },
        /media\.fitness\.voices\.en\.0\.engine/,
      ],
      [{ media: { fitness: { captions: { colour: 'white' } } } }, /colours are #RRGGBB/],
      [{ media: { fitness: { loudness: { integratedLufs: 3 } } } }, /integratedLufs/],
      [{ media: { 'Not A Slug': {} } }, /media\.Not A Slug: Invalid key/],
    ] as const;
    for (const [body, message] of bad) {
      expect(() => loadContentPolicy(undefined)).not.toThrow();
      const file = await policyFile(body);
      expect(() => loadContentPolicy(file)).toThrow(message);
    }
  });
});

describe('caption styles', () => {
  const frame = { width: 1080, height: 1920 };
  const caption = {
    start: 0,
    end: 2,
    text: 'Pay yourself first',
    words: [
      { text: 'Pay', start: 0, end: 0.4 },
      { text: 'yourself', start: 0.4, end: 1.1 },
      { text: 'first', start: 1.1, end: 1.6 },
    ],
  };

  it('draw the niche’s font, colours and position inside the safe margins', () => {
    const ass = captionsToAss([caption], {
      ...frame,
      style: {
        ...defaultNicheMedia.captions,
        font: 'DejaVu Serif',
        colour: '#FFD400',
        outlineColour: '#102030',
        position: 'bottom',
      },
    });
    const style = ass
      .split('\n')
      .find((l) => l.startsWith('Style: Caption,'))!
      .split(',');
    expect(style[1]).toBe('DejaVu Serif');
    // &HAABBGGRR
    expect(style[3]).toBe('&H0000D4FF');
    expect(style[5]).toBe('&H00302010');
    // Bottom centre, clear of the buttons on the right and the caption band at the bottom.
    expect(style[18]).toBe('2');
    expect(Number(style[19])).toBe(Math.round(1080 * SAFE_AREA.left));
    expect(Number(style[20])).toBe(Math.round(1080 * SAFE_AREA.right));
    expect(Number(style[21])).toBe(Math.round(1920 * SAFE_AREA.bottom));
    expect(ass.match(/^Dialogue:/gm)).toHaveLength(1);
  });

  it('highlight the word being spoken, one event per word', () => {
    const ass = captionsToAss([caption], {
      ...frame,
      style: { ...defaultNicheMedia.captions, highlight: '#FF0000' },
    });
    const events = ass.split('\n').filter((l) => l.startsWith('Dialogue:'));
    expect(events).toEqual([
      'Dialogue: 0,0:00:00.00,0:00:00.40,Caption,,0,0,0,,{\\c&H0000FF&}Pay{\\c&HFFFFFF&} yourself first',
      'Dialogue: 0,0:00:00.40,0:00:01.10,Caption,,0,0,0,,Pay {\\c&H0000FF&}yourself{\\c&HFFFFFF&} first',
      'Dialogue: 0,0:00:01.10,0:00:02.00,Caption,,0,0,0,,Pay yourself {\\c&H0000FF&}first{\\c&HFFFFFF&}',
    ]);
  });

  it('count the captions that would leave the safe area', () => {
    const style = defaultNicheMedia.captions;
    expect(captionOverflow([caption], style, frame)).toBe(0);
    const long = { start: 0, end: 1, text: 'Pneumonoultramicroscopicsilicovolcanoconiosis' };
    expect(captionOverflow([caption, long], style, frame)).toBe(1);
    const many = { start: 0, end: 1, text: Array.from({ length: 30 }, () => 'words').join(' ') };
    expect(captionOverflow([many], style, frame)).toBe(1);
    expect(captionOverflow([{ ...many, style: 'title' as const }], style, frame)).toBe(0);
  });
});
