// The bench report: sections rendered as markdown, and bench/README.md's results block rewritten with them,
// whole (`npm run bench`) or one section at a time (a bench run on its own, e.g. `node bench/scenario.ts`).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Section } from './harness.ts';

const README = path.join(import.meta.dirname, 'README.md');
const START = '<!-- bench:results:start -->';
const END = '<!-- bench:results:end -->';

export function renderSection(s: Section): string {
  // A verdict column only where a row has a goal it is judged against.
  const verdicts = s.rows.some((r) => r.verdict !== undefined);
  return [
    `### ${s.title}`,
    '',
    ...s.notes,
    '',
    `| what | sovi | baseline (raw PostgreSQL, or as the notes say) | ratio |${verdicts ? ' verdict |' : ''}`,
    `| --- | --- | --- | --- |${verdicts ? ' --- |' : ''}`,
    ...s.rows.map(
      (r) =>
        `| ${r.what} | ${r.sovi} | ${r.baseline} | ${r.ratio}${r.goal ? ` (goal ${r.goal})` : ''} |` +
        (verdicts ? ` ${r.verdict ?? ''} |` : ''),
    ),
    '',
  ].join('\n');
}

export const measuredLine = (label: string) =>
  `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${os.cpus().length} CPUs, Node ${process.version}, ${label}.`;

export function render(sections: Section[], label: string): string {
  return [measuredLine(label), '', ...sections.map(renderSection)].join('\n');
}

async function readBlock(): Promise<{ before: string; block: string; after: string }> {
  const readme = await fs.readFile(README, 'utf8');
  const [before, rest] = readme.split(START);
  const parts = rest?.split(END);
  if (before === undefined || parts?.[1] === undefined)
    throw new Error(`bench/README.md lacks the ${START} markers`);
  return { before, block: parts[0]!, after: parts[1] };
}

/** Replaces the whole results block (`npm run bench`). */
export async function writeResults(text: string): Promise<void> {
  const { before, after } = await readBlock();
  await fs.writeFile(README, `${before}${START}\n${text}\n${END}${after}`);
}

/**
 * Replaces one section of the results block (from its `### title` to the next `### `), or appends it; the
 * section says when and where it was measured, since the block's header line is about the full run.
 */
export async function writeSection(section: Section, label: string): Promise<void> {
  const { before, block, after } = await readBlock();
  const rendered = renderSection({
    ...section,
    notes: [`${measuredLine(label)} (run on its own)`, '', ...section.notes],
  });
  const heading = `### ${section.title}\n`;
  const at = block.indexOf(heading);
  let next: string;
  if (at < 0) next = `${block.trimEnd()}\n\n${rendered}`;
  else {
    const end = block.indexOf('\n### ', at + heading.length);
    next = `${block.slice(0, at)}${rendered}${end < 0 ? '' : block.slice(end + 1)}`;
  }
  await fs.writeFile(README, `${before}${START}\n${next.trim()}\n${END}${after}`);
}
