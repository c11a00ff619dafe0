// What the kernel says about processes, for the benches that run sovi as real processes: CPU seconds (of a
// process, of the PostgreSQL server's whole tree, of the machine) and memory (RSS, peak RSS), read from
// /proc. Linux only, like the rest of the benches' process handling.
import fs from 'node:fs';
import os from 'node:os';
import type pg from 'pg';

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux the benches run on (getconf CLK_TCK)

interface StatFields {
  ppid: number;
  /** utime + stime of the process itself, seconds. */
  own: number;
  /** cutime + cstime: children it has waited for, seconds. */
  children: number;
}

function readStat(pid: number): StatFields | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone
  }
  // The command name (field 2) may hold spaces and parentheses: the fields after it start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const n = (i: number) => Number(fields[i - 3]);
  return {
    ppid: n(4),
    own: (n(14) + n(15)) / TICKS_PER_SECOND,
    children: (n(16) + n(17)) / TICKS_PER_SECOND,
  };
}

/** CPU seconds a process has used so far (itself only), or undefined once it is gone. */
export const processCpuSeconds = (pid: number): number | undefined => readStat(pid)?.own;

/** VmRSS and VmHWM (peak RSS) of a live process, in MiB. */
export function processMemory(pid: number): { rssMiB: number; peakMiB: number } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
}

/**
 * CPU seconds of a PostgreSQL server: the postmaster, its live children (backends, autovacuum, checkpointer,
 * walwriter…), and the children it has reaped (cutime/cstime: backends whose connection ended). A backend
 * that ends inside a measured window counts whole, its time before the window too: a small overcount.
 */
export function serverCpuSeconds(postmasterPid: number): number {
  const postmaster = readStat(postmasterPid);
  if (!postmaster) throw new Error(`bench: no PostgreSQL postmaster with pid ${postmasterPid}`);
  let total = postmaster.own + postmaster.children;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat?.ppid === postmasterPid) total += stat.own;
  }
  return total;
}

/** The postmaster of the server a pool talks to: the parent of one of its backends. */
export async function postmasterPid(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const backend = readStat(rows[0]!.pid);
  if (!backend) throw new Error('bench: the PostgreSQL server does not run on this machine');
  return backend.ppid;
}

/** Busy and total CPU seconds of the whole machine (all cores) so far. */
export function machineCpuSeconds(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    const t = cpu.times;
    busy += t.user + t.nice + t.sys + t.irq;
    total += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  return { busy: busy / 1000, total: total / 1000 };
}

/** CPU seconds of this Node process (the bench itself: load generator, baselines, samplers). */
export function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * Samples a live process every `intervalMs`: RSS over time, and the last CPU and peak RSS seen (what a
 * process that exits leaves behind).
 */
export function watchProcess(pid: number, intervalMs = 1_000) {
  const samples: { at: number; rssMiB: number }[] = [];
  let cpu = processCpuSeconds(pid) ?? 0;
  const cpuAtStart = cpu;
  let peakMiB = 0;
  const sample = () => {
    const mem = processMemory(pid);
    const seconds = processCpuSeconds(pid);
    if (!mem || seconds === undefined) return;
    samples.push({ at: Date.now(), rssMiB: mem.rssMiB });
    peakMiB = Math.max(peakMiB, mem.peakMiB);
    cpu = seconds;
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    sample,
    samples,
    /** CPU seconds since the watch started, as last seen. */
    cpuSeconds: () => cpu - cpuAtStart,
    peakMiB: () => peakMiB,
    stop: () => clearInterval(timer),
  };
}
