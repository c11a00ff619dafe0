// What raw snapshot retention may delete up to: the rollup refresh's watermark (every snapshot committed
// before it is folded in), held back to the oldest hour still waiting in the change log, whose raw rows the
// next refresh reads again. null until the refresh has run once.
import type pg from 'pg';
import { rollupStatus } from '../metrics/rollup-refresh.ts';

export async function rolledUpBefore(pool: pg.Pool): Promise<Date | null> {
  const { watermark, oldestPending } = await rollupStatus(pool);
  if (watermark === null) return null;
  return oldestPending !== null && oldestPending < watermark ? oldestPending : watermark;
}
