// @no-database
// Configuration is read once and refuses bad values by variable name.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import type { SoviError } from '../src/errors.ts';

const configError = (env: Record<string, string>): SoviError => {
  try {
    loadConfig(env, '/srv/app');
  } catch (err) {
    return err as SoviError;
  }
  throw new Error('expected a configuration error');
};

describe('configuration', () => {
  it('defaults to the embedded database, ./.sovi, port 8080 and a pool of 2–10', () => {
    const config = loadConfig({}, '/srv/app');
    expect(config.home).toBe('/srv/app/.sovi');
    expect(config.database.target).toEqual({ kind: 'embedded', port: undefined, osUser: 'postgres' });
    expect(config.database.pool).toEqual({ min: 2, max: 10 });
    expect(config.http).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(Object.isFrozen(config.database.pool)).toBe(true);
  });

  it('uses DATABASE_URL, or the standard PG* variables, for an existing server', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/sovi' }).database.target).toMatchObject({
      kind: 'external',
      connection: { url: 'postgres://u:p@db:5432/sovi' },
    });
    expect(
      loadConfig({ PGHOST: 'db', PGPORT: '6543', PGUSER: 'u', PGDATABASE: 'x' }).database.target,
    ).toMatchObject({
      kind: 'external',
      connection: { host: 'db', port: 6543, user: 'u', database: 'x' },
    });
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', SOVI_PORT: '' }).http.port).toBe(8080);
  });

  it('infers the application role when DDL runs as another user', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://sovi_app:x@db/sovi',
      SOVI_MIGRATION_DATABASE_URL: 'postgres://owner:y@db/sovi',
    });
    expect(config.database.appRole).toBe('sovi_app');
    expect(loadConfig({ DATABASE_URL: 'postgres://sovi_app:x@db/sovi' }).database.appRole).toBeUndefined();
    expect(
      loadConfig({ DATABASE_URL: 'postgres://a@db/sovi', SOVI_DB_APP_ROLE: 'explicit_role' }).database
        .appRole,
    ).toBe('explicit_role');
  });

  it.each([
    [
      { SOVI_PORT: 'eighty' },
      'SOVI_PORT',
      /SOVI_PORT: expected an integer between 0 and 65535 \(got "eighty"\)/,
    ],
    [{ SOVI_PORT: '70000' }, 'SOVI_PORT', /SOVI_PORT/],
    [
      { DATABASE_URL: 'mysql://x' },
      'DATABASE_URL',
      /DATABASE_URL: expected a postgres:\/\/ or postgresql:\/\/ URL/,
    ],
    [{ SOVI_DB_POOL_MAX: '0' }, 'SOVI_DB_POOL_MAX', /SOVI_DB_POOL_MAX/],
    [
      { SOVI_DB_POOL_MIN: '20' },
      'SOVI_DB_POOL_MIN',
      /SOVI_DB_POOL_MIN \(20\) must not exceed SOVI_DB_POOL_MAX \(10\)/,
    ],
    [{ SOVI_LOG_LEVEL: 'loud' }, 'SOVI_LOG_LEVEL', /SOVI_LOG_LEVEL: expected one of fatal, error/],
    [{ SOVI_MIGRATION_DATABASE_URL: 'postgres://o@db/x' }, 'SOVI_MIGRATION_DATABASE_URL', /set both/],
    [
      { SOVI_PLAN_CRON: 'every minute' },
      'SOVI_PLAN_CRON',
      /SOVI_PLAN_CRON: expected a cron expression of five fields .* \(got "every minute"\)/,
    ],
    [
      { SOVI_ROLLUP_REFRESH_CRON: '61 * * * *' },
      'SOVI_ROLLUP_REFRESH_CRON',
      /SOVI_ROLLUP_REFRESH_CRON: expected a cron/,
    ],
    [{ SOVI_FEEDBACK_CRON: '1 2 3' }, 'SOVI_FEEDBACK_CRON', /SOVI_FEEDBACK_CRON: expected a cron/],
    [
      { SOVI_MAINTENANCE_CRON: '* * 32 * *' },
      'SOVI_MAINTENANCE_CRON',
      /SOVI_MAINTENANCE_CRON: expected a cron/,
    ],
    [
      { SOVI_TRENDS_PULL_CRON: 'never' },
      'SOVI_TRENDS_PULL_CRON',
      /SOVI_TRENDS_PULL_CRON: expected a cron.*, or off/,
    ],
    [{ SOVI_PLAN_CRON: 'off' }, 'SOVI_PLAN_CRON', /SOVI_PLAN_CRON: expected a cron/],
    [{ SOVI_PLAN_CRON: '*/5 * * * * *' }, 'SOVI_PLAN_CRON', /SOVI_PLAN_CRON: expected a cron/],
  ])('refuses %o naming %s', (env, field, message) => {
    const error = configError(env);
    expect(error.code).toBe('config');
    expect(error.details.field).toBe(field);
    expect(error.message).toMatch(message);
  });

  it('reports every bad variable at once', () => {
    const error = configError({ SOVI_PORT: 'x', SOVI_LOG_LEVEL: 'y' });
    expect(error.details.issues?.map((i) => i.field)).toEqual(['SOVI_PORT', 'SOVI_LOG_LEVEL']);
  });

  it('never echoes a password from a bad URL-shaped value', () => {
    const error = configError({ DATABASE_URL: 'mysql://user:hunter2@db/x' });
    expect(error.message).not.toContain('hunter2');
  });
});

describe('cron variables', () => {
  it('accepts every cron expression pg-boss can schedule, and off where the job may be switched off', () => {
    const config = loadConfig({
      SOVI_PLAN_CRON: '*/5 * * * *',
      SOVI_ROLLUP_REFRESH_CRON: ' 0 * * * * ',
      SOVI_FEEDBACK_CRON: '15 3 * * mon-fri',
      SOVI_MAINTENANCE_CRON: '30 3 1 jan *',
      SOVI_TRENDS_PULL_CRON: 'off',
    });
    expect(config.scheduler.planCron).toBe('*/5 * * * *');
    expect(config.metrics.refreshCron).toBe('0 * * * *');
    expect(config.metrics.feedbackCron).toBe('15 3 * * mon-fri');
    expect(config.maintenance.cron).toBe('30 3 1 jan *');
    expect(config.trends.pullCron).toBe('off');
  });

  it('reports every bad cron variable at once', () => {
    const error = configError({ SOVI_PLAN_CRON: 'x', SOVI_FEEDBACK_CRON: 'y' });
    expect(error.details.issues?.map((i) => i.field)).toEqual(['SOVI_PLAN_CRON', 'SOVI_FEEDBACK_CRON']);
  });
});
