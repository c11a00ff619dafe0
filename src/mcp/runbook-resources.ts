// The runbooks (src/events/runbooks.ts) as MCP resources: one short Markdown page per event type.
import { fallbackRunbook, runbooks, type Runbook } from '../events/runbooks.ts';

export const RUNBOOK_PREFIX = 'sovi://runbooks/';
const FALLBACK = 'other';

export interface RunbookResource {
  uri: string;
  name: string;
  title: string;
  description: string;
  mimeType: 'text/markdown';
}

export const runbookResources = (): RunbookResource[] =>
  [...Object.entries(runbooks), [FALLBACK, fallbackRunbook] as const].map(([type, book]) => ({
    uri: `${RUNBOOK_PREFIX}${type}`,
    name: `runbook-${type}`,
    title: type === FALLBACK ? 'Runbook: any other event type' : `Runbook: ${type}`,
    description: book.meaning,
    mimeType: 'text/markdown',
  }));

export function runbookMarkdown(type: string, book: Runbook): string {
  return [
    `# ${type}`,
    '',
    book.meaning,
    '',
    '## What usually fixes it',
    ...book.fixes.map((fix, i) => `${i + 1}. ${fix}`),
    '',
    `## Tools: ${book.tools.join(', ')}`,
    '',
  ].join('\n');
}

/** The page at a runbook URI, or undefined for a URI that names none. */
export function readRunbook(uri: string): string | undefined {
  if (!uri.startsWith(RUNBOOK_PREFIX)) return undefined;
  const type = uri.slice(RUNBOOK_PREFIX.length);
  const book = type === FALLBACK ? fallbackRunbook : runbooks[type];
  return book && runbookMarkdown(type, book);
}
