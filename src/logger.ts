// One pino logger for the process. Logs go to stderr so that a command's stdout stays its result.
import { pino, type Logger } from 'pino';
import type { Config, LogLevel } from './config.ts';

export type { Logger };

export function createLogger(
  log: Config['log'],
  defaultLevel: LogLevel = 'info',
  stream: NodeJS.WritableStream = process.stderr,
): Logger {
  const level = log.level ?? defaultLevel;
  const pretty =
    log.format === 'pretty' || (log.format === 'auto' && 'isTTY' in stream && stream.isTTY === true);
  if (pretty) {
    return pino({
      level,
      transport: { target: 'pino-pretty', options: { destination: 2, ignore: 'pid,hostname' } },
    });
  }
  return pino({ level }, stream);
}
