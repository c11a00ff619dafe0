// The event log: one way in, filtered and paginated reads, resolution, and following new events.
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { listEventsQuery } from '../../src/events/events-repository.ts';
import { createEventNotifier } from '../../src/events/event-notifier.ts';
import {
  eventFilter,
  followEvents,
  getEvent,
  queryEvents,
  recordEvent,
  resolveEvent,
} from '../../src/events/events-service.ts';
import type { SystemEvent } from '../../src/events/event-model.ts';
import { recordEventWithActivity } from '../../src/activity/activity-log.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';

const t = useTestDatabase();

describe('recording', () => {
  it('stores dates in a context as ISO strings, at any depth, in the event and its activity row', async () => {
    const at = new Date('2026-05-01T10:00:00.000Z');
    const device = await factories.device(t.pool);
    const event = await recordEventWithActivity(t.db, {
      category: 'device',
      severity: 'info',
      eventType: 'date_context',
      deviceId: String(device.id),
      message: 'dates',
      context: { at, nested: { list: [at, { when: at }] }, count: 10n, password: at },
    });
    const expected = {
      at: at.toISOString(),
      nested: { list: [at.toISOString(), { when: at.toISOString() }] },
      count: '10',
      password: '[redacted]',
    };
    expect(event.context).toEqual(expected);
    const { rows } = await t.pool.query<{ detail_json: unknown }>(
      `SELECT detail_json FROM activity_log WHERE action_type = 'date_context'`,
    );
    expect(rows.map((r) => r.detail_json)).toEqual([expected]);
  });

  it('records an event with its context, open until resolved', async () => {
    const device = await factories.device(t.pool);
    const event = await recordEvent(t.db, {
      category: 'device',
      severity: 'warning',
      eventType: 'battery_low',
      deviceId: String(device.id),
      message: 'battery at 12%',
      context: { level: 12 },
    });
    expect(event).toMatchObject({
      category: 'device',
      severity: 'warning',
      resolved: false,
      resolvedBy: null,
      context: { level: 12 },
    });
    expect((await getEvent(t.db, event.id)).message).toBe('battery at 12%');
  });

  it('drops secret-looking keys from the context, however deep', async () => {
    const event = await recordEvent(t.db, {
      category: 'auth',
      severity: 'info',
      eventType: 'probe',
      message: 'x',
      context: {
        password: 'hunter2',
        nested: { totp_secret: 'ABC', ok: 1, list: [{ api_token: 't' }] },
        email: 'a@b',
      },
    });
    expect(event.context).toEqual({
      password: '[redacted]',
      nested: { totp_secret: '[redacted]', ok: 1, list: [{ api_token: '[redacted]' }] },
      email: '[redacted]',
    });
  });

  it.each([
    [{ category: 'Device' }, /category must be snake_case/],
    [{ eventType: 'battery low' }, /event type must be snake_case/],
    [{ severity: 'fatal' }, /severity must be one of info, warning, error, critical/],
  ])('refuses %o', async (override, message) => {
    await expect(
      recordEvent(t.db, {
        category: 'device',
        severity: 'info',
        eventType: 'x',
        message: 'm',
        ...override,
      } as never),
    ).rejects.toThrow(message);
  });
});

describe('querying', () => {
  it('filters by unresolved, severity, category, type, device, account and time', async () => {
    const device = String((await factories.device(t.pool)).id);
    const account = String((await factories.account(t.pool)).id);
    const base = { category: 'scheduler', message: 'm' } as const;
    await recordEvent(t.db, {
      ...base,
      severity: 'error',
      eventType: 'session_failed',
      deviceId: device,
      accountId: account,
    });
    const resolved = await recordEvent(t.db, {
      ...base,
      severity: 'error',
      eventType: 'session_failed',
      deviceId: device,
    });
    await resolveEvent(t.db, resolved.id, { by: 'auto' });
    await recordEvent(t.db, { ...base, severity: 'info', eventType: 'warming_complete', accountId: account });
    await recordEvent(t.db, {
      ...base,
      category: 'device',
      severity: 'critical',
      eventType: 'device_lost',
      deviceId: device,
    });

    const ids = async (q: Parameters<typeof queryEvents>[1]) =>
      (await queryEvents(t.db, q)).events.map((e) => e.eventType);
    expect(await ids({ deviceId: device, unresolved: true })).toEqual(['device_lost', 'session_failed']);
    expect(await ids({ deviceId: device, severity: ['error'] })).toEqual([
      'session_failed',
      'session_failed',
    ]);
    expect(await ids({ accountId: account })).toEqual(['warming_complete', 'session_failed']);
    expect(await ids({ accountId: account, type: 'warming_complete' })).toEqual(['warming_complete']);
    expect(await ids({ deviceId: device, category: 'device' })).toEqual(['device_lost']);
    expect(await ids({ deviceId: device, since: new Date(Date.now() + 60_000) })).toEqual([]);
    await expect(queryEvents(t.db, { severity: ['loud'] })).rejects.toThrow(/severity: expected one of/);
    await expect(queryEvents(t.db, { since: new Date(2), until: new Date(1) })).rejects.toThrow(
      /until .* must be after since/,
    );
  });

  it('pages through events newest first without repeats or gaps, even within one millisecond', async () => {
    const account = String((await factories.account(t.pool)).id);
    // 25 events sharing one timestamp down to the microsecond, and 25 more a microsecond apart.
    await t.pool.query(
      `INSERT INTO system_events ("timestamp", category, severity, event_type, account_id, message)
       SELECT CASE WHEN i <= 25 THEN TIMESTAMPTZ '2026-11-01 10:00:00.123456Z'
                   ELSE TIMESTAMPTZ '2026-11-01 10:00:00.123000Z' + make_interval(secs => i / 1e6) END,
              'scheduler', 'info', 'page_probe', $1, 'e' || i
       FROM generate_series(1, 50) i`,
      [account],
    );
    const seen: SystemEvent[] = [];
    let after: string | undefined;
    do {
      const page = await queryEvents(t.db, { accountId: account, limit: 7, after });
      seen.push(...page.events);
      after = page.nextCursor ?? undefined;
    } while (after);
    expect(seen).toHaveLength(50);
    expect(new Set(seen.map((e) => e.id)).size).toBe(50);
    await expect(queryEvents(t.db, { after: 'garbage' })).rejects.toThrow(/after: not a cursor/);
  });
});

describe('resolving', () => {
  it('keeps who resolved an event, when, and the note', async () => {
    const event = await recordEvent(t.db, {
      category: 'device',
      severity: 'error',
      eventType: 'wda_error',
      message: 'm',
    });
    const resolved = await resolveEvent(t.db, event.id, {
      by: 'llm_agent',
      note: 'restarted WDA',
      actor: 'triage-bot',
    });
    expect(resolved).toMatchObject({
      resolved: true,
      resolvedBy: 'llm_agent',
      context: { resolution: { note: 'restarted WDA', actor: 'triage-bot' } },
    });
    expect(resolved.resolvedAt).toBeInstanceOf(Date);
    await expect(resolveEvent(t.db, event.id, { by: 'human' })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/already resolved by llm_agent at/),
    });
    await expect(resolveEvent(t.db, 999_999_999, { by: 'human' })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(resolveEvent(t.db, event.id, { by: 'robot' })).rejects.toThrow(
      /by: expected one of human, llm_agent, auto/,
    );
  });
});

describe('following', () => {
  it('delivers new matching events in order as they are recorded', async () => {
    const account = String((await factories.account(t.pool)).id);
    const start = (await queryEvents(t.db, { limit: 1 })).events[0]?.id ?? 0;
    const got: string[] = [];
    const controller = new AbortController();
    let arrived: () => void = () => undefined;
    const three = new Promise<void>((resolve) => (arrived = resolve));
    const notifier = createEventNotifier(t.pool, quietLogger);
    const following = followEvents(
      t.db,
      eventFilter({ accountId: account }),
      start,
      (e) => {
        got.push(e.message);
        if (got.length === 3) arrived();
      },
      controller.signal,
      { subscribe: notifier.subscribe, pollMs: 60_000 }, // Long poll: only NOTIFY can deliver these in time.
    );
    for (const message of ['one', 'two', 'three']) {
      await recordEvent(t.db, {
        category: 'scheduler',
        severity: 'info',
        eventType: 'probe',
        accountId: account,
        message,
      });
      await recordEvent(t.db, {
        category: 'scheduler',
        severity: 'info',
        eventType: 'probe',
        message: 'other account',
      });
    }
    await three;
    controller.abort();
    await following;
    await notifier.close();
    expect(got).toEqual(['one', 'two', 'three']);
  });
});

describe('query plans on 200,000 events', () => {
  it('serves each filter from the spec index made for it', async () => {
    const device = String((await factories.device(t.pool)).id);
    const account = String((await factories.account(t.pool)).id);
    await t.pool.query(
      `INSERT INTO system_events ("timestamp", category, severity, event_type, device_id, account_id, message, resolved, resolved_by, resolved_at)
       SELECT now() - make_interval(secs => i), 'scheduler',
              (ARRAY['info','info','info','warning','error','critical'])[1 + i % 6],
              'type_' || (i % 50),
              CASE WHEN i % 100 = 0 THEN $1::uuid END, CASE WHEN i % 100 = 1 THEN $2::uuid END, 'bulk',
              i % 20 <> 0, CASE WHEN i % 20 <> 0 THEN 'auto' END, CASE WHEN i % 20 <> 0 THEN now() END
       FROM generate_series(1, 200000) i`,
      [device, account],
    );
    await t.pool.query('ANALYZE system_events');
    const planFor = async (filter: Parameters<typeof listEventsQuery>[1]) => {
      const compiled = listEventsQuery(t.db, filter, 51).compile();
      const { rows } = await sql
        .raw<{ 'QUERY PLAN': string }>(`EXPLAIN ${inline(compiled.sql, compiled.parameters)}`)
        .execute(t.db);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    };
    expect(await planFor({ unresolved: true, severities: ['critical'] })).toMatch(/idx_events_unresolved/);
    expect(await planFor({ deviceId: device })).toMatch(/idx_events_device/);
    expect(await planFor({ accountId: account })).toMatch(/idx_events_account/);
    expect(await planFor({ eventType: 'type_7' })).toMatch(/idx_events_type_time/);
  });
});

/** Inlines parameters so EXPLAIN plans the query as the application's custom plan would. */
function inline(text: string, parameters: readonly unknown[]): string {
  return text.replace(/\$(\d+)/g, (_, i: string) => {
    const v = parameters[Number(i) - 1];
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    return `'${String(v).replace(/'/g, "''")}'`;
  });
}
