// The content library over HTTP: search, filters (niche, status, format, creation time), sorting with keyset
// pages that belong to their sort, the formats to choose from, and archiving finished content out of the
// board and the default listing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordEvent } from '../../src/events/events-service.ts';
import { factories } from '../helpers/factories.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { startTestApp, type TestApp } from './helpers.ts';

const t = useTestDatabase();
let api: TestApp;
beforeAll(async () => {
  api = await startTestApp(t);
});
afterAll(() => api.close());

const nicheId = async (slug: string) =>
  (await t.pool.query<{ id: string }>('SELECT id FROM niches WHERE slug = $1', [slug])).rows[0]!.id;

interface Listed {
  id: string;
  topic: string;
  archivedAt: string | null;
}

/** Every page of a listing, following nextCursor. */
async function all(query: string): Promise<Listed[]> {
  const seen: Listed[] = [];
  let after: string | null = null;
  do {
    const res = await api.call('GET', `/api/v1/content?${query}&limit=2${after ? `&after=${after}` : ''}`);
    expect(res.statusCode, res.body).toBe(200);
    seen.push(...res.json().content);
    after = res.json().nextCursor;
  } while (after);
  return seen;
}

describe('the content library', () => {
  let ids: Record<string, string>;
  beforeAll(async () => {
    const finance = await nicheId('personal_finance');
    const motivation = await nicheId('motivation');
    const rows: [string, string, string, string, string, object | null][] = [
      // topic, niche, format, status, created, script
      ['apple budgeting', finance, 'faceless', 'complete', '2026-11-01T10:00:00Z', null],
      ['banana savings', finance, 'reddit_story', 'failed', '2026-11-02T10:00:00Z', null],
      ['cherry habits', motivation, 'faceless', 'scripting', '2026-11-03T10:00:00Z', null],
      [
        'date discipline',
        motivation,
        'faceless',
        'complete',
        '2026-11-04T10:00:00Z',
        { title: 'The 100% rule', narration: 'Wake up at five, every day.' },
      ],
      ['elder index funds', finance, 'faceless', 'complete', '2026-11-05T10:00:00Z', null],
    ];
    ids = {};
    for (const [topic, niche, format, status, created, script] of rows) {
      const row = await factories.content(t.pool, {
        topic,
        niche_id: niche,
        content_format: format,
        production_status: status,
        created_at: created,
        script_json: script === null ? null : JSON.stringify(script),
      });
      ids[topic.split(' ')[0]!] = row.id as string;
    }
  });

  it('lists newest first in pages, and sorts by topic or update time either way', async () => {
    const topics = (list: Listed[]) => list.map((c) => c.topic.split(' ')[0]);
    expect(topics(await all('sort=created'))).toEqual(['elder', 'date', 'cherry', 'banana', 'apple']);
    expect(topics(await all('sort=created&order=asc'))).toEqual([
      'apple',
      'banana',
      'cherry',
      'date',
      'elder',
    ]);
    expect(topics(await all('sort=topic'))).toEqual(['apple', 'banana', 'cherry', 'date', 'elder']);
    expect(topics(await all('sort=topic&order=desc'))).toEqual([
      'elder',
      'date',
      'cherry',
      'banana',
      'apple',
    ]);
    await t.pool.query(`UPDATE content SET quality_score = 0.9 WHERE id = $1`, [ids.banana]);
    expect(topics(await all('sort=updated')).at(0)).toBe('banana');
  });

  it('searches the topic, the script’s title and its narration, with % as text', async () => {
    expect((await all('q=SAVINGS')).map((c) => c.id)).toEqual([ids.banana]);
    expect((await all('q=wake%20up')).map((c) => c.id)).toEqual([ids.date]);
    expect((await all('q=100%25')).map((c) => c.id)).toEqual([ids.date]);
    expect(await all('q=%25%25nothing')).toEqual([]);
  });

  it('filters by niche, status, format and creation time, together', async () => {
    const found = (q: string) => all(q).then((l) => l.map((c) => c.id).sort());
    expect(await found('niche=motivation')).toEqual([ids.cherry, ids.date].sort());
    expect(await found('status=complete,failed&niche=personal_finance')).toEqual(
      [ids.apple, ids.banana, ids.elder].sort(),
    );
    expect(await found('format=reddit_story')).toEqual([ids.banana]);
    expect(await found('since=2026-11-02T00:00:00Z&until=2026-11-04T00:00:00Z')).toEqual(
      [ids.banana, ids.cherry].sort(),
    );
  });

  it('names a bad filter, sort or a cursor from another sort', async () => {
    for (const [query, field] of [
      ['format=vlog', 'format'],
      ['sort=views', 'sort'],
      ['since=yesterday-ish', 'since'],
    ] as const) {
      const res = await api.call('GET', `/api/v1/content?${query}`);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.body).toContain(field);
    }
    const page = await api.call('GET', '/api/v1/content?sort=topic&limit=1');
    const cursor = page.json().nextCursor as string;
    const wrong = await api.call('GET', `/api/v1/content?sort=created&after=${cursor}`);
    expect(wrong.statusCode, wrong.body).toBe(400);
    expect(wrong.json().error.field).toBe('after');
  });

  it('lists the formats content can be made in', async () => {
    const res = await api.call('GET', '/api/v1/content/formats');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().formats.map((f: { name: string }) => f.name)).toEqual(['faceless', 'reddit_story']);
  });

  it('archives finished content out of the board and the default listing, and restores it', async () => {
    const before = (await api.call('GET', '/api/v1/content/status')).json();
    const archived = await api.call('POST', `/api/v1/content/${ids.apple}/archive`);
    expect(archived.statusCode, archived.body).toBe(200);
    expect(archived.json().archivedAt).not.toBeNull();
    expect((await all('sort=created')).map((c) => c.id)).not.toContain(ids.apple);
    expect((await all('archived=true')).map((c) => c.id)).toEqual([ids.apple]);
    expect((await api.call('GET', '/api/v1/content/status')).json().complete).toBe(before.complete - 1);

    const again = await api.call('POST', `/api/v1/content/${ids.apple}/archive`);
    expect(again.statusCode).toBe(409);
    const inProduction = await api.call('POST', `/api/v1/content/${ids.cherry}/archive`);
    expect(inProduction.statusCode).toBe(409);
    expect(inProduction.json().error.message).toContain('scripting');

    const restored = await api.call('POST', `/api/v1/content/${ids.apple}/restore`);
    expect(restored.statusCode, restored.body).toBe(200);
    expect(restored.json().archivedAt).toBeNull();
    expect((await all('sort=created')).map((c) => c.id)).toContain(ids.apple);
    const { rows } = await t.pool.query(
      `SELECT event_type FROM system_events WHERE context->>'contentId' = $1 ORDER BY id`,
      [ids.apple],
    );
    expect(rows.map((r) => r.event_type)).toEqual(['content_archived', 'content_restored']);
  });
});

describe('bulk resolve of events', () => {
  it('resolves the open ones with one note, and lists those already resolved or unknown', async () => {
    const open = [];
    for (let i = 0; i < 3; i++) {
      open.push(
        await recordEvent(t.db, {
          category: 'device',
          severity: 'warning',
          eventType: 'bulk_probe',
          message: `probe ${i}`,
        }),
      );
    }
    const fact = await recordEvent(t.db, {
      category: 'device',
      severity: 'info',
      eventType: 'bulk_fact',
      message: 'a fact',
    });
    const res = await api.call('POST', '/api/v1/events/resolve', {
      ids: [...open.map((e) => e.id), fact.id, 999_999],
      by: 'human',
      note: 'rebooted the hub',
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.resolved.map((e: { id: number }) => e.id).sort()).toEqual(open.map((e) => e.id).sort());
    expect(body.resolved[0]).toMatchObject({ resolved: true, resolvedBy: 'human' });
    expect(body.resolved[0].context.resolution.note).toBe('rebooted the hub');
    expect(body.alreadyResolved).toEqual([fact.id]);
    expect(body.notFound).toEqual([999_999]);

    const empty = await api.call('POST', '/api/v1/events/resolve', { ids: [], by: 'human' });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('ids');
  });

  it('lists the categories and the types present to filter by', async () => {
    const res = await api.call('GET', '/api/v1/events/types');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().categories).toEqual(expect.arrayContaining(['device', 'content', 'scheduler']));
    expect(res.json().types).toEqual(
      expect.arrayContaining([
        { type: 'bulk_probe', category: 'device' },
        { type: 'content_archived', category: 'content' },
      ]),
    );
  });
});
