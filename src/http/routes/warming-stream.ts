// Warming sessions as they start and complete, as Server-Sent Events (the dashboard's Schedule page).
//
// warming_progress is polled every POLL_MS for rows whose change time — greatest(started_at, completed_at) —
// is past a cursor, served by warming_progress_started_idx (008) and warming_progress_completed_idx (014).
// Those times come from the workers' clocks and a row becomes visible when its transaction commits, which
// may be after a later-stamped row: each poll therefore looks LOOKBACK_MS behind the newest change sent,
// and a per-stream record of what was sent (id and state) keeps that overlap from repeating messages.
//
// Each message is one session, in its state at the time it is read (a session that started and completed
// between two polls is sent once, completed). Its `id` is the newest change time sent so far (exact UTC
// text), which a reconnecting EventSource sends back as Last-Event-ID to resume from there.
import { PassThrough } from 'node:stream';
import { sql } from 'kysely';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { findAccount } from '../../accounts/accounts-service.ts';
import { resolveDevice } from '../../devices/devices-service.ts';
import { exactTime, isExactTime } from '../../db/keyset.ts';
import type { Db } from '../../db/pool.ts';
import { sessionRows, toWarmingSession, type WarmingSession } from '../../warming/warming-sessions.ts';
import { readErrors, refParam } from '../schemas.ts';
import type { ApiDeps } from '../api-deps.ts';
import { sessionSchema } from './warming.ts';

const POLL_MS = 1_500;
const LOOKBACK_MS = 60_000;
const HEARTBEAT_MS = 15_000;
const PAGE = 500;
const NO_ID = '00000000-0000-0000-0000-000000000000';

interface StreamFilter {
  accountId?: string;
  deviceId?: string;
}

interface Changed {
  session: WarmingSession;
  changedAt: string;
}

/** Sessions whose change time is past (after, afterId), oldest change first. */
async function sessionsChangedAfter(
  db: Db,
  filter: StreamFilter,
  after: string,
  afterId: string,
): Promise<Changed[]> {
  const changed = sql`greatest(w.started_at, w.completed_at)`;
  let q = sessionRows(db)
    .select(
      sql<string>`to_char(${changed} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('changed_at'),
    )
    // The OR lets the planner use both time indexes; the row comparison is the exact keyset.
    .where((eb) =>
      eb.or([
        eb('w.started_at', '>=', sql<Date>`${after}::timestamptz`),
        eb('w.completed_at', '>=', sql<Date>`${after}::timestamptz`),
      ]),
    )
    .where(sql<boolean>`(${changed}, w.id) > (${after}::timestamptz, ${afterId}::uuid)`);
  if (filter.accountId) q = q.where('w.account_id', '=', filter.accountId);
  if (filter.deviceId) q = q.where('w.device_id', '=', filter.deviceId);
  const rows = await q.orderBy(changed).orderBy('w.id').limit(PAGE).execute();
  return rows.map((r) => ({ changedAt: r.changed_at, session: toWarmingSession(r) }));
}

const shift = (exact: string, ms: number): string => {
  const micros = exact.slice(23, 26);
  return `${new Date(Date.parse(exact) + ms).toISOString().slice(0, 23)}${micros}Z`;
};

export interface SessionStreamOptions {
  db: Db;
  filter: StreamFilter;
  /** Changes after this exact time are sent. */
  from: string;
  signal: AbortSignal;
  send: (session: WarmingSession, id: string) => void;
  pollMs?: number;
}

/** Sends each session that starts or completes after `from` until the signal aborts. */
export async function streamSessions(options: SessionStreamOptions): Promise<void> {
  const { db, filter, signal, send } = options;
  const pollMs = options.pollMs ?? POLL_MS;
  const from = options.from;
  let newest = from;
  // What was sent, by session id: 'started' or 'completed', with the change time (to forget it later).
  const sent = new Map<string, { state: string; changedAt: string }>();
  while (!signal.aborted) {
    // Never before where the client asked to start: it has what came before.
    const lookback = shift(newest, -LOOKBACK_MS);
    let after = lookback > from ? lookback : from;
    let afterId = NO_ID;
    for (;;) {
      const rows = await sessionsChangedAfter(db, filter, after, afterId);
      for (const { session, changedAt } of rows) {
        const state = session.completedAt ? 'completed' : 'started';
        if (sent.get(session.id)?.state === state) continue;
        sent.set(session.id, { state, changedAt });
        if (changedAt > newest) newest = changedAt;
        send(session, newest);
      }
      const last = rows.at(-1);
      if (!last || rows.length < PAGE || signal.aborted) break;
      after = last.changedAt;
      afterId = last.session.id;
    }
    const horizon = shift(newest, -2 * LOOKBACK_MS);
    for (const [id, entry] of sent) if (entry.changedAt < horizon) sent.delete(id);
    if (signal.aborted) break;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, pollMs);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

async function now(db: Db): Promise<string> {
  const { rows } = await sql<{
    now: string;
  }>`SELECT ${exactTime('n')} AS now FROM (SELECT now() AS n) t`.execute(db);
  return rows[0]!.now;
}

export const warmingStreamRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { db, streams }) => {
  app.get(
    '/warming/sessions/stream',
    {
      schema: {
        tags: ['warming'],
        summary:
          'Warming sessions as they start and complete (Server-Sent Events; resumes after Last-Event-ID)',
        description:
          'Each message is one session as /warming/sessions lists it: sent when it starts (completedAt null) ' +
          'and again when it completes (with its outcome); one that starts and completes between two polls ' +
          '(about 1.5 s) is sent once. `id` is a time cursor: EventSource sends it back as Last-Event-ID on ' +
          'reconnecting, and gets what changed since. Without one, the stream starts from now. A comment ' +
          'line is sent every 15 s to keep proxies from closing the connection.',
        querystring: z.strictObject({
          account: refParam.optional().describe('account id, platform:username or username'),
          device: refParam.optional().describe('device id, udid or name'),
        }),
        headers: z.looseObject({
          'last-event-id': z
            .string()
            .refine(isExactTime, 'an id sent by this stream, like 2026-01-02T03:04:05.123456Z')
            .optional(),
        }),
        response: {
          200: {
            description: 'text/event-stream',
            content: { 'text/event-stream': { schema: z.string() } },
          },
          ...readErrors(),
        },
      },
    },
    async (request, reply) => {
      const { account, device } = request.query;
      const filter: StreamFilter = {
        accountId: account === undefined ? undefined : (await findAccount(db, account)).id,
        deviceId: device === undefined ? undefined : await resolveDevice(db, device),
      };
      const from = request.headers['last-event-id'] ?? (await now(db));
      const controller = new AbortController();
      const stream = new PassThrough();
      const write = (text: string) => {
        if (!stream.writableEnded) stream.write(text);
      };
      const heartbeat = setInterval(() => write(': ping\n\n'), HEARTBEAT_MS);
      const stop = () => controller.abort();
      reply.raw.once('close', stop);
      streams.add(controller);
      write('retry: 2000\n: connected\n\n');
      void streamSessions({
        db,
        filter,
        from,
        signal: controller.signal,
        send: (session, id) => write(`id: ${id}\ndata: ${JSON.stringify(sessionSchema.encode(session))}\n\n`),
      })
        .catch((err: unknown) => request.log.warn({ err }, 'warming session stream failed'))
        .finally(() => {
          clearInterval(heartbeat);
          streams.delete(controller);
          reply.raw.off('close', stop);
          stream.end();
        });
      return reply
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-cache')
        .header('x-accel-buffering', 'no')
        .send(stream as unknown as string);
    },
  );
};
