// The text a post carries besides the video: its caption (the script's title and call to action as
// sentences) and its hashtags (words a viewer would search for, never "#that" or "#with"). Pure functions,
// shared by the script writers and the distribution planner.

/** Words too common to be a hashtag anyone follows: articles, pronouns, auxiliaries, connectives. */
const stopWords = new Set(
  (
    'about above after again against also because been before being below between both could does doing ' +
    'down during each even every from further have having here hers herself himself into itself just ' +
    'like made make many more most much must myself never only other ought ours ourselves over same ' +
    'should some such than that their theirs them themselves then there these they this those through ' +
    'under until very want were what when where which while whom whose will with without would your ' +
    'yours yourself yourselves really thing things dont cant wont isnt arent doesnt didnt'
  ).split(' '),
);

const terminal = /[.!?…]["'”’)]*$/;

/**
 * Joins caption parts as sentences: each part trimmed, empty ones dropped, and a full stop added to a part
 * that does not already end a sentence, so "Title" and "Follow for more." read "Title. Follow for more.".
 * A part ending in ':' or ',' has its mark replaced.
 */
export function joinSentences(parts: readonly (string | null | undefined)[]): string {
  return parts
    .map((p) => (p ?? '').trim())
    .filter((p) => p.length > 0)
    .map((p) => (terminal.test(p) ? p : `${p.replace(/[\s,;:–-]+$/, '')}.`))
    .join(' ');
}

/** Shortens text to `max` characters at a word boundary, marking the cut with an ellipsis. */
export function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, Math.max(0, max - 1));
  const space = cut.lastIndexOf(' ');
  const kept = (space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:.–-]+$/, '');
  return `${kept}…`;
}

/**
 * A post's caption: the title and the call to action as sentences, within the platform's length. A music
 * attribution (a licence's condition) is kept whole on its own line; the rest is shortened to make room.
 */
export function postCaption(
  script: { title: string; cta: string },
  maxChars: number,
  attribution?: string | null,
): string {
  const credit = attribution?.trim() ?? '';
  if (credit === '' || credit.length + 20 > maxChars)
    return shorten(joinSentences([script.title, script.cta]), maxChars);
  return `${shorten(joinSentences([script.title, script.cta]), maxChars - credit.length - 1)}\n${credit}`;
}

/** Whether a word may be a hashtag: 4+ letters or digits, not a stop word, not only digits. */
export const isHashtagWord = (word: string): boolean =>
  word.length > 3 && !stopWords.has(word) && !/^\d+$/.test(word);

/** Up to `n` hashtags from a topic's words, in order, without stop words. */
export function topicHashtags(topic: string, n: number): string[] {
  const words = topic
    .toLowerCase()
    .replace(/['’]/g, '')
    .split(/[^a-z0-9]+/)
    .filter(isHashtagWord);
  return [...new Set(words)].slice(0, n);
}

/** Hashtags as posts carry them: without '#', lower case, no stop words, each once. */
export function cleanHashtags(tags: readonly string[]): string[] {
  const cleaned = tags.map((t) => t.replace(/^#+/, '').toLowerCase()).filter((t) => t && !stopWords.has(t));
  return [...new Set(cleaned)];
}
