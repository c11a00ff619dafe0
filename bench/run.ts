// `npm run bench`: runs every benchmark against one PostgreSQL and rewrites the figures in bench/README.md.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { accountsBench } from './accounts.ts';
import { apiBench } from './api.ts';
import { contentBench } from './content.ts';
import { renderBench } from './render.ts';
import { foundationBench } from './foundation.ts';
import { metricsBench } from './metrics.ts';
import { openBenchServer, type Section } from './harness.ts';
import { schedulerBench } from './scheduler.ts';

const README = path.join(import.meta.dirname, 'README.md');
const START = '<!-- bench:results:start -->';
const END = '<!-- bench:results:end -->';

function render(sections: Section[], label: string): string {
  const header = [
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${os.cpus().length} CPUs, Node ${process.version}, ${label}.`,
    '',
  ];
  const body = sections.flatMap((s) => [
    `### ${s.title}`,
    '',
    ...s.notes.map((n) => `${n}`),
    '',
    '| what | sovi | baseline (raw PostgreSQL, or as the notes say) | ratio |',
    '| --- | --- | --- | --- |',
    ...s.rows.map(
      (r) => `| ${r.what} | ${r.sovi} | ${r.baseline} | ${r.ratio}${r.goal ? ` (goal ${r.goal})` : ''} |`,
    ),
    '',
  ]);
  return [...header, ...body].join('\n');
}

const server = await openBenchServer();
try {
  const sections = [
    await foundationBench(server),
    await accountsBench(server),
    await schedulerBench(server),
    await contentBench(server),
    await metricsBench(server),
    await apiBench(server),
    await renderBench(),
  ];
  const text = render(sections, server.label);
  console.log(text);
  const readme = await fs.readFile(README, 'utf8');
  const [before, rest] = readme.split(START);
  const after = rest?.split(END)[1];
  if (before === undefined || after === undefined)
    throw new Error(`bench/README.md lacks the ${START} markers`);
  await fs.writeFile(README, `${before}${START}\n${text}\n${END}${after}`);
} finally {
  await server.close();
}
