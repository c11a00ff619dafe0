// @no-database
import { describe, expect, it } from 'vitest';
import { templateWriter } from '../../src/content/script-writers.ts';
import {
  cleanHashtags,
  joinSentences,
  postCaption,
  shorten,
  topicHashtags,
} from '../../src/content/post-text.ts';

describe('captions', () => {
  it('joins the title and the call to action as sentences', () => {
    expect(postCaption({ title: 'Budgeting in 30 seconds', cta: 'Follow for more.' }, 150)).toBe(
      'Budgeting in 30 seconds. Follow for more.',
    );
    expect(postCaption({ title: 'Why save?', cta: 'Follow for part two' }, 150)).toBe(
      'Why save? Follow for part two.',
    );
  });

  it('replaces a trailing colon or comma rather than stacking marks, and drops empty parts', () => {
    expect(joinSentences(['Compound interest:', '  ', null, 'Save this!'])).toBe(
      'Compound interest. Save this!',
    );
    expect(joinSentences(['“Quoted.”', 'next'])).toBe('“Quoted.” next.');
  });

  it('cuts a long caption at a word, marked with an ellipsis, within the limit', () => {
    const caption = postCaption({ title: 'word '.repeat(60).trim(), cta: 'Follow.' }, 150);
    expect(caption.length).toBeLessThanOrEqual(150);
    expect(caption).toMatch(/word…$/);
    expect(shorten('short', 10)).toBe('short');
  });
});

describe('hashtags', () => {
  it('never makes a hashtag of a stop word', () => {
    expect(topicHashtags('the habit that makes your savings grow', 3)).toEqual(['habit', 'makes', 'savings']);
    expect(topicHashtags('what they never tell you about that', 2)).toEqual(['tell']);
    expect(topicHashtags("why you can't stop 2024", 2)).toEqual(['stop']);
  });

  it('cleans a writer’s hashtags: no #, lower case, no stop words, each once', () => {
    expect(cleanHashtags(['#Money', 'money', '#that', 'With', 'investing'])).toEqual(['money', 'investing']);
  });

  it('the template writer tags the topic’s words, not its filler', async () => {
    const script = await templateWriter().write({
      topic: 'the habit that would change your money',
      niche: null,
      format: 'faceless',
      hook: null,
    });
    expect(script.hashtags).toEqual(['habit', 'change', 'fyp']);
  });
});
