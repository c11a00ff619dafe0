// `npm run bench`: runs every benchmark against one PostgreSQL and rewrites the figures in bench/README.md.
//   npm run bench -- [--scale 1] [--soak-minutes 10]
// --scale sizes the scenario (1: 10,000 accounts, 5M metric rows) and the backup bench (1: 1M accounts, 5M
// metric rows); --soak-minutes 0 leaves the soak out.
import { parseArgs } from 'node:util';
import { accountsBench } from './accounts.ts';
import { alertsBench } from './alerts.ts';
import { apiBench } from './api.ts';
import { backupBench } from './backup.ts';
import { calendarBench } from './calendar.ts';
import { cliStartBench } from './cli-start.ts';
import { publishingBench } from './publishing.ts';
import { contentBench } from './content.ts';
import { dashboardReadsBench } from './dashboard-reads.ts';
import { renderBench } from './render.ts';
import { foundationBench } from './foundation.ts';
import { mcpBench } from './mcp.ts';
import { metricsBench } from './metrics.ts';
import { metricsPullBench } from './metrics-pull.ts';
import { openBenchServer, type Section } from './harness.ts';
import { phonesBench } from './phones.ts';
import { render, writeResults } from './report.ts';
import { scenarioBench } from './scenario.ts';
import { schedulerBench } from './scheduler.ts';
import { soakBench } from './soak.ts';
import { streamsBench } from './streams.ts';

const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    'soak-minutes': { type: 'string', default: '10' },
  },
});
const soakMinutes = Number(values['soak-minutes']);

const server = await openBenchServer();
try {
  const sections: Section[] = [
    await foundationBench(server),
    await cliStartBench(server),
    await accountsBench(server),
    await schedulerBench(server),
    await contentBench(server),
    await calendarBench(server),
    await publishingBench(server),
    await metricsBench(server),
    await metricsPullBench(server),
    await apiBench(server),
    await mcpBench(server),
    await dashboardReadsBench(server),
    await streamsBench(server),
    await alertsBench(server),
    await renderBench(),
    await scenarioBench(server, { scale: Number(values.scale) }),
    await phonesBench(server),
    // Its own embedded cluster: archiving must be on, which the shared bench server has off.
    await backupBench({ scale: Number(values.scale), loadSeconds: 150 }),
  ];
  if (soakMinutes > 0) sections.push(await soakBench(server, { minutes: soakMinutes }));
  const text = render(sections, server.label);
  console.log(text);
  await writeResults(text);
} finally {
  await server.close();
}
