// One pino logger for the process. Logs go to stderr so that a command's stdout stays its result.
import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';
import type { Config, LogLevel } from './config.ts';

export type { Logger };

const SECRET_KEYS = [
  'secrets',
  'password',
  'email',
  'totp_secret',
  'proxy_credentials',
  'email_enc',
  'password_enc',
  'totp_secret_enc',
];

const require = createRequire(import.meta.url);

/**
 * pino-pretty writing to stderr in this thread, loaded at the first line logged. A one-shot command logs at
 * warn and mostly nothing: pino's transport would start a worker thread (about 10 MB and tens of ms) for
 * every command, and loading pino-pretty itself is wasted when no line comes.
 */
function prettyInProcess(): { write(line: string): boolean } {
  let pretty: NodeJS.WritableStream | undefined;
  return {
    write(line) {
      if (pretty === undefined) {
        const { build } = require('pino-pretty') as typeof PinoPretty;
        pretty = build({ destination: 2, sync: true, ignore: 'pid,hostname' });
      }
      return pretty.write(line);
    },
  };
}

export function createLogger(
  log: Config['log'],
  defaultLevel: LogLevel = 'info',
  stream: NodeJS.WritableStream = process.stderr,
  /** A one-shot command: pretty logs are formatted in this thread rather than by a transport's worker. */
  options: { oneShot?: boolean } = {},
): Logger {
  const level = log.level ?? defaultLevel;
  // Defence in depth: code never logs secrets, but a careless `{ secrets }` or `{ password }` is censored.
  const redact = {
    paths: [...SECRET_KEYS, ...SECRET_KEYS.map((k) => `*.${k}`)],
    censor: '[redacted]',
  };
  const pretty =
    log.format === 'pretty' || (log.format === 'auto' && 'isTTY' in stream && stream.isTTY === true);
  if (pretty && options.oneShot === true) return pino({ level, redact }, prettyInProcess());
  if (pretty) {
    // A long-running process keeps formatting off its event loop, in the transport's worker thread.
    return pino({
      level,
      redact,
      transport: { target: 'pino-pretty', options: { destination: 2, ignore: 'pid,hostname' } },
    });
  }
  return pino({ level, redact }, stream);
}
