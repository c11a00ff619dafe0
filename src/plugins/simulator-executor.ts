// The simulator executor: no phone and no app, just believable session facts, deterministic for a given
// seed and session. It drives the tests and the demo. Each session's result depends only on the seed and
// the session key, so a run is reproducible whatever order the workers pick sessions in.
import { z } from 'zod';
import type { SessionExecutor, SessionFacts, SessionOutcome, SessionRequest } from './executor.ts';
import { sleep } from '../time.ts';
import { randomFromText } from '../random.ts';
import { parseOptions } from '../settings/parse-options.ts';
import { rate, seedOption } from './simulation.ts';

const optionsSchema = z
  .object({
    seed: seedOption,
    deviceDropRate: rate.default(0.02),
    loginFailureRate: rate.default(0.01),
    challengeRate: rate.default(0.01),
    errorRate: rate.default(0),
    minDurationMs: z.number().int().min(0).default(1_000),
    maxDurationMs: z.number().int().min(0).default(5_000),
  })
  .strict()
  .refine((o) => o.maxDurationMs >= o.minDurationMs, { message: 'maxDurationMs must be ≥ minDurationMs' })
  .refine((o) => o.deviceDropRate + o.loginFailureRate + o.challengeRate + o.errorRate <= 1, {
    message: 'the failure rates add up to more than 1',
  });

export type SimulatorOptions = z.input<typeof optionsSchema>;

export function createSimulatorExecutor(input: Readonly<Record<string, unknown>> = {}): SessionExecutor {
  const o = parseOptions(optionsSchema, input, 'SOVI_EXECUTOR_OPTIONS');
  return {
    name: 'simulator',
    runSession: async (request: SessionRequest): Promise<SessionFacts> => {
      const next = randomFromText(`${String(o.seed)}:${request.sessionKey}`);
      const roll = next();
      // The outcomes split [0, 1) in this order; the rest of it is success.
      const bands: [SessionOutcome, number][] = [
        ['device_lost', o.deviceDropRate],
        ['login_failed', o.loginFailureRate],
        ['challenge', o.challengeRate],
        ['error', o.errorRate],
      ];
      let outcome: SessionOutcome = 'success';
      let edge = 0;
      for (const [candidate, width] of bands) {
        edge += width;
        if (roll < edge) {
          outcome = candidate;
          break;
        }
      }
      const durationMs = Math.round(o.minDurationMs + next() * (o.maxDurationMs - o.minDurationMs));
      // A failing session ends early; a successful one runs its full length.
      const runMs = outcome === 'success' ? durationMs : Math.round(durationMs * next());
      await sleep(runMs, request.signal);
      // Later phases do more: a fresh account mostly watches.
      const scale = request.phase;
      const watched = outcome === 'success' ? 5 + Math.floor(next() * 10 * scale) : Math.floor(next() * 5);
      return {
        outcome,
        videosWatched: watched,
        likes: outcome === 'success' ? Math.floor(watched * next() * 0.3 * scale) : 0,
        follows: outcome === 'success' && scale > 1 ? Math.floor(next() * scale) : 0,
        durationSeconds: Math.round(runMs / 100) / 10,
        ...(outcome === 'success' ? {} : { detail: `simulated ${outcome.replace('_', ' ')}` }),
      };
    },
  };
}
