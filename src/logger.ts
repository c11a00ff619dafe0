// One pino logger for the process. Logs go to stderr so that a command's stdout stays its result.
import { pino, type Logger } from 'pino';
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

export function createLogger(
  log: Config['log'],
  defaultLevel: LogLevel = 'info',
  stream: NodeJS.WritableStream = process.stderr,
): Logger {
  const level = log.level ?? defaultLevel;
  // Defence in depth: code never logs secrets, but a careless `{ secrets }` or `{ password }` is censored.
  const redact = {
    paths: [...SECRET_KEYS, ...SECRET_KEYS.map((k) => `*.${k}`)],
    censor: '[redacted]',
  };
  const pretty =
    log.format === 'pretty' || (log.format === 'auto' && 'isTTY' in stream && stream.isTTY === true);
  if (pretty) {
    return pino({
      level,
      redact,
      transport: { target: 'pino-pretty', options: { destination: 2, ignore: 'pid,hostname' } },
    });
  }
  return pino({ level, redact }, stream);
}
