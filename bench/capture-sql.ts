// Preloaded with --import by bench/cli-start.ts: records every statement a sovi command sends (text and
// parameters) to the file named by SOVI_BENCH_CAPTURE_SQL, so that psql can run the same SQL as a baseline.
import { appendFileSync } from 'node:fs';
import pg from 'pg';

const file = process.env.SOVI_BENCH_CAPTURE_SQL;
// eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the client as `this`
const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
if (file !== undefined) {
  pg.Client.prototype.query = function capture(this: pg.Client, ...args: unknown[]) {
    const [first, second] = args;
    const text = typeof first === 'string' ? first : (first as { text?: string } | undefined)?.text;
    const values = Array.isArray(second) ? second : (first as { values?: unknown[] } | undefined)?.values;
    if (text !== undefined) appendFileSync(file, `${JSON.stringify({ text, values: values ?? [] })}\n`);
    return query.apply(this, args);
  } as typeof pg.Client.prototype.query;
}
