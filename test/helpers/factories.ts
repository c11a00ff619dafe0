// Row factories with sensible defaults, overridable per test. They write through plain SQL so that the
// schema tests exercise the database's own rules, not a service's.
import type pg from 'pg';

let counter = 0;
const unique = (prefix: string) =>
  `${prefix}${process.pid}_${++counter}_${Math.random().toString(36).slice(2, 8)}`;

type Row = Record<string, unknown>;

async function insert(pool: pg.Pool, table: string, values: Row): Promise<Row> {
  const keys = Object.keys(values);
  const { rows } = await pool.query(
    `INSERT INTO ${table} (${keys.map((k) => `"${k}"`).join(', ')})
     VALUES (${keys.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING *`,
    keys.map((k) => values[k]),
  );
  return rows[0] as Row;
}

export const factories = {
  device: (pool: pg.Pool, values: Row = {}) =>
    insert(pool, 'devices', { name: unique('iPhone-'), udid: unique('udid-'), wda_port: 8100, ...values }),
  account: (pool: pg.Pool, values: Row = {}) =>
    insert(pool, 'accounts', { platform: 'tiktok', username: unique('user_'), ...values }),
  hook: (pool: pg.Pool, values: Row = {}) =>
    insert(pool, 'hooks', { category: 'curiosity_gap', template: 'You will not believe {topic}', ...values }),
  content: (pool: pg.Pool, values: Row = {}) =>
    insert(pool, 'content', { topic: unique('topic '), ...values }),
  distribution: async (pool: pg.Pool, values: Row = {}) => {
    const contentId = values.content_id ?? (await factories.content(pool)).id;
    const accountId = values.account_id ?? (await factories.account(pool)).id;
    return insert(pool, 'distributions', {
      platform: 'tiktok',
      ...values,
      content_id: contentId,
      account_id: accountId,
    });
  },
  event: (pool: pg.Pool, values: Row = {}) =>
    insert(pool, 'system_events', {
      category: 'scheduler',
      severity: 'info',
      event_type: 'probe',
      message: 'probe',
      ...values,
    }),
  warmingSession: async (pool: pg.Pool, values: Row = {}) => {
    const accountId = values.account_id ?? (await factories.account(pool)).id;
    return insert(pool, 'warming_progress', {
      platform: 'tiktok',
      warming_phase: 1,
      warming_day: 1,
      ...values,
      account_id: accountId,
    });
  },
};
