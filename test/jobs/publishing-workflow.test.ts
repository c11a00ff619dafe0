// The publishing workflow end to end, on the job engine: produced content awaits review, is approved for
// two of three accounts with an edited caption, is placed in each account's next window (in its own time
// zone), goes out at its slot through the simulator publisher, never reaches the third account, and a
// failed post is retried for its account only. Every decision is in the audit trail.
import { afterEach, describe, expect, it } from 'vitest';
import { createContent, getContent, produce } from '../../src/content/content-service.ts';
import { defaultContentPolicy, type ContentPolicy } from '../../src/content/content-policy.ts';
import { approveContent } from '../../src/content/review-service.ts';
import type { Script } from '../../src/content/content-model.ts';
import type { Database } from '../../src/db/database.ts';
import { reschedulePost, retryPost } from '../../src/distributions/calendar-service.ts';
import { planDistributions } from '../../src/distributions/distribution-planner.ts';
import { setPostingSchedule } from '../../src/distributions/posting-schedules-service.ts';
import { publishDistribution } from '../../src/distributions/publishing.ts';
import { addHook } from '../../src/hooks/hooks-service.ts';
import type { ContentWorker } from '../../src/jobs/content-worker.ts';
import { startTestContentWorker } from '../helpers/content-worker.ts';
import { PublishError, type Publisher } from '../../src/plugins/publisher.ts';
import { createSimulatorPublisher } from '../../src/plugins/simulator-publisher.ts';
import { quietLogger, useTestDatabase } from '../helpers/database.ts';
import { factories } from '../helpers/factories.ts';
import { until } from '../helpers/until.ts';

const t = useTestDatabase();
const stops: (() => Promise<void>)[] = [];

const policy: ContentPolicy = {
  ...defaultContentPolicy,
  distribution: { ...defaultContentPolicy.distribution, minGapMinutes: 0, maxPostsPerAccountPerDay: 50 },
  // The template writer's content would need no review; the niche's policy asks for it.
  review: { motivation: 'required' },
};

/** The simulator, refusing for good the first attempt of each distribution in `refuse`. */
function refusingPublisher(db: Database['db'], refuse: Set<string>): Publisher {
  const real = createSimulatorPublisher(
    { transientFailureRate: 0, rejectionRate: 0, removalRate: 0 },
    { db, logger: quietLogger },
  );
  return {
    name: 'simulator',
    publish: async (request) => {
      if (refuse.delete(request.account.id))
        throw new PublishError('simulated refusal: the account is rate limited', false);
      return real.publish(request);
    },
  };
}

async function startWorker(refuse: Set<string>): Promise<ContentWorker> {
  const { worker, stop } = await startTestContentWorker(t, {
    policy,
    name: 'test workflow',
    seed: 3,
    publisher: (db) => refusingPublisher(db, refuse),
  });
  stops.push(stop);
  return worker;
}

afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  await t.pool.query(
    'DELETE FROM distributions; DELETE FROM simulated_posts; DELETE FROM content; DELETE FROM hooks; DELETE FROM posting_schedules; DELETE FROM accounts',
  );
});

const distributionOf = async (contentId: string, accountId: string) =>
  (
    await t.pool.query(
      `SELECT id, status, review, scheduled_at, posted_at, caption, cancelled_at FROM distributions
       WHERE content_id = $1 AND account_id = $2`,
      [contentId, accountId],
    )
  ).rows[0];

const publishJobs = async (distributionId: string) =>
  (
    await t.pool.query(
      `SELECT state, start_after, data FROM pgboss.job WHERE name = 'content-publish' AND data->>'distributionId' = $1
       ORDER BY start_after`,
      [distributionId],
    )
  ).rows;

describe('review before posting, on the calendar', () => {
  it('approves two of three accounts, posts each at its slot, never the third, and retries a failure for its account only', async () => {
    const niche = (await t.pool.query(`SELECT id FROM niches WHERE slug = 'motivation'`)).rows[0].id;
    const account = async (platform: string, username: string) =>
      (await factories.account(t.pool, { current_state: 'active', niche_id: niche, platform, username }))
        .id as string;
    const kolkata = await account('tiktok', 'kolkata_mornings');
    const tokyo = await account('instagram', 'tokyo_nights');
    const third = await account('tiktok', 'third_wheel');
    // Two time zones without DST, so the UTC instants below hold on any date: Kolkata is UTC+5:30, Tokyo
    // UTC+9. The third account has no schedule (it would post as soon as approved).
    await setPostingSchedule(
      t.db,
      { account: 'tiktok:kolkata_mornings' },
      { timeZone: 'Asia/Kolkata', windows: ['09:00'] },
      'user:olga',
    );
    await setPostingSchedule(
      t.db,
      { account: 'instagram:tokyo_nights' },
      { timeZone: 'Asia/Tokyo', windows: ['21:30'] },
      'user:olga',
    );
    await addHook(t.db, { category: 'bold_claim', template: '{topic} will change your mornings.' });
    const refuse = new Set([tokyo]);
    const worker = await startWorker(refuse);

    // Produced → awaits review: every post planned at a slot, none queued.
    const started = new Date();
    const c = await createContent(t.db, policy, { topic: 'the five am club', niche: 'motivation' });
    await produce(t.db, worker.sink, c.id);
    await until('content awaiting review', async () =>
      (await getContent(t.db, c.id)).review?.state === 'awaiting' ? true : undefined,
    );
    expect((await getContent(t.db, c.id)).status).toBe('distributing');
    const awaiting = await t.pool.query(
      `SELECT count(*)::int AS n FROM system_events WHERE event_type = 'content_awaiting_review' AND context->>'contentId' = $1`,
      [c.id],
    );
    expect(awaiting.rows[0].n).toBe(1);
    const planned = {
      kolkata: await distributionOf(c.id, kolkata),
      tokyo: await distributionOf(c.id, tokyo),
      third: await distributionOf(c.id, third),
    };
    for (const d of Object.values(planned)) {
      expect(d.review).toBe('awaiting');
      expect(await publishJobs(d.id)).toEqual([]);
    }
    // Each in its account's next window: 09:00 in Kolkata is 03:30Z, 21:30 in Tokyo is 12:30Z.
    const slotOf = (d: { scheduled_at: Date }) => d.scheduled_at;
    for (const [d, hhmm] of [
      [planned.kolkata, '03:30'],
      [planned.tokyo, '12:30'],
    ] as const) {
      expect(slotOf(d).toISOString().slice(11, 16)).toBe(hhmm);
      expect(slotOf(d).getTime()).toBeGreaterThan(started.getTime());
      expect(slotOf(d).getTime() - started.getTime()).toBeLessThanOrEqual(86_400_000);
    }

    // Approved for two of three, with an edited caption: each gets a job due at its slot.
    const outcome = await approveContent(
      t.db,
      worker.sink,
      c.id,
      {
        approve: [
          { post: 'tiktok:kolkata_mornings', caption: 'Up before the sun, every single day.' },
          { post: planned.tokyo.id },
        ],
        note: 'good, not for the third account',
      },
      'user:rita',
    );
    expect(outcome.approved.map((a) => a.account).sort()).toEqual([
      'instagram:tokyo_nights',
      'tiktok:kolkata_mornings',
    ]);
    expect(outcome.rejected).toEqual([{ id: planned.third.id, account: 'tiktok:third_wheel' }]);
    for (const d of [planned.kolkata, planned.tokyo]) {
      const jobs = await publishJobs(d.id);
      expect(jobs).toHaveLength(1);
      expect(jobs[0].state).toBe('created');
      expect(new Date(jobs[0].start_after).getTime()).toBe(slotOf(d).getTime());
    }
    expect((await distributionOf(c.id, kolkata)).caption).toBe('Up before the sun, every single day.');

    // An operator brings both slots forward to a few seconds from now; the jobs of the old slots stay
    // queued and will find the posts moved. Each goes out at (never before) its new slot.
    const soon = new Date(Date.now() + 3_000);
    for (const d of [planned.kolkata, planned.tokyo])
      await reschedulePost(t.db, worker.sink, d.id, { at: soon, force: true }, 'user:oscar');
    const posted = await until('the Kolkata post out', async () => {
      const d = await distributionOf(c.id, kolkata);
      return d.status === 'posted' ? d : undefined;
    });
    expect(posted.posted_at.getTime()).toBeGreaterThanOrEqual(soon.getTime());
    const sim = (
      await t.pool.query(
        `SELECT options, scheduled_at, attempts FROM simulated_posts WHERE idempotency_key = $1`,
        [planned.kolkata.id],
      )
    ).rows[0];
    expect(sim.options).toMatchObject({ aiGenerated: true, privacyLevel: 'public', allowComments: true });
    expect(sim.scheduled_at.getTime()).toBe(soon.getTime());
    // The Tokyo post was refused: it fails, for its account alone.
    await until('the Tokyo post failed', async () =>
      (await distributionOf(c.id, tokyo)).status === 'failed' ? true : undefined,
    );
    // The content is complete: one post out, one failed, one rejected (settled, never published).
    await until('content complete', async () =>
      (await getContent(t.db, c.id)).status === 'complete' ? true : undefined,
    );

    // The third account never receives it: nothing was published for it, and planning again plans nothing.
    expect((await distributionOf(c.id, third)).review).toBe('rejected');
    expect((await distributionOf(c.id, third)).status).toBe('pending');
    const thirdPosts = await t.pool.query(`SELECT 1 FROM simulated_posts WHERE idempotency_key = $1`, [
      planned.third.id,
    ]);
    expect(thirdPosts.rows).toEqual([]);
    const script = (await getContent(t.db, c.id)).script as Script;
    const again = await t.db
      .transaction()
      .execute((trx) =>
        planDistributions(
          trx,
          { contentId: c.id, nicheId: niche, format: 'faceless', script },
          policy,
          new Date(),
        ),
      );
    expect(again).toEqual([]);

    // The failed post, retried for its account only: it goes out; the Kolkata post is not asked again.
    await retryPost(t.db, worker.sink, planned.tokyo.id, 'user:oscar');
    await until('the Tokyo post out', async () =>
      (await distributionOf(c.id, tokyo)).status === 'posted' ? true : undefined,
    );
    const attempts = await t.pool.query(
      `SELECT idempotency_key, attempts FROM simulated_posts ORDER BY idempotency_key`,
    );
    expect(attempts.rows).toHaveLength(2);
    expect(attempts.rows.find((r) => r.idempotency_key === planned.kolkata.id).attempts).toBe(1);

    // The jobs of the old slots, when they run, change nothing.
    const publishDeps = {
      db: t.db,
      publisher: refusingPublisher(t.db, new Set()),
      logger: quietLogger,
      maxAttempts: 1,
    };
    expect(
      await publishDistribution(
        publishDeps,
        planned.kolkata.id,
        new AbortController().signal,
        slotOf(planned.kolkata),
      ),
    ).toEqual({ status: 'settled' });

    // Every step is in the audit trail, with who took it.
    const audit = await t.pool.query(
      `SELECT actor, action, target_id FROM audit_log
       WHERE target_id = ANY($1) OR target_type = 'posting_schedule' ORDER BY id`,
      [[c.id, planned.kolkata.id, planned.tokyo.id, planned.third.id]],
    );
    const steps = audit.rows.map((r) => `${r.actor} ${r.action}`);
    expect(steps).toEqual(
      expect.arrayContaining([
        'user:olga posting_schedule.create',
        'user:rita distribution.edit',
        'user:rita distribution.approve',
        'user:rita distribution.reject',
        'user:rita content.approve',
        'user:oscar distribution.reschedule',
        'user:oscar distribution.retry',
      ]),
    );
    expect(steps.filter((s) => s === 'user:rita distribution.approve')).toHaveLength(2);
    expect(steps.filter((s) => s === 'user:oscar distribution.reschedule')).toHaveLength(2);
  }, 90_000);
});

describe('a publish job at its slot', () => {
  const pending = async (values: Record<string, unknown>) => {
    const content = await factories.content(t.pool, {
      production_status: 'distributing',
      output_path: '/tmp/v.mp4',
    });
    return String((await factories.distribution(t.pool, { content_id: content.id, ...values })).id);
  };
  const deps = () => ({
    db: t.db,
    publisher: refusingPublisher(t.db, new Set()),
    logger: quietLogger,
    maxAttempts: 1,
    lateSeconds: 300,
  });
  const signal = new AbortController().signal;

  it('does nothing for a post cancelled, rejected, awaiting review or moved to a later slot', async () => {
    const slot = new Date(Date.now() - 1_000);
    const later = new Date(Date.now() + 3_600_000);
    const cases: [Record<string, unknown>, string][] = [
      [{ cancelled_at: new Date(), scheduled_at: slot }, 'cancelled'],
      [{ review: 'rejected', scheduled_at: slot }, 'rejected in review'],
      [{ review: 'awaiting', scheduled_at: slot }, 'awaiting review'],
      [{ scheduled_at: later }, `rescheduled to ${later.toISOString()}`],
    ];
    for (const [values, reason] of cases) {
      const id = await pending(values);
      expect(await publishDistribution(deps(), id, signal, slot)).toEqual({ status: 'skipped', reason });
      expect(
        (await t.pool.query(`SELECT attempts FROM distributions WHERE id = $1`, [id])).rows[0].attempts,
      ).toBe(0);
    }
  });

  it('records post_late for a post out more than SOVI_POST_LATE_SECONDS after its slot', async () => {
    const onTime = await pending({ scheduled_at: new Date(Date.now() - 5_000) });
    const late = await pending({ scheduled_at: new Date(Date.now() - 600_000) });
    expect((await publishDistribution(deps(), onTime, signal)).status).toBe('posted');
    expect((await publishDistribution(deps(), late, signal)).status).toBe('posted');
    const events = await t.pool.query(
      `SELECT severity, context->>'distributionId' AS id FROM system_events
       WHERE event_type = 'post_late' AND context->>'distributionId' = ANY($1)`,
      [[onTime, late]],
    );
    expect(events.rows).toEqual([{ severity: 'warning', id: late }]);
  });
});
