// Progress for long work: a bar on a terminal, and a line every tenth of the way otherwise (logs, CI), so
// that a long import or rotation is never silent.
import type * as CliProgress from 'cli-progress';
import { createRequire } from 'node:module';

// cli-progress is loaded only when a bar is drawn: a command module that may show progress loads this file
// for every one of its commands.
const require = createRequire(import.meta.url);

export interface Progress {
  update(done: number, total?: number): void;
  stop(): void;
}

export function progress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY) {
    const { SingleBar, Presets } = require('cli-progress') as typeof CliProgress;
    const bar = new SingleBar(
      {
        format: `${label} [{bar}] {percentage}% {value}/{total} eta {eta_formatted}`,
        stream,
        clearOnComplete: false,
      },
      Presets.shades_classic,
    );
    let started = false;
    return {
      update: (done, total) => {
        if (!started) {
          bar.start(total ?? done, done);
          started = true;
        } else {
          if (total !== undefined) bar.setTotal(total);
          bar.update(done);
        }
      },
      stop: () => {
        if (started) bar.stop();
      },
    };
  }
  let lastTenth = -1;
  return {
    update: (done, total) => {
      if (!total) return;
      const tenth = Math.floor((done / total) * 10);
      if (tenth > lastTenth) {
        lastTenth = tenth;
        stream.write(`${label}: ${Math.round((done / total) * 100)}% (${done}/${total})\n`);
      }
    },
    stop: () => undefined,
  };
}
