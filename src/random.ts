// The one seeded random source, so that what is drawn from a seed (the simulators' sessions and metrics, the
// hook selector under test, generated backgrounds) comes out the same each time.
import { createHash } from 'node:crypto';

/** A seeded PRNG (mulberry32): numbers in [0, 1), the same sequence for the same seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** seededRandom, seeded from a hash of a text (a session key, a content id). */
export const randomFromText = (text: string): (() => number) =>
  seededRandom(createHash('sha256').update(text).digest().readUInt32LE(0));
