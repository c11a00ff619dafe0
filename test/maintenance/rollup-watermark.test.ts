// Snapshot retention stops at what the rollups hold for good: the refresh watermark, or an older hour still
// waiting for its refresh.
import { describe, expect, it } from 'vitest';
import { rolledUpBefore } from '../../src/maintenance/rollup-watermark.ts';
import { useTestDatabase } from '../helpers/database.ts';

const t = useTestDatabase();

describe('the rolled-up-before watermark', () => {
  it('is unknown until the refresh ran, then its watermark, held back by hours waiting for a refresh', async () => {
    await t.pool.query('UPDATE metric_rollup_state SET watermark = NULL');
    expect(await rolledUpBefore(t.pool)).toBeNull();

    const watermark = new Date('2026-03-10T12:34:56Z');
    await t.pool.query('UPDATE metric_rollup_state SET watermark = $1', [watermark]);
    expect(await rolledUpBefore(t.pool)).toEqual(watermark);

    // A late snapshot for an hour before the watermark: its hour is read again by the next refresh.
    await t.pool.query(`INSERT INTO metric_snapshots (time, views) VALUES ('2026-03-01T05:20:00Z', 1)`);
    expect(await rolledUpBefore(t.pool)).toEqual(new Date('2026-03-01T05:00:00Z'));

    await t.pool.query('DELETE FROM metric_rollup_changes');
    expect(await rolledUpBefore(t.pool)).toEqual(watermark);
  });
});
