// The warming day rule in its two forms: dayCountAfter (TypeScript: the session's day when it starts) and
// dayCountAfterSql (the statement that marks a successful session works it out under the account's lock).
// They agree on generated accounts and times, the UTC day's edges included, whatever the session's time zone,
// and on timestamps with microseconds (rows written by PostgreSQL's now()), which JavaScript reads to the ms.
import fc from 'fast-check';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { dayCountAfter, dayCountAfterSql } from '../../src/warming/warming-policy.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { fuzzParams } from '../helpers/fuzz.ts';

const t = useTestDatabase();
const DAY = 86_400_000;
const base = Date.UTC(2026, 2, 28); // Europe changes its clocks on the 29th.

/** A time within two days either side of `base`'s day, often right on or beside a day's edge. */
const near = fc.oneof(
  fc.integer({ min: -2 * DAY, max: 3 * DAY - 1 }),
  fc.constantFrom(-1, 0, DAY - 1, DAY, DAY + 1, 2 * DAY - 1, 2 * DAY, -DAY, -DAY - 1),
);

it('dayCountAfterSql agrees with dayCountAfter', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.option(near, { nil: null }),
      fc.integer({ min: 0, max: 400 }),
      near,
      fc.integer({ min: 0, max: 999 }),
      fc.constantFrom('UTC', 'Europe/Berlin', 'Pacific/Kiritimati', 'America/St_Johns'),
      async (lastOffset, dayCount, nowOffset, micros, zone) => {
        const lastWarmedAt = lastOffset === null ? null : new Date(base + lastOffset);
        const now = new Date(base + nowOffset);
        const inSql = await t.db.transaction().execute(async (trx) => {
          await sql`SELECT set_config('TimeZone', ${zone}, true)`.execute(trx);
          const { rows } = await sql<{ day: number }>`
            SELECT ${dayCountAfterSql(now)} AS day
            FROM (SELECT ${lastWarmedAt}::timestamptz + make_interval(secs => ${micros} / 1e6) AS last_warmed_at,
                         ${dayCount}::int AS warming_day_count) a`.execute(trx);
          return rows[0]?.day;
        });
        expect(inSql).toBe(dayCountAfter(lastWarmedAt, dayCount, now));
      },
    ),
    fuzzParams(150),
  );
});
