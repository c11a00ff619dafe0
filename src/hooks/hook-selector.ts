// Choosing a hook: Thompson sampling over each hook's Beta posterior of "does well on this platform".
//
// A hook with no outcomes yet is Beta(1, 1) (or centred on the prior it was added with), so it gets tried;
// a hook that has done well many times has a tight posterior near its rate, and wins most draws. Each
// choice draws one sample per candidate and takes the largest, which is all Thompson sampling is.
import type { Hook } from './hook-model.ts';

/** How many pseudo-observations a hook's prior (its effectiveness_score when added) is worth. */
export const PRIOR_STRENGTH = 2;

export interface Posterior {
  alpha: number;
  beta: number;
}

/**
 * A hook's posterior on a platform. Its prior is the score it was added with, else `baseline`: the pooled
 * score of the hooks it competes with, so a new hook starts as an average one (uncertain, so it gets tried)
 * rather than as a 50% winner that would crowd out proven hooks.
 */
export function posteriorOf(
  hook: Pick<Hook, 'effectivenessScore' | 'platformScores'>,
  platform: string,
  baseline = 0.5,
): Posterior {
  const prior = hook.effectivenessScore ?? baseline;
  let alpha = 1 + prior * PRIOR_STRENGTH;
  let beta = 1 + (1 - prior) * PRIOR_STRENGTH;
  const observed = hook.platformScores[platform];
  if (observed && observed.samples > 0) {
    alpha += observed.score * observed.samples;
    beta += (1 - observed.score) * observed.samples;
  }
  return { alpha, beta };
}

function normal(random: () => number): number {
  // Box–Muller; 1 - u avoids log(0).
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Gamma(shape, 1) by Marsaglia and Tsang; shape < 1 through the usual boost. */
function gamma(shape: number, random: () => number): number {
  if (shape < 1) return gamma(shape + 1, random) * Math.pow(1 - random(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - random();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

export function sampleBeta({ alpha, beta }: Posterior, random: () => number): number {
  const x = gamma(alpha, random);
  const y = gamma(beta, random);
  return x / (x + y);
}

/** Picks one of the candidates by Thompson sampling; undefined when there are none. */
export function chooseHook<T extends Pick<Hook, 'effectivenessScore' | 'platformScores'>>(
  candidates: readonly T[],
  platform: string,
  random: () => number = Math.random,
): T | undefined {
  let best: T | undefined;
  let bestDraw = -1;
  const baseline = pooledScore(candidates, platform);
  for (const candidate of candidates) {
    const draw = sampleBeta(posteriorOf(candidate, platform, baseline), random);
    if (draw > bestDraw) {
      best = candidate;
      bestDraw = draw;
    }
  }
  return best;
}

/** The score of all candidates' posts together on a platform; 0.5 when none has any. */
export function pooledScore(candidates: readonly Pick<Hook, 'platformScores'>[], platform: string): number {
  let successes = 0;
  let samples = 0;
  for (const c of candidates) {
    const s = c.platformScores[platform];
    if (s && s.samples > 0) {
      successes += s.score * s.samples;
      samples += s.samples;
    }
  }
  return samples > 0 ? successes / samples : 0.5;
}
