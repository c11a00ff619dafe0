// Idle live streams against write throughput: `sovi up --no-worker` as a real process, and the bench writing
// events (each INSERT notifies sovi_events, which wakes the API's event streams) as fast as WRITERS clients
// can for `seconds`, first with no stream open, then with `streams` idle ones open (three quarters event
// streams watching for critical events, a quarter warming session streams; the writes are info events and no
// session runs, so they send nothing but heartbeats). Both in the same run, on the same database; the ratio
// is throughput with the streams over without, and the API process's RSS is read from /proc in each phase.
//
//   node bench/streams.ts [--streams 200] [--seconds 15] [--print-only]
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { type BenchServer, migrateBenchDatabase, openBenchServer, type Section } from './harness.ts';
import { processMemory } from './proc-stats.ts';
import { renderSection, writeSection } from './report.ts';
import { runSovi, startSovi } from './sovi-process.ts';

export interface StreamsSettings {
  streams: number;
  seconds: number;
}

const defaults: StreamsSettings = { streams: 200, seconds: 15 };
const WRITERS = 4;

/** Inserts events from WRITERS clients for `seconds`; returns events per second. */
async function writeEvents(pool: pg.Pool, seconds: number): Promise<number> {
  const end = Date.now() + seconds * 1_000;
  let written = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      while (Date.now() < end) {
        await pool.query(
          `INSERT INTO system_events (category, severity, event_type, message, context, resolved, resolved_by, resolved_at)
           VALUES ('system', 'info', 'bench_write', 'a bench write', '{}', true, 'auto', now())`,
        );
        written++;
      }
    }),
  );
  return written / ((performance.now() - started) / 1_000);
}

function openIdleStream(base: string, path: string, token: string): Promise<http.ClientRequest> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      `${base}${path}`,
      { headers: { authorization: `Bearer ${token}` }, agent: false },
      (response) => {
        if (response.statusCode !== 200) {
          reject(new Error(`bench: ${path} answered ${response.statusCode}`));
          return;
        }
        response.resume(); // read and discard: an idle dashboard that keeps up
        resolve(request);
      },
    );
    request.on('error', reject);
  });
}

export async function streamsBench(
  server: BenchServer,
  overrides: Partial<StreamsSettings> = {},
): Promise<Section> {
  const s = { ...defaults, ...overrides };
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sovi-bench-streams-'));
  const target = await server.createDatabase();
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    await migrateBenchDatabase(target.url);
    const env: Record<string, string> = {
      DATABASE_URL: target.url,
      SOVI_HOME: path.join(work, 'home'),
      SOVI_LOG_LEVEL: 'warn',
      SOVI_LOG_FORMAT: 'json',
      SOVI_ACTOR: 'bench',
      SOVI_VAULT_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      SOVI_TRENDS_PULL_CRON: 'off', // no internet in a bench
      // One client opens them all here: the caps are raised past the bench's count.
      SOVI_STREAMS_PER_TOKEN: String(s.streams),
      SOVI_STREAMS_PER_ADDRESS: String(s.streams),
      SOVI_STREAMS_MAX: String(s.streams),
    };
    const token = (
      JSON.parse((await runSovi(['tokens', 'create', '--name', 'bench', '--json'], env)).stdout) as {
        token: string;
      }
    ).token;
    const up = startSovi(
      'sovi up --no-worker',
      ['up', '--no-worker', '--port', '0'],
      env,
      /sovi is up at (http:\/\/\S+)/,
    );
    cleanups.push(() => up.stop());
    const base = (await up.ready)[1]!;
    const pool = new pg.Pool({
      connectionString: target.url,
      max: WRITERS,
      application_name: 'bench writes',
    });
    cleanups.push(() => pool.end());

    const rss = () => processMemory(up.pid)?.rssMiB ?? Number.NaN;
    // Warm up the API process and the table, then measure without streams.
    await writeEvents(pool, 3);
    await sleep(1_000);
    const quietRss = rss();
    const quiet = await writeEvents(pool, s.seconds);
    const quietRssAfter = rss();

    const eventStreams = Math.round(s.streams * 0.75);
    const requests: http.ClientRequest[] = [];
    cleanups.push(async () => requests.forEach((r) => r.destroy()));
    for (let i = 0; i < s.streams; i++) {
      requests.push(
        await openIdleStream(
          base,
          i < eventStreams ? '/api/v1/events/stream?severity=critical' : '/api/v1/warming/sessions/stream',
          token,
        ),
      );
    }
    await sleep(3_000);
    const streamsRss = rss();
    const loaded = await writeEvents(pool, s.seconds);
    const loadedRssAfter = rss();

    const f = (n: number) => n.toFixed(0);
    return {
      title: 'Live streams: idle streams against write throughput (bench/streams.ts)',
      notes: [
        `\`sovi up --no-worker\` as a process; the bench inserts info events from ${WRITERS} clients for ${s.seconds} s ` +
          `(each INSERT notifies sovi_events), first with no stream open, then with ${s.streams} idle streams ` +
          `(${eventStreams} event streams filtered to critical, ${s.streams - eventStreams} warming session streams; ` +
          'nothing they match is written). RSS is the API process’s VmRSS before and after each phase. Before the ' +
          'shared readers (issue 13), 200 such streams halved write throughput and raised RSS from 284 to 445 MB.',
      ],
      rows: [
        {
          what: 'events written/s',
          sovi: `${f(loaded)} with ${s.streams} streams`,
          baseline: `${f(quiet)} with none`,
          ratio: (loaded / quiet).toFixed(2),
          goal: '≥ 0.9',
          verdict: loaded / quiet >= 0.9 ? 'met' : 'not met',
        },
        {
          what: 'API process RSS (MiB)',
          sovi: `${f(streamsRss)} → ${f(loadedRssAfter)} with ${s.streams} streams`,
          baseline: `${f(quietRss)} → ${f(quietRssAfter)} with none`,
          ratio: (loadedRssAfter / quietRssAfter).toFixed(2),
        },
      ],
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    fs.rmSync(work, { recursive: true, force: true });
    await server.dropDatabase(target.name);
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      streams: { type: 'string', default: String(defaults.streams) },
      seconds: { type: 'string', default: String(defaults.seconds) },
      /** Print the section without touching bench/README.md (a trial run). */
      'print-only': { type: 'boolean', default: false },
    },
  });
  const server = await openBenchServer();
  try {
    const section = await streamsBench(server, {
      streams: Number(values.streams),
      seconds: Number(values.seconds),
    });
    console.log(renderSection(section));
    if (!values['print-only']) await writeSection(section, server.label);
  } finally {
    await server.close();
  }
}
