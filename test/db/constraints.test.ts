// The database itself refuses values outside the spec's closed sets and ranges.
import { describe, expect, it } from 'vitest';
import { factories } from '../helpers/factories.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { accountStates } from './spec-schema.ts';

const t = useTestDatabase();

const rejects = async (promise: Promise<unknown>, code = '23514') =>
  expect(promise).rejects.toMatchObject({ code });

describe('accounts', () => {
  it.each(accountStates)('accepts the spec state %s', async (state) => {
    await expect(factories.account(t.pool, { current_state: state })).resolves.toMatchObject({
      current_state: state,
    });
  });

  it.each(['paused', 'ACTIVE', 'warming_p4', ''])('rejects the state "%s"', async (state) => {
    await rejects(factories.account(t.pool, { current_state: state }));
  });

  it.each(['youtube', 'TikTok', ''])('rejects the platform "%s"', async (platform) => {
    await rejects(factories.account(t.pool, { platform }));
  });

  it('starts new accounts in created', async () => {
    await expect(factories.account(t.pool)).resolves.toMatchObject({
      current_state: 'created',
      warming_day_count: 0,
    });
  });

  it('keeps a username unique per platform among live accounts, case-insensitively', async () => {
    const first = await factories.account(t.pool, { username: 'Same_Name' });
    await rejects(factories.account(t.pool, { username: 'same_name' }), '23505');
    await expect(
      factories.account(t.pool, { username: 'same_name', platform: 'instagram' }),
    ).resolves.toBeTruthy();
    await t.pool.query('UPDATE accounts SET deleted_at = now() WHERE id = $1', [first.id]);
    await expect(factories.account(t.pool, { username: 'same_name' })).resolves.toBeTruthy();
  });
});

describe('devices', () => {
  it.each(['active', 'maintenance', 'failed', 'disconnected'])('accepts the status %s', async (status) => {
    await expect(factories.device(t.pool, { status })).resolves.toMatchObject({ status });
  });

  it.each(['online', 'broken', ''])('rejects the status "%s"', async (status) => {
    await rejects(factories.device(t.pool, { status }));
  });

  it.each([0, 42.5, 100])('accepts battery %s', async (battery_level) => {
    await expect(factories.device(t.pool, { battery_level })).resolves.toMatchObject({ battery_level });
  });

  it.each([-1, 100.1, 250])('rejects battery %s', async (battery_level) => {
    await rejects(factories.device(t.pool, { battery_level }));
  });

  it('rejects a duplicate udid', async () => {
    await factories.device(t.pool, { udid: 'dup-udid' });
    await rejects(factories.device(t.pool, { udid: 'dup-udid' }), '23505');
  });

  it.each([0, 70000])('rejects the wda_port %s', async (wda_port) => {
    await rejects(factories.device(t.pool, { wda_port }));
  });
});

describe('system_events', () => {
  it.each(['info', 'warning', 'error', 'critical'])('accepts severity %s', async (severity) => {
    await expect(factories.event(t.pool, { severity })).resolves.toMatchObject({ severity, resolved: false });
  });

  it.each(['debug', 'fatal', 'WARN'])('rejects severity "%s"', async (severity) => {
    await rejects(factories.event(t.pool, { severity }));
  });

  it.each(['human', 'llm_agent', 'auto'])(
    'accepts resolved_by %s on a resolved event',
    async (resolved_by) => {
      await expect(
        factories.event(t.pool, { resolved: true, resolved_by, resolved_at: new Date() }),
      ).resolves.toMatchObject({ resolved_by });
    },
  );

  it('rejects an unknown resolver', async () => {
    await rejects(factories.event(t.pool, { resolved: true, resolved_by: 'robot', resolved_at: new Date() }));
  });

  it('rejects a resolved event that does not say who resolved it and when', async () => {
    await rejects(factories.event(t.pool, { resolved: true }));
    await rejects(
      factories.event(t.pool, { resolved: false, resolved_by: 'human', resolved_at: new Date() }),
    );
  });
});

describe('content, distributions, hooks, warming', () => {
  it.each(['scripting', 'generating', 'assembling', 'distributing', 'complete', 'failed'])(
    'accepts production_status %s',
    async (production_status) => {
      await expect(factories.content(t.pool, { production_status })).resolves.toMatchObject({
        production_status,
      });
    },
  );

  it.each(['rendering', 'done', ''])('rejects production_status "%s"', async (production_status) => {
    await rejects(factories.content(t.pool, { production_status }));
  });

  it.each(['pending', 'failed'])('accepts distribution status %s', async (status) => {
    await expect(factories.distribution(t.pool, { status })).resolves.toMatchObject({ status });
  });

  it.each(['posted', 'removed'])('accepts distribution status %s with a posting time', async (status) => {
    await expect(factories.distribution(t.pool, { status, posted_at: new Date() })).resolves.toMatchObject({
      status,
    });
  });

  it('rejects a posted distribution without posted_at, and unknown statuses', async () => {
    await rejects(factories.distribution(t.pool, { status: 'posted' }));
    await rejects(factories.distribution(t.pool, { status: 'scheduled' }));
    await rejects(factories.distribution(t.pool, { platform: 'youtube' }));
  });

  it.each([0, 0.5, 1])('accepts scores of %s', async (score) => {
    await expect(factories.hook(t.pool, { effectiveness_score: score })).resolves.toBeTruthy();
    await expect(factories.content(t.pool, { quality_score: score })).resolves.toBeTruthy();
  });

  it.each([-0.01, 1.01, 5])('rejects scores of %s', async (score) => {
    await rejects(factories.hook(t.pool, { effectiveness_score: score }));
    await rejects(factories.content(t.pool, { quality_score: score }));
  });

  it.each([1, 2, 3, 4])('accepts warming_phase %s', async (warming_phase) => {
    await expect(factories.warmingSession(t.pool, { warming_phase })).resolves.toMatchObject({
      warming_phase,
    });
  });

  it.each([0, 5, -1])('rejects warming_phase %s', async (warming_phase) => {
    await rejects(factories.warmingSession(t.pool, { warming_phase }));
  });

  it('rejects metric rates outside 0–1 and negative counts', async () => {
    const d = await factories.distribution(t.pool);
    const snap = (values: Record<string, unknown>) =>
      t.pool.query(
        `INSERT INTO metric_snapshots (time, distribution_id, views, engagement_rate, completion_rate)
         VALUES (now(), $1, $2, $3, $4)`,
        [d.id, values.views ?? 1, values.engagement_rate ?? 0.1, values.completion_rate ?? 0.5],
      );
    await expect(snap({})).resolves.toBeTruthy();
    await rejects(snap({ engagement_rate: 1.5 }));
    await rejects(snap({ completion_rate: -0.1 }));
    await rejects(snap({ views: -1 }));
  });

  it('rejects a niche slug that is not snake_case, and a duplicate slug', async () => {
    await rejects(t.pool.query(`INSERT INTO niches (name, slug) VALUES ('X', 'Not A Slug')`));
    await rejects(t.pool.query(`INSERT INTO niches (name, slug) VALUES ('X', 'motivation')`), '23505');
  });
});
