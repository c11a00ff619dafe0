// How fast and how small one-shot commands are (issue 19, "Commands start fast"): each command run N times,
// interleaved with its baselines in the same loop, so that load on the machine meets both alike. Baselines:
// `node -e ''` (Node starting and exiting), and psql running the SQL the command sends (captured from a
// run of the command itself), on the same warm database with 1,000 accounts and 20 devices.
// Goals: `sovi --help` within 3× `node -e ''`; a read command within 3× (`node -e ''` + psql); peak RSS
// (GNU time's %M) at most 80 MB, decimal as the issue writes it (80,000,000 bytes, 76.3 MiB).
//
// `node bench/cli-start.ts [--runs 15] [--print-only]` runs it alone.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import {
  median,
  migrateBenchDatabase,
  openBenchServer,
  percentile,
  type BenchServer,
  type Row,
  type Section,
} from './harness.ts';
import { renderSection, writeSection } from './report.ts';

const root = path.resolve(import.meta.dirname, '..');
const SOVI_BIN = path.join(root, 'bin', 'sovi.js');
const CAPTURE = path.join(import.meta.dirname, 'capture-sql.ts');
const MAX_RSS_MB = 80;
const MAX_RATIO = 3;

interface Run {
  wallMs: number;
  peakMB: number;
}

/** Runs a command to completion under GNU time: wall time (ours, in ms) and peak RSS (time's %M). */
async function timed(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const marker = '@@cli-start';
  const child = spawn('/usr/bin/time', ['-f', `${marker} %M`, command, ...args], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const started = performance.now();
  const [code] = (await once(child, 'exit')) as [number | null];
  const wallMs = performance.now() - started;
  const rss = new RegExp(`${marker} (\\d+)`).exec(stderr);
  if (code !== 0 || !rss) throw new Error(`bench: ${command} ${args.join(' ')} exited ${code}:\n${stderr}`);
  // %M is in KiB (getrusage's ru_maxrss, 1,024 bytes); reported in decimal MB, the goal's unit.
  return { wallMs, peakMB: (Number(rss[1]) * 1024) / 1e6 };
}

/** A statement as psql runs it: parameters bound through PREPARE/EXECUTE, as the driver binds them. */
function asPsql({ text, values }: { text: string; values: unknown[] }, n: number): string {
  if (values.length === 0) return `${text};`;
  const literal = (v: unknown): string => {
    if (v === null || v === undefined) return 'NULL';
    if (v instanceof Date) return pg.escapeLiteral(v.toISOString());
    // An array as PostgreSQL's text form, each element quoted: what the driver sends for one.
    if (Array.isArray(v)) {
      return pg.escapeLiteral(`{${v.map((x) => `"${String(x).replace(/["\\]/g, '\\$&')}"`).join(',')}}`);
    }
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') {
      return pg.escapeLiteral(String(v));
    }
    return pg.escapeLiteral(JSON.stringify(v)); // an object: json or jsonb
  };
  return `PREPARE q${n} AS ${text};\nEXECUTE q${n}(${values.map(literal).join(', ')});`;
}

async function seed(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`
      INSERT INTO devices (name, udid, status, host, connected_since)
      SELECT 'bench-' || lpad(i::text, 3, '0'), 'bench-udid-' || i, 'active', 'bench-host', now()
      FROM generate_series(1, 20) i`);
    await client.query(`
      INSERT INTO accounts (platform, username, current_state, last_warmed_at)
      SELECT (ARRAY['tiktok','instagram'])[1 + i % 2], 'u' || i,
             (ARRAY['created','warming_p1','warming_p2','warming_p3','active','resting'])[1 + i % 6],
             CASE WHEN i % 7 = 0 THEN NULL ELSE now() - make_interval(secs => i) END
      FROM generate_series(1, 1000) i`);
    await client.query('ANALYZE');
  } finally {
    await client.end();
  }
}

interface Case {
  label: string;
  args: string[];
  /** The psql script running what the command sends; undefined for a command with no database. */
  psql?: string;
  /** For a variant row: the environment it adds, and the case whose psql runs are its baseline. */
  env?: Record<string, string>;
  of?: Case;
}

const f0 = (ms: number) => `${Math.round(ms)}`;
const f1 = (x: number) => x.toFixed(1);

export async function cliStartBench(server: BenchServer, options: { runs?: number } = {}): Promise<Section> {
  const runs = options.runs ?? 15;
  const target = await server.createDatabase();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sovi-cli-start-'));
  try {
    await migrateBenchDatabase(target.url);
    await seed(target.url);
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      DATABASE_URL: target.url,
      SOVI_HOME: work,
    };
    const cases: Case[] = [
      { label: '`sovi --help`', args: ['--help'] },
      { label: '`sovi accounts list --limit 20`', args: ['accounts', 'list', '--limit', '20'] },
      { label: '`sovi devices list`', args: ['devices', 'list'] },
      { label: '`sovi schedule status`', args: ['schedule', 'status'] },
    ];
    // The SQL each command sends, from one run of it (which also warms the database's caches).
    for (const c of cases.slice(1)) {
      const file = path.join(work, `${c.args.join('-')}.sql.jsonl`);
      await timed(process.execPath, ['--import', CAPTURE, SOVI_BIN, ...c.args], {
        ...env,
        SOVI_BENCH_CAPTURE_SQL: file,
      });
      const statements = fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { text: string; values: unknown[] });
      c.psql = statements.map(asPsql).join('\n');
    }
    // The same command without what bin/sovi.js does for it, in the same loop: what each gains. Without the
    // install-time bundles of kysely and zod (SOVI_NO_VENDOR=1), and with V8's default heap and compilers
    // (SOVI_LEAN_HEAP=0: young generation free to grow, TurboFan and Maglev on).
    const variant = (label: string, env: Record<string, string>): Case => ({
      label: `${cases[1]!.label}, ${label}`,
      args: cases[1]!.args,
      env,
      of: cases[1]!,
    });
    const variants = [
      variant('no bundles', { SOVI_NO_VENDOR: '1' }),
      variant('V8 defaults', { SOVI_LEAN_HEAP: '0' }),
    ];

    const node: Run[] = [];
    const sovi = new Map<Case, Run[]>();
    const psql = new Map<Case, Run[]>();
    for (const c of [...cases, ...variants]) sovi.set(c, []);
    for (const c of cases) psql.set(c, []);
    const psqlArgs = (script: string) => [
      target.url,
      '-X',
      '-q',
      '-v',
      'ON_ERROR_STOP=1',
      '-o',
      '/dev/null',
      '-c',
      script,
    ];
    for (let i = 0; i < runs; i++) {
      node.push(await timed(process.execPath, ['-e', ''], env));
      for (const c of cases) {
        sovi.get(c)!.push(await timed(process.execPath, [SOVI_BIN, ...c.args], env));
        if (c.psql !== undefined) psql.get(c)!.push(await timed('psql', psqlArgs(c.psql), env));
      }
      for (const v of variants) {
        sovi.get(v)!.push(await timed(process.execPath, [SOVI_BIN, ...v.args], { ...env, ...v.env }));
      }
    }

    const wall = (r: Run[]) => median(r.map((x) => x.wallMs));
    const p95 = (r: Run[]) =>
      percentile(
        r.map((x) => x.wallMs),
        95,
      );
    const peak = (r: Run[]) => Math.max(...r.map((x) => x.peakMB));
    const nodeMs = wall(node);
    const rows: Row[] = [
      {
        what: "`node -e ''` (baseline): wall ms median / p95, peak RSS MB",
        sovi: `${f0(nodeMs)} / ${f0(p95(node))}, ${f1(peak(node))} MB`,
        baseline: '—',
        ratio: '—',
      },
    ];
    for (const c of [...cases, ...variants]) {
      const runsOf = sovi.get(c)!;
      const sql = psql.get(c.of ?? c)!;
      const baseMs = nodeMs + (sql.length > 0 ? wall(sql) : 0);
      const ratio = wall(runsOf) / baseMs;
      rows.push({
        what: `${c.label}: wall ms median / p95`,
        sovi: `${f0(wall(runsOf))} / ${f0(p95(runsOf))}`,
        baseline:
          sql.length > 0
            ? `${f0(baseMs)} (node ${f0(nodeMs)} + psql ${f0(wall(sql))}, same SQL)`
            : `${f0(baseMs)} (node)`,
        ratio: `${ratio.toFixed(2)}×`,
        goal: `≤ ${MAX_RATIO}×`,
        verdict: ratio <= MAX_RATIO ? 'met' : 'not met',
      });
      rows.push({
        what: `${c.label}: peak RSS MB (highest of ${runs})`,
        sovi: f1(peak(runsOf)),
        baseline: `${f1(peak(node))} (node)`,
        ratio: `${(peak(runsOf) / peak(node)).toFixed(2)}×`,
        goal: `≤ ${MAX_RSS_MB} MB`,
        verdict: peak(runsOf) <= MAX_RSS_MB ? 'met' : 'not met',
      });
    }
    return {
      title: 'Command start (bench/cli-start.ts)',
      notes: [
        `Each command ${runs} times through \`node bin/sovi.js\`, interleaved with \`node -e ''\` and with psql ` +
          'running the statements the command sent (captured from a run of it, parameters bound with ' +
          'PREPARE/EXECUTE), on a warm migrated database with 1,000 accounts and 20 devices. Wall time is ' +
          "from spawn to exit; peak RSS is GNU time's %M (KiB) in decimal MB. The `no bundles` row runs the " +
          'same command with SOVI_NO_VENDOR=1 (kysely and zod from their many files in node_modules), the ' +
          "`V8 defaults` row with SOVI_LEAN_HEAP=0 (V8's young generation free to grow, TurboFan and Maglev " +
          'on, as before bin/sovi.js set them for one-shot commands), in the same loop.',
      ],
      rows,
    };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    await server.dropDatabase(target.name);
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '15' },
      'print-only': { type: 'boolean', default: false },
    },
  });
  const server = await openBenchServer();
  try {
    const section = await cliStartBench(server, { runs: Number(values.runs) });
    console.log(renderSection(section));
    if (!values['print-only']) await writeSection(section, server.label);
  } finally {
    await server.close();
  }
}
