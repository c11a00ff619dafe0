// The warming planner: on each cron tick, decides which accounts get a session next and on which device of
// this host, and queues those sessions, all in one transaction (queue rows, device assignments and jobs
// commit together or not at all).
import { v7 as uuidv7 } from 'uuid';
import { assignDevices } from '../accounts/account-warming.ts';
import type { Db } from '../db/pool.ts';
import { recordActivity, type ActivityRow } from '../activity/activity-log.ts';
import type { Executor } from '../db/executor.ts';
import type { Logger } from '../logger.ts';
import type { WarmingPolicy } from './warming-policy.ts';
import { deviceLoads, insertQueueRows, openCandidates, type QueueRow } from './warming-repository.ts';

export interface SessionJob {
  sessionKey: string;
  accountId: string;
  deviceId: string;
}

/** Where planned sessions go: pg-boss in production, a list in some tests. Runs inside the plan's transaction. */
export interface SessionJobSink {
  enqueue(trx: Executor, host: string, jobs: SessionJob[]): Promise<void>;
}

export interface PlannerDeps {
  db: Db;
  policy: WarmingPolicy;
  sink: SessionJobSink;
  logger: Logger;
  host: string;
  /** Sessions to keep queued (or running) per device. */
  deviceQueueDepth: number;
  now?: () => Date;
}

export interface PlanResult {
  host: string;
  planned: number;
  /** Accounts given a device of this host for the first time. */
  assigned: number;
  /** Candidates read from the index. */
  considered: number;
  /** Due, and moved off a device that is no longer active to an active one of this host. */
  reassigned: number;
  /** Due, but their device's queue is full (they come first next tick). */
  deviceBusy: number;
  /** Due and without a device, but no active device of this host had room. */
  noDevice: number;
}

/** An account given a device of this host: `previous` is the inactive device it left, null for its first. */
interface Assignment {
  accountId: string;
  deviceId: string;
  previous: string | null;
}

const BATCH = 500;
/** A tick reads at most this many batches; what it leaves comes first on the next tick. */
const MAX_BATCHES = 20;

export async function planWarming(deps: PlannerDeps): Promise<PlanResult> {
  const now = (deps.now ?? (() => new Date()))();
  const result: PlanResult = {
    host: deps.host,
    planned: 0,
    assigned: 0,
    considered: 0,
    reassigned: 0,
    deviceBusy: 0,
    noDevice: 0,
  };
  await deps.db.transaction().execute(async (trx) => {
    const loads = await deviceLoads(trx, deps.host);
    const room = new Map(
      loads
        .filter((d) => d.status === 'active')
        .map((d) => [d.id, Math.max(0, deps.deviceQueueDepth - d.queued)]),
    );
    const status = new Map(loads.map((d) => [d.id, d.status]));
    let capacity = [...room.values()].reduce((a, b) => a + b, 0);
    if (capacity === 0) return;

    // Accounts on these devices may be picked: the active ones with room, and the inactive ones (their
    // accounts move to an active device).
    const eligible = loads.filter((d) => d.status !== 'active' || (room.get(d.id) ?? 0) > 0).map((d) => d.id);
    const plan: QueueRow[] = [];
    const assignments: Assignment[] = [];
    // Every row read is due (SQL decides): later batches are needed only when devices fill up mid-batch.
    const candidates = await openCandidates(trx, {
      policy: deps.policy,
      now,
      devices: eligible,
      limit: BATCH * MAX_BATCHES,
    });
    for (let batches = 0; capacity > 0 && batches < MAX_BATCHES; batches++) {
      const batch = await candidates.read(BATCH);
      result.considered += batch.length;
      for (const c of batch) {
        if (capacity === 0) break;
        // An account keeps its device while that device is active; otherwise it gets this host's active
        // device with the fewest queued sessions.
        let deviceId = c.device_id;
        if (deviceId !== null && status.get(deviceId) === 'active') {
          if ((room.get(deviceId) ?? 0) === 0) {
            result.deviceBusy++;
            continue;
          }
        } else {
          const previous = deviceId;
          deviceId = leastLoaded(room);
          if (deviceId === null) {
            result.noDevice++;
            continue;
          }
          assignments.push({ accountId: c.id, deviceId, previous });
        }
        room.set(deviceId, (room.get(deviceId) ?? 0) - 1);
        capacity--;
        // Time-ordered ids: jobs of one insert share created_on, so FIFO per device follows the id.
        plan.push({ session_key: uuidv7(), account_id: c.id, device_id: deviceId, host: deps.host });
      }
      if (batch.length < BATCH) break;
    }
    await candidates.close();

    const queued = await insertQueueRows(trx, plan, now);
    const queuedAccounts = new Set(queued.map((q) => q.account_id));
    const newAssignments = assignments.filter((a) => queuedAccounts.has(a.accountId));
    await assignDevices(trx, newAssignments);
    await recordActivity(
      trx,
      newAssignments.map((a) => assignedActivity(a, deps.host)),
    );
    await deps.sink.enqueue(
      trx,
      deps.host,
      queued.map((q) => ({ sessionKey: q.session_key, accountId: q.account_id, deviceId: q.device_id })),
    );
    result.planned = queued.length;
    result.assigned = newAssignments.filter((a) => a.previous === null).length;
    result.reassigned = newAssignments.length - result.assigned;
  });
  deps.logger.debug(result, 'warming planned');
  return result;
}

/** The active device with the most room, i.e. the fewest queued sessions; ties go to the first by name. */
function leastLoaded(room: Map<string, number>): string | null {
  let best: string | null = null;
  let bestRoom = 0;
  for (const [id, free] of room) {
    if (free > bestRoom) {
      best = id;
      bestRoom = free;
    }
  }
  return best;
}

/** The account's activity row for its new device, with why the scheduler chose it. */
function assignedActivity(a: Assignment, host: string): ActivityRow {
  return {
    account_id: a.accountId,
    device_id: a.deviceId,
    action_type: 'device_assigned',
    detail: {
      actor: 'scheduler',
      host,
      reason: a.previous === null ? 'fewest queued sessions on this host' : 'its device is not active',
      ...(a.previous === null ? {} : { previousDeviceId: a.previous }),
    },
  };
}
